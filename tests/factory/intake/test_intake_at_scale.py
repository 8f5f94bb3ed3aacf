"""Intake of large batches: limits that refuse a file whole, chunked writes that decide every
record as a single pass would, and the near-duplicate index in the database
(factory.intake.ingest, factory.intake.formats.check_batch_limits)."""

import gzip
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete
from sqlmodel import Session, func, select

from factory.cli import main
from factory.db import make_engine, migrate
from factory.errors import FactoryUserError
from factory.intake.formats import check_batch_limits
from factory.intake.ingest import ingest_batch
from factory.models import (
    Batch,
    BatchBanding,
    DuplicateRecord,
    Prompt,
    PromptBand,
    QuarantinedRecord,
)
from factory.settings import FactoryConfig

DATA = Path(__file__).resolve().parents[2] / "data" / "intake"
BAD_BATCH = DATA / "bad_batch.jsonl"


def _config(**intake: object) -> FactoryConfig:
    return FactoryConfig.model_validate({"intake": intake})


def _lines(path: Path) -> list[str]:
    return path.read_bytes().decode("utf-8", "replace").splitlines()


def _valid(i: int, prompt: str | None = None) -> str:
    name = f"f{i}"
    return json.dumps(
        {
            "id": f"r-{i}",
            "language": "python",
            "task_type": "code_generation",
            "prompt": prompt or f"Write {name}(x) returning x plus {i}; record number {i} here.",
            "tests": f"def test_{name}():\n    assert {name}(1) == {i + 1}\n",
            "reference_solution": f"def {name}(x):\n    return x + {i}\n",
        }
    )


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def _outcome(engine: Engine) -> tuple[dict[int, str], dict[int, str], dict[int, tuple[str, int]]]:
    with Session(engine) as session:
        accepted = dict(session.exec(select(Prompt.line_no, Prompt.external_id)).all())
        quarantined = {
            q.line_no or 0: q.reason_code for q in session.exec(select(QuarantinedRecord))
        }
        lines = dict(session.exec(select(Prompt.id, Prompt.line_no)).all())
        duplicates = {
            d.line_no: (d.kind, lines[d.duplicate_of_prompt_id])
            for d in session.exec(select(DuplicateRecord))
        }
    return accepted, quarantined, duplicates


def test_too_many_records_refuse_the_batch_before_any_record_is_read(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join(_valid(i) for i in range(4)) + "\n\n\n")
    with pytest.raises(FactoryUserError) as refused:
        ingest_batch(sqlite_engine, path, _config(max_records=3))
    assert str(path) in str(refused.value)
    assert "more than 3 records (intake.max_records)" in str(refused.value)
    assert _count(sqlite_engine, Batch) == 0 and _count(sqlite_engine, QuarantinedRecord) == 0
    # Blank lines are not records: four records are within a limit of four.
    assert ingest_batch(sqlite_engine, path, _config(max_records=4)).accepted == 4


