"""The engine's multiplexed attach stream split back into the server's stdout and stderr."""

import random
import struct

from factory.sandbox.docker_attach import Demultiplexer


def frame(stream: int, payload: bytes) -> bytes:
    return struct.pack(">BxxxL", stream, len(payload)) + payload


def test_stdout_comes_back_whole_whatever_the_chunking_and_stderr_is_set_aside() -> None:
    stdout = [bytes([n]) * (n * 37 % 300 + 1) for n in range(1, 60)]
    stderr = [f"warning {n}\n".encode() for n in range(59)]
    pairs = zip(stdout, stderr, strict=True)
    stream = b"".join(frame(1, out) + frame(2, err) for out, err in pairs)
    rng = random.Random(7)
    for _ in range(20):
        demux = Demultiplexer()
        got = []
        position = 0
        while position < len(stream):
            step = rng.randint(1, 700)
            demux.feed(stream[position : position + step])
            position += step
            got.append(demux.take_stdout(rng.randint(1, 500)))
        while chunk := demux.take_stdout(1 << 16):
            got.append(chunk)
        assert b"".join(got) == b"".join(stdout)
        assert demux.stderr.endswith(b"warning 58\n")


def test_a_read_takes_no_more_than_asked_and_keeps_the_rest() -> None:
    demux = Demultiplexer()
    demux.feed(frame(1, b"abcdef") + frame(1, b"gh"))
    assert demux.take_stdout(4) == b"abcd"
    assert demux.take_stdout(3) == b"efg"
    assert demux.take_stdout(10) == b"h"
    assert demux.take_stdout(10) == b""


def test_a_header_without_its_payload_yet_waits() -> None:
    demux = Demultiplexer()
    demux.feed(frame(1, b"xyz")[:8])
    assert demux.take_stdout(10) == b""
    demux.feed(b"xy")
    assert demux.take_stdout(10) == b"xy"
    demux.feed(b"z")
    assert demux.take_stdout(10) == b"z"


def test_stderr_kept_is_bounded() -> None:
    demux = Demultiplexer()
    demux.feed(frame(2, b"e" * 100_000) + frame(1, b"ok"))
    assert demux.take_stdout(10) == b"ok"
    assert len(demux.stderr) == 4000
