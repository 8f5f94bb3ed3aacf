"""Ingesting whole batches into the database on SQLite and PostgreSQL (factory.intake.ingest)."""

import gzip
import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from factory.errors import FactoryUserError
from factory.intake.ingest import ingest_batch
from factory.models import (
    Batch,
    ContaminationFlag,
    DuplicateRecord,
    Prompt,
    QuarantinedRecord,
    ScrubEvent,
)
from factory.samples import humaneval_path
from factory.settings import FactoryConfig

DATA = Path(__file__).resolve().parents[2] / "data" / "intake"
BAD_BATCH = DATA / "bad_batch.jsonl"
MBPP_SAMPLE = DATA / "mbpp_sample.jsonl"

# line -> reason code of every bad record in bad_batch.jsonl (line 7 is blank).
EXPECTED_QUARANTINE = {
    2: "malformed_json",
    3: "not_an_object",
    5: "missing_field",
    6: "empty_field",
    8: "unknown_language",
    10: "language_not_enabled",
    11: "unknown_task_type",
    13: "duplicate_id",
    15: "oversize_field",
    16: "undecodable",
    17: "tests_syntax_error",
    19: "reference_syntax_error",
    20: "entry_point_not_defined",
    21: "wrong_type",
    22: "tests_without_assertions",
    25: "unknown_format",
    26: "tests_without_check",
}
EXPECTED_DUPLICATES = {12: ("exact", "good-1"), 24: ("near", "good-6")}
EXPECTED_ACCEPTED = {
    1: "good-1",
    4: "good-2",
    9: "good-3",
    14: "Local/1",
    18: "MBPP/901",
    23: "good-6",
}


def _count(session: Session, model: type, **where: object) -> int:
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return session.exec(query).one()


def test_bad_batch_accepts_every_good_record_and_quarantines_every_bad_one(
    engine: Engine,
) -> None:
    report = ingest_batch(engine, BAD_BATCH, FactoryConfig())
    assert report.received == 25
    assert report.received == report.accepted + report.quarantined + report.duplicates
    assert (report.accepted, report.quarantined, report.duplicates) == (6, 17, 2)
    assert report.format == "factory+humaneval+mbpp"
    with Session(engine) as session:
        accepted = session.exec(select(Prompt.line_no, Prompt.external_id)).all()
        assert dict(accepted) == EXPECTED_ACCEPTED
        quarantined = session.exec(select(QuarantinedRecord)).all()
        assert {q.line_no: q.reason_code for q in quarantined} == EXPECTED_QUARANTINE
        for row in quarantined:
            assert row.batch_id == report.batch_id and row.stage == "intake"
            assert row.reason.startswith(f"line {row.line_no}: ")
            assert row.raw_text  # the record is kept whole for a person to fix
        undecodable = next(q for q in quarantined if q.reason_code == "undecodable")
        assert "caf\ufffd" in undecodable.raw_text
        duplicates = session.exec(select(DuplicateRecord)).all()
        originals = dict(session.exec(select(Prompt.id, Prompt.external_id)).all())
        assert {
            d.line_no: (d.kind, originals[d.duplicate_of_prompt_id]) for d in duplicates
        } == EXPECTED_DUPLICATES
        near = next(d for d in duplicates if d.kind == "near")
        assert 0.85 <= near.similarity < 1.0
    assert report.quarantined_by_reason == {
        code: list(EXPECTED_QUARANTINE.values()).count(code)
        for code in sorted(set(EXPECTED_QUARANTINE.values()))
    }
    assert [r.line_no for r in report.rejections] == sorted(EXPECTED_QUARANTINE)


def test_scrub_events_are_recorded_and_prompt_text_cleaned(engine: Engine) -> None:
    report = ingest_batch(engine, BAD_BATCH, FactoryConfig())
    assert (report.scrubbed_prompts, report.scrub_events) == (1, 4)
    with Session(engine) as session:
        prompt = session.exec(select(Prompt).where(Prompt.external_id == "good-3")).one()
        assert "github.com" not in prompt.prompt and "9fceb02" not in prompt.prompt
        assert "PR #17" not in prompt.prompt and "issue #42" not in prompt.tests
        events = session.exec(select(ScrubEvent).where(ScrubEvent.prompt_id == prompt.id)).all()
        assert sorted((e.field_name, e.kind) for e in events) == [
            ("prompt", "commit_hash"),
            ("prompt", "pr_ref"),
            ("prompt", "repo_url"),
            ("tests", "issue_ref"),
        ]


