"""A container's stdin and stdout as a byte stream, over the engine API's attach socket.

`docker run --interactive` relays every job through one more process (the CLI) on top of the
engine; talking to the engine directly leaves only the engine's own relay. The container is
created, attached and then started, so nothing it writes can come before the attachment. Its
output arrives multiplexed: an 8-byte header (stream, 0, 0, 0, big-endian size) before each
chunk of stdout or stderr.
"""

import select
import socket
import struct
import time
from typing import Any

import docker
import docker.errors

from factory.sandbox.process import ServerFailure

_FRAME = struct.Struct(">BxxxL")
_STDOUT = 1
_STDERR_KEPT = 4000


class Demultiplexer:
    """Splits the engine's multiplexed output back into stdout (returned) and stderr (kept)."""

    def __init__(self) -> None:
        self._raw = b""  # received, not yet demultiplexed
        self.stderr = b""  # the last _STDERR_KEPT bytes the server wrote to stderr

    def feed(self, data: bytes) -> None:
        self._raw += data

    def take_stdout(self, size: int) -> bytes:
        """Up to `size` bytes of stdout from what was fed (whole or partial frames)."""
        out = []
        wanted = size
        while wanted and len(self._raw) >= _FRAME.size:
            stream, length = _FRAME.unpack_from(self._raw)
            available = len(self._raw) - _FRAME.size
            if available == 0 and length:
                break
            take = min(length, available, wanted if stream == _STDOUT else length)
            payload = self._raw[_FRAME.size : _FRAME.size + take]
            if stream == _STDOUT:
                out.append(payload)
                wanted -= take
            else:
                self.stderr = (self.stderr + payload)[-_STDERR_KEPT:]
            rest = length - take
            # What is left of this frame stays behind a header of its remaining size.
            tail = self._raw[_FRAME.size + take :]
            self._raw = (_FRAME.pack(stream, rest) + tail) if rest else tail
        return b"".join(out)


class AttachTransport:
    def __init__(
        self,
        client: docker.DockerClient,
        *,
        image: str,
        command: list[str],
        name: str,
        labels: dict[str, str],
        create: dict[str, Any],
        host_config: dict[str, Any],
    ) -> None:
        self._client = client
        api = client.api
        container = api.create_container(
            image,
            command=command,
            name=name,
            labels=labels,
            stdin_open=True,  # with detach=False: attached stdin, closed when we detach
            detach=False,
            host_config=api.create_host_config(**host_config),
            **create,
        )
        self._id = container["Id"]
        try:
            params = {"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1}
            attached = api.attach_socket(self._id, params=params)
            # A unix socket comes wrapped in a SocketIO; a TLS one is the SSL socket itself.
            # The wrapper holds the HTTP response, whose collection would close the socket.
            self._keep = attached
            self._sock: socket.socket = getattr(attached, "_sock", attached)
            api.start(self._id)
        except BaseException:
            self._remove()
            raise
        self._output = Demultiplexer()

    def send(self, data: bytes) -> None:
        self._sock.sendall(data)

    def recv(self, size: int, deadline: float) -> bytes:
        while True:
            out = self._output.take_stdout(size)
            if out:
                return out
            left = deadline - time.monotonic()
            pending = getattr(self._sock, "pending", lambda: 0)()  # TLS may hold decrypted bytes
            if not pending and (left <= 0 or not select.select([self._sock], [], [], left)[0]):
                raise ServerFailure("fork server did not answer in time")
            chunk = self._sock.recv(max(size, 1 << 16))
            if not chunk:
                return b""
            self._output.feed(chunk)

    def diagnostics(self) -> str:
        try:
            state = self._client.api.inspect_container(self._id)["State"]
        except docker.errors.APIError:
            state = {}
        if state.get("Running", True):
            return ""
        tail = self._output.stderr.decode("utf-8", "replace").strip()
        return f" (status {state.get('ExitCode')}): {tail}" if tail else ""

    def close(self) -> None:
        try:
            self._sock.shutdown(socket.SHUT_WR)  # stdin ends: the server exits by itself
        except OSError:
            pass
        self._sock.close()
        self._remove()

    def _remove(self) -> None:
        try:
            self._client.api.remove_container(self._id, force=True)
        except docker.errors.APIError:
            pass  # already gone
