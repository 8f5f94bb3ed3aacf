"""The near-duplicate index in the database (factory.intake.ingest): every band key of every
accepted prompt is kept, a key two prompts share included, batches are marked by the scheme
their keys are of, and a change of scheme gives earlier batches keys of the new one."""

import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from factory.db import make_engine, migrate
from factory.intake.dedup import Banding, banding_for
from factory.intake.ingest import ingest_batch
from factory.models import BatchBanding, Prompt, PromptBand, SharedPromptBand
from factory.settings import FactoryConfig

SHARED_KEY = 12345


def _record(i: int, prompt: str) -> str:
    return json.dumps(
        {
            "id": f"r-{i}",
            "language": "python",
            "task_type": "code_generation",
            "prompt": prompt,
            "tests": f"def test_f{i}():\n    assert f{i}(1) == {i + 1}\n",
            "reference_solution": f"def f{i}(x):\n    return x + {i}\n",
        }
    )


def _distinct(i: int) -> str:
    words = "merge sort interval tree graph path cost token parser cache queue stack".split()
    # Numbered words: no shingle repeats, so one changed token leaves a Jaccard of about 0.95.
    picked = " ".join(f"{words[(i * 5 + k * k) % len(words)]}{k}" for k in range(24))
    return f"Write f{i}(x) returning x plus {i}; task {i} is about {picked} number {i * 7919} ."


def _batch(path: Path, prompts: list[str], start: int = 0) -> Path:
    path.write_text("".join(_record(start + i, p) + "\n" for i, p in enumerate(prompts)))
    return path


def _keys(engine: Engine) -> tuple[dict[int, set[int]], list[tuple[int, int]]]:
    """Prompt id -> every band key that finds it; (key, prompt id) of the shared table."""
    found: dict[int, set[int]] = {}
    with Session(engine) as session:
        first = session.exec(select(PromptBand.band_key, PromptBand.prompt_id)).all()
        shared = session.exec(select(SharedPromptBand.band_key, SharedPromptBand.prompt_id)).all()
    for key, pid in [*first, *shared]:
        found.setdefault(pid, set()).add(key)
    return found, sorted(shared)


def _expected_keys(engine: Engine, banding: Banding) -> dict[int, set[int]]:
    with Session(engine) as session:
        return {
            pid: set(banding.keys(values))
            for pid, values in session.exec(select(Prompt.id, Prompt.minhash))
            if pid is not None
        }


def test_a_band_key_prompts_share_is_kept_for_each_and_found_again(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = Banding.keys_of_rows

    def first_band_shared(self: Banding, signatures: np.ndarray) -> list[list[int]]:
        return [[SHARED_KEY, *keys[1:]] for keys in original(self, signatures)]

    monkeypatch.setattr(Banding, "keys_of_rows", first_band_shared)
    prompts = [_distinct(i) for i in range(4)]
    report = ingest_batch(sqlite_engine, _batch(tmp_path / "a.jsonl", prompts), FactoryConfig())
    assert report.accepted == 4  # sharing a band makes candidates; similarity decides

    found, shared = _keys(sqlite_engine)
    with Session(sqlite_engine) as session:
        ids = sorted(pid for pid in session.exec(select(Prompt.id)) if pid is not None)
        holder = session.get(PromptBand, SHARED_KEY)
    assert holder is not None and holder.prompt_id == ids[0]  # the first prompt holds the key
    assert shared == [(SHARED_KEY, pid) for pid in ids[1:]]
    assert all(SHARED_KEY in found[pid] and len(found[pid]) == 8 for pid in ids)

    # A near duplicate of the last prompt in a later batch is found, through every table.
    again = _batch(tmp_path / "b.jsonl", [prompts[3].replace(" .", " !")], start=10)
    report = ingest_batch(sqlite_engine, again, FactoryConfig())
    assert report.duplicates_by_kind == {"near": 1}


def test_batches_are_marked_and_a_new_scheme_indexes_earlier_batches_again(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    ingest_batch(
        sqlite_engine, _batch(tmp_path / "a.jsonl", [_distinct(0), _distinct(1)]), FactoryConfig()
    )
    default = banding_for(0.85, 128)
    with Session(sqlite_engine) as session:
        marks = {(m.batch_id, m.scheme) for m in session.exec(select(BatchBanding))}
    (first_batch,) = {batch for batch, _ in marks}
    assert marks == {(first_batch, default.scheme)}

    looser = FactoryConfig.model_validate({"intake": {"near_duplicate_threshold": 0.6}})
    other = banding_for(0.6, 128)
    assert other.scheme != default.scheme
    report = ingest_batch(sqlite_engine, _batch(tmp_path / "b.jsonl", [_distinct(2)], 10), looser)
    with Session(sqlite_engine) as session:
        marks = {(m.batch_id, m.scheme) for m in session.exec(select(BatchBanding))}
    assert marks == {
        (first_batch, default.scheme),
        (first_batch, other.scheme),
        (report.batch_id, other.scheme),
    }
    found, _ = _keys(sqlite_engine)
    default_keys, other_keys = (_expected_keys(sqlite_engine, b) for b in (default, other))
    for pid, keys in found.items():
        assert other_keys[pid] <= keys  # every prompt has keys of the new scheme
    first_ids = [pid for pid in found if len(found[pid]) > other.bands]
    assert first_ids and all(default_keys[pid] <= found[pid] for pid in first_ids)

    # Back to the default: only the batch that never had its keys is indexed.
    before = sum(len(keys) for keys in found.values())
    ingest_batch(sqlite_engine, _batch(tmp_path / "c.jsonl", [_distinct(3)], 20), FactoryConfig())
    after, _ = _keys(sqlite_engine)
    assert sum(len(keys) for keys in after.values()) == before + default.bands + default.bands


def _stored(engine: Engine) -> tuple[list[tuple[int, int]], list[tuple[int | None, str]]]:
    with Session(engine) as session:
        bands = sorted(session.exec(select(PromptBand.band_key, PromptBand.prompt_id)).all())
        prompts = session.exec(select(Prompt.id, Prompt.external_id).order_by(Prompt.id)).all()
    return bands, list(prompts)


@pytest.mark.parametrize("limit", [1, 7, 10**9])
def test_the_band_buffer_changes_no_decision_and_no_stored_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    """Keys held back until the buffer is full (or the batch ends) are found by later chunks
    exactly as keys already in the table are."""
    prompts = [_distinct(i) for i in range(6)]
    prompts += [p.replace(" .", " !") for p in prompts[:3]]  # near duplicates in later chunks
    path = _batch(tmp_path / "a.jsonl", prompts)
    config = FactoryConfig.model_validate({"intake": {"chunk_records": 2}})
    outcomes = []
    for run in ("unbuffered", "buffered"):
        monkeypatch.setattr(
            "factory.intake.band_buffer.DEFAULT_LIMIT", 0 if run == "unbuffered" else limit
        )
        engine = make_engine(f"sqlite:///{tmp_path / f'{run}.db'}")
        migrate(engine)
        report = ingest_batch(engine, path, config)
        outcomes.append((report.accepted, report.duplicates_by_kind, _stored(engine)))
        engine.dispose()
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][:2] == (6, {"near": 3})
