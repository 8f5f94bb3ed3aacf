"""The README's records asking for work beyond pairs are accepted as written, and a record
naming a repository task keeps the name."""

import json
import re
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, select

from factory.intake.ingest import ingest_batch
from factory.models import Prompt, QuarantinedRecord
from factory.settings import FactoryConfig

README = Path(__file__).resolve().parents[3] / "README.md"


def readme_work_records() -> list[dict]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Work beyond pairs", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```json\n(.*?)```", section, re.S)
    # Each record starts on a line of its own with `{"id"`; continuation lines belong to it.
    records = re.split(r"\n(?=\{\"id\")", block.strip())
    return [json.loads(record.replace("\n", " ")) for record in records]


def test_the_readme_records_are_accepted(sqlite_engine: Engine, tmp_path: Path) -> None:
    records = readme_work_records()
    assert [r["id"] for r in records] == ["fix-1", "write-1"]
    batch = tmp_path / "work.jsonl"
    batch.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    report = ingest_batch(sqlite_engine, batch, FactoryConfig())
    assert (report.accepted, report.quarantined) == (2, 0)
    with Session(sqlite_engine) as session:
        prompts = {p.external_id: p for p in session.exec(select(Prompt))}
    assert prompts["fix-1"].subject_code.startswith("def total")
    assert prompts["write-1"].work == ["authoring"]
    assert prompts["write-1"].reference_solution == prompts["write-1"].tests == ""


def test_a_record_on_an_unknown_repository_task_is_quarantined_naming_it(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    record = {
        "id": "repo-fix-1",
        "language": "python",
        "task_type": "bug_fix",
        "prompt": "The cache forgets its size",
        "repo_task": "cachetools-0123456789ab",
    }
    batch = tmp_path / "repo.jsonl"
    batch.write_text(json.dumps(record) + "\n", encoding="utf-8")
    report = ingest_batch(sqlite_engine, batch, FactoryConfig())
    assert (report.accepted, report.quarantined) == (0, 1)
    with Session(sqlite_engine) as session:
        (refused,) = session.exec(select(QuarantinedRecord)).all()
    assert refused.external_id == "repo-fix-1" and refused.reason_code == "unknown_repo_task"
    assert "factory envs build" in refused.reason
