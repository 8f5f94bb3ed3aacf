"""`factory ingest PATH`: ingests without Dagster and prints the report (factory.cli.ingest)."""

from pathlib import Path

import pytest

from factory.cli import main

DATA = Path(__file__).resolve().parents[2] / "data" / "intake"


def test_ingest_prints_counts_and_the_first_quarantined_records(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["ingest", str(DATA / "bad_batch.jsonl"), "--database-url", url]) == 0
    out = capsys.readouterr().out
    assert "received 25: accepted 6, quarantined 17, duplicates 2" in out
    assert "duplicates by kind: exact 1, near 1" in out
    assert "    malformed_json: 1" in out
    assert "    language_not_enabled: 1" in out
    assert "malformed_json: line 2: the line is not valid JSON" in out
    assert "unknown_language" in out and "line 8:" in out  # the fifth quarantined line
    assert "line 10: language 'swift' is not enabled" not in out  # the sixth is not printed
    assert "    and 12 more" in out
    assert main(["ingest", str(DATA / "bad_batch.jsonl"), "--database-url", url]) == 0
    assert "already ingested, nothing written" in capsys.readouterr().out


def test_missing_file_exits_2_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["ingest", str(tmp_path / "nope.jsonl"), "--database-url", url]) == 2
    assert "does not exist" in capsys.readouterr().out
