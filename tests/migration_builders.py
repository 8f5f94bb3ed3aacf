"""Databases at an earlier revision, for tests of a migration on data that already exists."""

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text

from factory.db import make_engine, run_migrations
from factory.intake.ingest import IntakeReport, ingest_batch
from factory.settings import FactoryConfig

REPO_ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get(
    "FACTORY_TEST_PG_URL", "postgresql+psycopg2://factory:factory@127.0.0.1:5432/factory"
)


# A prompt stored before a migration; `ingest_rewording` sends a near duplicate of it.
PROMPT = (
    "Write a function add(a, b) that returns the sum of the two integers a and b given. It must "
    "work for negative numbers, for zero, and for very large values without overflow, and it "
    "must not print anything at all."
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a database with no schema at all, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield engine
        engine.dispose()
        return
    subprocess.run(["bash", str(REPO_ROOT / "scripts" / "ensure-postgres.sh")], check=True)
    admin = make_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    name = f"factory_mig_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def migrate_to(engine: Engine, revision: str, *, down: bool = False) -> None:
    run_migrations(engine, revision, down=down)


def columns_of(engine: Engine, table: str) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns(table)}


def insert_row(engine: Engine, table: str, **values: object) -> None:
    """A row with the given values and a plain value in every other required column, so the
    seed does not depend on every column the earlier revisions defined."""
    for column in inspect(engine).get_columns(table):
        name = column["name"]
        if name in values or column["nullable"] or column.get("default") is not None:
            continue
        if name == "id":
            continue
        kind = str(column["type"]).upper()
        if any(word in kind for word in ("INT", "FLOAT", "DOUBLE", "NUMERIC", "REAL")):
            values[name] = 0
        elif "BOOL" in kind:
            values[name] = False
        elif "JSON" in kind:
            values[name] = "{}"
        elif "TIME" in kind or "DATE" in kind:
            values[name] = "2025-01-01 00:00:00"
        else:
            values[name] = ""
    names = ", ".join(values)
    marks = ", ".join(f":{name}" for name in values)
    with engine.begin() as conn:
        conn.execute(text(f"INSERT INTO {table} ({names}) VALUES ({marks})"), values)


def insert_batch(engine: Engine, batch_id: str = "b") -> None:
    insert_row(engine, "batch", id=batch_id, content_sha256=batch_id.ljust(64, "0"))


def insert_prompt(
    engine: Engine, prompt_id: int, *, batch_id: str = "b", minhash: str = "[]", **values: object
) -> None:
    """A Python code-generation prompt of `batch_id`, as revisions before 0013 stored it (its
    signature as JSON text); `values` set or override other columns."""
    row: dict[str, object] = {
        "language": "python",
        "task_type": "code_generation",
        "normalized_sha256": str(prompt_id) * 64,
    }
    insert_row(engine, "prompt", id=prompt_id, batch_id=batch_id, minhash=minhash, **(row | values))


def ingest_rewording(engine: Engine, folder: Path) -> IntakeReport:
    """Ingest one record whose prompt is PROMPT with its last full stop made an exclamation
    mark: a near duplicate of PROMPT, which the band index must find."""
    record = {
        "id": "again",
        "language": "python",
        "task_type": "code_generation",
        "prompt": PROMPT.replace("at all.", "at all!"),
        "tests": "def test_add():\n    assert add(1, 2) == 3\n",
        "reference_solution": "def add(a, b):\n    return a + b\n",
        "entry_point": "add",
    }
    batch = folder / "next.jsonl"
    batch.write_text(json.dumps(record) + "\n")
    return ingest_batch(engine, batch, FactoryConfig())
