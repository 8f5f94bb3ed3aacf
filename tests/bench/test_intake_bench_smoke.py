"""bench/intake_bench.py: its synthetic records are what they claim to be, and a tiny run prints
rate and memory for every case, with the bomb refused by the size limit."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from factory.errors import RecordError
from factory.intake.formats import parse_line
from factory.intake.records import RawLine
from factory.intake.validate import validate
from factory.settings import IntakeSettings

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "bench" / "intake_bench.py"


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("intake_bench", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["intake_bench"] = module
    spec.loader.exec_module(module)
    return module


def _verdict(line: str) -> str:
    try:
        validate(parse_line(RawLine(1, line.encode()), max_line_bytes=10_000), IntakeSettings())
    except RecordError as error:
        return error.code
    return "valid"


def test_valid_records_are_valid_and_distinct_and_junk_is_refused() -> None:
    import random

    bench = load_bench()
    rng = random.Random(0)
    records = [bench.valid_record(i, "tok", rng) for i in range(20)]
    assert {_verdict(json.dumps(record)) for record in records} == {"valid"}
    assert len({record["prompt"] for record in records}) == 20
    assert [_verdict(bench.junk_line(i)) for i in range(4)] == [
        "malformed_json",
        "missing_field",
        "not_an_object",
        "tests_without_assertions",
    ]


def test_a_tiny_run_prints_every_case() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--sizes", "30", "--junk", "20", "--bomb-mb", "3"]
        + ["--max-decompressed-mb", "2"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "valid 30: 30 records in" in out and "30 accepted" in out, out
    assert "junk 20: 20 records in" in out and "20 quarantined" in out, out
    assert "peak RSS" in out and "/s," in out
    assert "bomb 3 MiB: 0 records" in out
    assert "refused: batch file" in out and "more than 2 MiB (intake.max_decompressed_mb)" in out
