"""Intake's `work` and `code` fields: which kinds a record asks for, the code the work is on, and
what an authoring record may leave out (factory.intake.formats, factory.intake.ingest)."""

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from factory.errors import RecordError
from factory.intake.formats import adapt
from factory.intake.ingest import ingest_batch
from factory.models import Prompt, QuarantinedRecord
from factory.settings import FactoryConfig

TESTS = "from solution import inc\n\ndef test_inc():\n    assert inc(1) == 2\n"
REFERENCE = "def inc(x):\n    return x + 1\n"


def record(record_id: str, **fields: Any) -> dict[str, Any]:
    base = {
        "id": record_id,
        "language": "python",
        "task_type": "code_generation",
        "prompt": f"Write inc(x), which returns x plus one ({record_id}).",
        "tests": TESTS,
        "reference_solution": REFERENCE,
        "entry_point": "inc",
    }
    base.update(fields)
    return {name: value for name, value in base.items() if value is not None}


def ingest(engine: Engine, folder: Path, *records: dict[str, Any]):  # type: ignore[no-untyped-def]
    folder.mkdir(exist_ok=True)
    path = folder / "work.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return ingest_batch(engine, path, FactoryConfig())


def test_work_and_code_are_kept_and_an_unknown_kind_is_quarantined_by_name(
    engine: Engine, tmp_path: Path
) -> None:
    report = ingest(
        engine,
        tmp_path,
        record("fix-1", work="Bug_Fix", code="def inc(x):\r\n    return x\r\n"),
        record("odd-1", work=["ranking", "juggling"]),
        record("author-1", work=["authoring"], tests=None, reference_solution=None),
        record("plain-1"),
    )

    assert (report.accepted, report.quarantined) == (3, 1)
    with Session(engine) as session:
        prompts = {p.external_id: p for p in session.scalars(select(Prompt))}
        (quarantined,) = session.scalars(select(QuarantinedRecord)).all()
    assert (quarantined.reason_code, quarantined.external_id) == ("unknown_work", "odd-1")
    assert quarantined.line_no == 2 and "'juggling'" in quarantined.reason
    assert '"odd-1"' in quarantined.raw_text  # the record kept whole for a person to fix
    fix = prompts["fix-1"]
    assert fix.work == ["bug_fix"] and fix.subject_code == "def inc(x):\n    return x\n"
    # An authoring-only record may leave out the reference and the tests: they are the work.
    author = prompts["author-1"]
    assert (author.work, author.tests, author.reference_solution) == (["authoring"], "", "")
    assert (prompts["plain-1"].work, prompts["plain-1"].subject_code) == ([], "")


@pytest.mark.parametrize(
    ("fields", "code", "named"),
    [
        # Work other than authoring needs a reference solution, as any record does.
        ({"work": ["bug_fix"], "code": "def inc(x):\n    return x\n"}, "missing_field", ""),
        ({"work": ["reasoning"], "reference_solution": "  "}, "empty_field", ""),
        # With authoring among other work, the tests stay: the other work is checked on them.
        ({"work": ["authoring", "reasoning"], "tests": None}, "missing_field", "tests"),
        ({"work": 3}, "wrong_type", "work"),
        ({"work": ["ranking", 2]}, "wrong_type", "work"),
        ({"code": ["def inc(x): ..."]}, "wrong_type", "code"),
        ({"work": "grading"}, "unknown_work", "grading"),
    ],
)
def test_records_that_ask_for_work_wrongly_are_refused_with_the_reason(
    fields: dict[str, Any], code: str, named: str
) -> None:
    data = record("r-7", **fields)
    if code == "missing_field" and not named:
        data.pop("reference_solution")
        named = "reference_solution"
    with pytest.raises(RecordError) as caught:
        adapt(data)
    assert caught.value.code == code
    assert caught.value.record_id == "r-7"
    assert named in caught.value.reason


def test_authoring_with_other_work_may_leave_out_only_the_reference() -> None:
    adapted = adapt(record("a-2", work=["authoring", "reasoning"], reference_solution=None))
    assert adapted.work == ["authoring", "reasoning"]
    assert adapted.reference_solution == "" and adapted.tests == TESTS
