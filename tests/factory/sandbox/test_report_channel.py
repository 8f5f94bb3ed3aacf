"""The program report channel as the server reads it: only lines carrying this run's secret count,
a candidate's partial line cannot swallow the harness's next one, and the closing line must agree
with the number of tests that reached the channel."""

import json
import os

from factory.sandbox.server import ReportChannel

SECRET = b"s3cr3t"


def read_all(*chunks: bytes) -> ReportChannel:
    read_end, write_end = os.pipe()
    channel = ReportChannel(read_end, SECRET)
    for chunk in chunks:
        os.write(write_end, chunk)
        assert channel.read()
    os.close(write_end)
    while channel.read():
        pass
    os.close(read_end)
    return channel


def line(record: dict[str, object]) -> bytes:
    return SECRET + b" " + json.dumps(record).encode() + b"\n"


def test_lines_without_the_secret_are_foreign_and_ignored() -> None:
    channel = read_all(
        b'{"t": "fake", "o": "passed"}\n',
        b'wrong {"end": 0}\n',
        line({"t": "adds", "o": "passed"}),
        line({"end": 1}),
    )
    assert [t[:2] for t in channel.tests] == [["adds", "passed"]]
    assert channel.complete and channel.error is None
    assert channel.foreign_lines == 2


def test_a_partial_line_left_by_the_candidate_does_not_cost_the_harness_its_line() -> None:
    channel = read_all(
        b"junk without a newline", line({"t": "adds", "o": "failed"}), line({"end": 1})
    )
    assert [t[:2] for t in channel.tests] == [["adds", "failed"]]
    assert channel.complete and channel.error is None


def test_a_closing_line_that_disagrees_with_the_tests_seen_is_a_report_error() -> None:
    channel = read_all(line({"t": "adds", "o": "passed"}), line({"end": 2}))
    assert channel.complete
    assert channel.error == "the harness closed its report after 2 tests but 1 reached the channel"


def test_nothing_after_the_closing_line_counts() -> None:
    channel = read_all(line({"end": 0}), line({"t": "late", "o": "passed"}))
    assert channel.tests == [] and channel.complete