def test_a_gzip_bomb_is_refused_by_its_decompressed_size(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "bomb.jsonl.gz"
    with gzip.open(path, "wb") as handle:
        handle.write(_valid(1).encode() + b"\n")
        for _ in range(3):
            handle.write(b"\n" * (1 << 20))
    assert path.stat().st_size < 20_000
    with pytest.raises(FactoryUserError) as refused:
        ingest_batch(sqlite_engine, path, _config(max_decompressed_mb=2))
    message = str(refused.value)
    assert str(path) in message and "more than 2 MiB (intake.max_decompressed_mb)" in message
    assert _count(sqlite_engine, Batch) == 0 and _count(sqlite_engine, Prompt) == 0


@pytest.mark.parametrize("chunk", [1, 2, 5])
def test_small_chunks_decide_every_record_as_one_chunk_does(
    sqlite_engine: Engine, tmp_path: Path, chunk: int
) -> None:
    whole = ingest_batch(sqlite_engine, BAD_BATCH, FactoryConfig())
    expected = _outcome(sqlite_engine)
    other = tmp_path / "other.db"
    chunked_engine = make_engine(f"sqlite:///{other}")
    migrate(chunked_engine)
    chunked = ingest_batch(chunked_engine, BAD_BATCH, _config(chunk_records=chunk))
    assert _outcome(chunked_engine) == expected
    assert chunked.quarantined_by_reason == whole.quarantined_by_reason
    assert chunked.format == whole.format == "factory+humaneval+mbpp"
    with Session(chunked_engine) as session:
        reasons = session.exec(select(QuarantinedRecord.line_no, QuarantinedRecord.reason)).all()
    # Each quarantined record keeps its own reason, naming its line.
    assert all(reason.startswith(f"line {line}: ") for line, reason in reasons)
    assert len(reasons) == whole.quarantined == 17
    chunked_engine.dispose()


def test_ids_repeated_across_chunks_are_still_duplicate_ids(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "ids.jsonl"
    lines = [_valid(i) for i in range(5)] + [_valid(0, "A different prompt under a used id.")]
    path.write_text("\n".join(lines) + "\n")
    report = ingest_batch(sqlite_engine, path, _config(chunk_records=2))
    assert (report.accepted, report.quarantined) == (5, 1)
    (rejection,) = report.rejections
    assert rejection.reason_code == "duplicate_id" and "already used on line 1" in rejection.reason


def test_near_duplicates_of_an_earlier_batch_are_found_through_the_database(
    engine: Engine, tmp_path: Path
) -> None:
    original, near = _lines(BAD_BATCH)[22], _lines(BAD_BATCH)[23]  # good-6 and its rewording
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text(original + "\n" + _valid(1) + "\n")
    second.write_text(_valid(2) + "\n" + near + "\n" + _valid(1).replace("r-1", "again") + "\n")
    ingest_batch(engine, first, FactoryConfig())
    with Session(engine) as session:
        earlier = {p.external_id: p.id for p in session.exec(select(Prompt))}
        assert session.exec(select(func.count()).select_from(PromptBand)).one() > 0
    report = ingest_batch(engine, second, FactoryConfig())
    assert (report.accepted, report.duplicates) == (1, 2)
    with Session(engine) as session:
        found = {
            d.external_id: (d.kind, d.duplicate_of_prompt_id)
            for d in session.exec(select(DuplicateRecord))
        }
    assert found["good-8"][0] == "near" and found["good-8"][1] == earlier["good-6"]
    assert found["again"] == ("exact", earlier["r-1"])


def test_prompts_stored_without_band_keys_are_indexed_at_the_next_ingestion(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text(_lines(BAD_BATCH)[22] + "\n")
    second.write_text(_lines(BAD_BATCH)[23] + "\n")
    ingest_batch(sqlite_engine, first, FactoryConfig())
    with Session(sqlite_engine) as session:  # as a database from before the index existed
        session.exec(delete(PromptBand))  # type: ignore[call-overload]
        session.exec(delete(BatchBanding))  # type: ignore[call-overload]
        session.commit()
    report = ingest_batch(sqlite_engine, second, FactoryConfig())
    assert report.duplicates_by_kind == {"near": 1}


def test_a_rerun_writes_nothing_and_reports_the_first_ingestion(
    engine: Engine, tmp_path: Path
) -> None:
    config = _config(chunk_records=4)
    first = ingest_batch(engine, BAD_BATCH, config)
    counts = [_count(engine, m) for m in (Prompt, PromptBand, QuarantinedRecord, DuplicateRecord)]
    again = ingest_batch(engine, BAD_BATCH, config)
    assert again.already_ingested and not first.already_ingested
    assert (again.accepted, again.quarantined, again.duplicates) == (6, 17, 2)
    assert again.quarantined_by_reason == first.quarantined_by_reason
    assert [
        _count(engine, m) for m in (Prompt, PromptBand, QuarantinedRecord, DuplicateRecord)
    ] == counts


def test_the_command_prints_counts_and_only_the_first_reasons(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "junk.jsonl"
    path.write_text("".join(f'{{"id": "j-{i}", \n' for i in range(300)))
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["ingest", str(path), "--database-url", url]) == 0
    out = capsys.readouterr().out
    assert "received 300: accepted 0, quarantined 300, duplicates 0" in out
    assert "    malformed_json: 300" in out
    assert out.count("malformed_json: line ") == 5
    assert "    and 295 more" in out
    assert len(out.splitlines()) < 20


def test_the_command_prints_a_refused_batch_with_its_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join(_valid(i) for i in range(3)) + "\n")
    config = tmp_path / "factory.yaml"
    config.write_text("intake:\n  max_records: 2\n")
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["ingest", str(path), "--config", str(config), "--database-url", url]) == 2
    assert "more than 2 records (intake.max_records)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "records"),
    [
        (b"a" * ((1 << 20) - 1) + b"\nb", 2),  # the newline is the first block's last byte
        (b"a" * (1 << 20) + b"\n\n  \n", 1),  # a record across the block boundary, then blanks
        (b" " * (1 << 20) + b"a\n" + b"\n" * (1 << 20) + b"b", 2),
    ],
)
def test_records_are_counted_across_block_boundaries(
    tmp_path: Path, content: bytes, records: int
) -> None:
    path = tmp_path / "blocks.jsonl"
    path.write_bytes(content)
    check_batch_limits(path, max_decompressed_mb=10, max_records=records)
    with pytest.raises(FactoryUserError, match="intake.max_records"):
        check_batch_limits(path, max_decompressed_mb=10, max_records=records - 1)
