"""A batch with NUL, lone-surrogate, control-character and near-duplicate lines ingests on SQLite
and PostgreSQL with every line accounted for, through the library, `factory.cli.main` and the
`factory` command; a record the database still refuses is quarantined alone."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from factory.cli import main
from factory.intake import formats
from factory.intake.ingest import IntakeReport, ingest_batch
from factory.models import Batch, DuplicateRecord, Prompt, QuarantinedRecord
from factory.settings import FactoryConfig

FACTORY_COMMAND = Path(sys.executable).with_name("factory")


def _record(rid: str, prompt: str, **fields: object) -> dict:
    return {
        "id": rid,
        "language": "python",
        "task_type": "code_generation",
        "prompt": prompt,
        "tests": "def test_it():\n    assert add(1, 2) == 3\n",
        "reference_solution": "def add(a, b):\n    return a + b\n",
        "entry_point": "add",
        **fields,
    }


def _line(record: dict) -> bytes:
    return json.dumps(record).encode() + b"\n"


ADD = "Write add(a, b) that returns the sum."
LINES: list[bytes] = [
    _line(_record("add-1", ADD)),  # 1
    _line(_record("add-2", "Write  add(a,b)  that returns the sum.")),  # 2: near duplicate of 1
    _line(_record("nul-prompt", "Write add(a, b)\u0000 that returns the sum twice.")),  # 3
    _line(_record("surrogate-tests", "Write add3(a, b, c).", tests="\ud800assert x")),  # 4
    _line(_record("raw-nul", "Write sub(a, b).")).replace(b"sub(a, b)", b"sub(a,\x00b)"),  # 5
    _line(_record("bad\u0000id", "Write neg(a).")),  # 6
    _line(_record("meta", "Write mul(a, b).", metadata={"tags": ["ok", "b\u0001"]})),  # 7
    b'{"id": "broken", \x00 "prompt": "x"}\n',  # 8: a raw NUL between fields: not JSON
    _line(_record("tabs", "Write\tdiv(a, b)\r\nthat divides a by b.")),  # 9
    _line(_record("lone-low", "Write half(a).", metadata={"note": "\udc80"})),  # 10
    _line(_record("add-3", "Write add(a, b)\nthat returns the sum .")),  # 11: near duplicate
]
ACCEPTED = {1: "add-1", 9: "tabs"}
DUPLICATES = {2: "add-1", 11: "add-1"}
QUARANTINED = {
    3: ("control_character", "field 'prompt' has U+0000 (NUL) at offset 15"),
    4: ("control_character", "field 'tests' has U+D800 (lone surrogate) at offset 0"),
    5: ("control_character", "field 'prompt' has U+0000 (NUL) at offset 12"),
    6: ("control_character", "field 'id' has U+0000 (NUL) at offset 3"),
    7: ("control_character", "field 'metadata.tags[1]' has U+0001 (control character) at offset 1"),
    8: ("malformed_json", "the line is not valid JSON"),
    10: ("control_character", "field 'metadata.note' has U+DC80 (lone surrogate) at offset 0"),
}


@pytest.fixture
def batch_file(tmp_path: Path) -> Path:
    path = tmp_path / "unstorable.jsonl"
    path.write_bytes(b"".join(LINES))
    return path


def _database_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _assert_every_line_accounted_for(engine: Engine, report: IntakeReport | None = None) -> None:
    with Session(engine) as session:
        (batch,) = session.exec(select(Batch)).all()
        accepted = dict(session.exec(select(Prompt.line_no, Prompt.external_id)).all())
        ids = dict(session.exec(select(Prompt.id, Prompt.external_id)).all())
        duplicates = {
            d.line_no: ids[d.duplicate_of_prompt_id] for d in session.exec(select(DuplicateRecord))
        }
        quarantined = session.exec(
            select(QuarantinedRecord).order_by(col(QuarantinedRecord.line_no))
        ).all()
    assert (batch.received, batch.accepted, batch.quarantined, batch.duplicates) == (11, 2, 7, 2)
    assert batch.received == batch.accepted + batch.quarantined + batch.duplicates
    assert accepted == ACCEPTED and duplicates == DUPLICATES
    assert {q.line_no for q in quarantined} == set(QUARANTINED)
    for row in quarantined:
        code, reason = QUARANTINED[row.line_no or 0]
        assert row.reason_code == code
        assert row.reason.startswith(f"line {row.line_no}: {reason}"), row.reason
        assert row.raw_text  # kept for a person to fix, storable on both databases
    by_line = {q.line_no: q for q in quarantined}
    # A raw NUL byte is stored escaped and marked; a JSON escape is plain ASCII as received.
    assert "sub(a,\\x00b)" in by_line[5].raw_text and by_line[5].raw_escaped
    assert "\\u0000" in by_line[3].raw_text and not by_line[3].raw_escaped
    assert '{"id": "broken", \\x00 "prompt"' in by_line[8].raw_text and by_line[8].raw_escaped
    assert by_line[6].external_id == "bad\\x00id" and by_line[6].raw_escaped
    if report is not None:
        assert (report.received, report.accepted, report.quarantined, report.duplicates) == (
            11,
            2,
            7,
            2,
        )
        assert report.quarantined_by_reason == {"control_character": 6, "malformed_json": 1}


def test_a_batch_of_unstorable_lines_ingests_on_both_databases(
    engine: Engine, batch_file: Path
) -> None:
    report = ingest_batch(engine, batch_file, FactoryConfig())
    _assert_every_line_accounted_for(engine, report)
    with Session(engine) as session:
        tabs = session.exec(select(Prompt).where(Prompt.external_id == "tabs")).one()
    assert tabs.prompt == "Write\tdiv(a, b)\r\nthat divides a by b."

    again = ingest_batch(engine, batch_file, FactoryConfig())
    assert again.already_ingested
    _assert_every_line_accounted_for(engine, again)


def test_cli_main_ingests_it_and_prints_each_reason(
    engine: Engine, batch_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ingest", str(batch_file), "--database-url", _database_url(engine)]) == 0
    out = capsys.readouterr().out
    assert "received 11: accepted 2, quarantined 7, duplicates 2" in out
    assert "duplicates by kind: near 2" in out
    assert "control_character [nul-prompt]: line 3: field 'prompt' has U+0000 (NUL)" in out
    assert "control_character [bad\\x00id]: line 6: field 'id' has U+0000 (NUL) at offset 3" in out
    _assert_every_line_accounted_for(engine)


def test_the_factory_command_ingests_it_against_the_database_in_the_environment(
    engine: Engine, batch_file: Path, tmp_path: Path
) -> None:
    env = {**os.environ, "FACTORY_DATABASE_URL": _database_url(engine)}
    for attempt in ("ingested", "already ingested, nothing written"):
        done = subprocess.run(
            [str(FACTORY_COMMAND), "ingest", str(batch_file)],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert attempt in done.stdout
        assert "received 11: accepted 2, quarantined 7, duplicates 2" in done.stdout
        assert "Traceback" not in done.stderr
        _assert_every_line_accounted_for(engine)


def test_a_record_the_database_still_refuses_is_quarantined_alone(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without the intake check, the database itself meets the lone surrogate: neither psycopg2
    # nor sqlite3 can encode it. That record alone is rolled back and quarantined.
    monkeypatch.setattr(formats, "check_control_characters", lambda record, record_id: None)
    path = tmp_path / "refused.jsonl"
    path.write_bytes(
        _line(_record("first", ADD))
        + _line(_record("refused", "Write twice(a).", source="team \ud800"))
        + _line(_record("last", "Write is_even(n) that tells whether n is even."))
    )
    report = ingest_batch(engine, path, FactoryConfig())
    assert (report.received, report.accepted, report.quarantined) == (3, 2, 1)
    with Session(engine) as session:
        assert sorted(session.exec(select(Prompt.external_id)).all()) == ["first", "last"]
        (row,) = session.exec(select(QuarantinedRecord)).all()
    assert (row.line_no, row.external_id, row.reason_code) == (2, "refused", "database_rejected")
    assert row.reason.startswith("line 2: the database refused the record: UnicodeEncodeError")
    assert "surrogates not allowed" in row.reason
    assert ingest_batch(engine, path, FactoryConfig()).already_ingested


@pytest.mark.postgres
def test_postgres_refuses_a_nul_that_sqlite_would_keep(
    pg_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(formats, "check_control_characters", lambda record, record_id: None)
    path = tmp_path / "nul.jsonl"
    path.write_bytes(_line(_record("nul", "Write add(a, b)\u0000.")) + _line(_record("fine", ADD)))
    report = ingest_batch(pg_engine, path, FactoryConfig())
    assert (report.accepted, report.quarantined) == (1, 1)
    (rejection,) = report.rejections
    assert rejection.reason_code == "database_rejected"
    assert "cannot contain NUL" in rejection.reason