def test_humaneval_sample_is_accepted_whole_and_flagged_not_quarantined(engine: Engine) -> None:
    report = ingest_batch(engine, humaneval_path(), FactoryConfig())
    assert (report.received, report.accepted, report.quarantined, report.duplicates) == (
        164,
        164,
        0,
        0,
    )
    assert report.contaminated == 164 and report.format == "humaneval"
    assert report.scrub_events == 0  # digests and binary strings in the tasks are not leaks
    with Session(engine) as session:
        assert _count(session, Prompt, contaminated=True, status="accepted") == 164
        assert _count(session, ContaminationFlag, benchmark="humaneval") == 164
        first = session.exec(select(Prompt).where(Prompt.external_id == "HumanEval/0")).one()
        assert first.test_style == "check" and first.entry_point == "has_close_elements"
        namespace: dict = {}
        exec(first.reference_solution + "\n" + first.tests, namespace)  # trusted sample data
        namespace["check"](namespace[first.entry_point])


def test_mbpp_style_file_is_accepted(engine: Engine) -> None:
    report = ingest_batch(engine, MBPP_SAMPLE, FactoryConfig())
    assert (report.accepted, report.quarantined, report.duplicates) == (5, 0, 0)
    with Session(engine) as session:
        rows = session.exec(select(Prompt).order_by(Prompt.line_no)).all()
        assert [r.external_id for r in rows] == [f"MBPP/{n}" for n in range(1001, 1006)]
        assert [r.entry_point for r in rows] == [
            "list_product",
            "count_upper",
            "is_square",
            "merge_dicts",
            "total",
        ]
        assert all(r.test_style == "pytest" and r.licence == "CC-BY-4.0" for r in rows)
        assert not any(r.contaminated for r in rows)


def test_reingesting_the_same_content_is_a_no_op(engine: Engine, tmp_path: Path) -> None:
    first = ingest_batch(engine, BAD_BATCH, FactoryConfig())
    renamed = tmp_path / "renamed.jsonl"
    shutil.copyfile(BAD_BATCH, renamed)
    again = ingest_batch(engine, renamed, FactoryConfig())
    assert again.already_ingested and not first.already_ingested
    again.already_ingested = False
    assert again == first
    with Session(engine) as session:
        assert _count(session, Batch) == 1
        assert _count(session, Prompt) == 6
        assert _count(session, QuarantinedRecord) == 17


def test_later_batch_duplicates_point_at_earlier_batches(engine: Engine, tmp_path: Path) -> None:
    ingest_batch(engine, MBPP_SAMPLE, FactoryConfig())
    records = [json.loads(line) for line in MBPP_SAMPLE.read_text().splitlines()]
    records[0]["task_id"] = 2001  # same text, new id: an exact duplicate across batches
    records[1]["task_id"] = 2002
    records[1]["text"] = records[1]["text"].upper()
    records[2]["task_id"] = 2003
    records[2]["text"] = "Write a function to compute the greatest common divisor of two integers."
    later = tmp_path / "later.jsonl"
    later.write_text("".join(json.dumps(r) + "\n" for r in records[:3]))
    report = ingest_batch(engine, later, FactoryConfig())
    assert (report.accepted, report.duplicates) == (1, 2)
    with Session(engine) as session:
        duplicates = session.exec(select(DuplicateRecord).order_by(DuplicateRecord.line_no)).all()
        targets = [session.get(Prompt, d.duplicate_of_prompt_id) for d in duplicates]
        assert [t.external_id for t in targets] == ["MBPP/1001", "MBPP/1002"]
        assert {t.batch_id for t in targets} != {report.batch_id}


def test_truncated_file_keeps_good_lines_and_quarantines_the_rest(
    engine: Engine, tmp_path: Path
) -> None:
    records = [json.loads(line) for line in MBPP_SAMPLE.read_text().splitlines()]
    body = b"".join(
        json.dumps(
            {**records[i % 5], "task_id": 5000 + i, "text": f"Task number {i}: " * 3}
        ).encode()
        + b"\n"
        for i in range(400)
    )
    data = gzip.compress(body)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: int(len(data) * 0.7)])
    report = ingest_batch(engine, path, FactoryConfig())
    assert report.quarantined_by_reason.get("unreadable_file") == 1
    assert report.accepted > 0
    assert report.received == report.accepted + report.quarantined + report.duplicates


def test_missing_file_is_a_user_error(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(FactoryUserError, match="does not exist"):
        ingest_batch(engine, tmp_path / "nope.jsonl", FactoryConfig())


def test_failure_mid_batch_writes_nothing(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from factory.intake import prepare  # the per-record work of ingestion

    calls = {"n": 0}
    real = prepare.find_contamination

    def failing(text: str, settings: object, **fields: str) -> list:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk on fire")
        return real(text, settings, **fields)

    monkeypatch.setattr(prepare, "find_contamination", failing)
    with pytest.raises(RuntimeError):
        ingest_batch(engine, MBPP_SAMPLE, FactoryConfig())
    with Session(engine) as session:
        assert _count(session, Batch) == 0 and _count(session, Prompt) == 0
