"""Revision 0005 on a database that already holds review data, on SQLite and PostgreSQL: tasks
get their prompt's task type, reviewers who were already judging become active in every task
type of their languages (recorded as grandfathered), and the revision downgrades cleanly."""

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect, text

from factory.db import MIGRATIONS_DIR, make_engine
from factory.vocab import TaskType

REPO_ROOT = Path(__file__).resolve().parents[3]
PG_ADMIN_URL = os.environ.get(
    "FACTORY_TEST_PG_URL", "postgresql+psycopg2://factory:factory@127.0.0.1:5432/factory"
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
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


def _migrate(engine: Engine, revision: str, *, down: bool = False) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(cfg, revision)


def _insert(engine: Engine, table: str, **values: object) -> None:
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


def _seed_before_pools(engine: Engine) -> None:
    _insert(engine, "batch", id="b", content_sha256="0" * 64)
    _insert(
        engine,
        "prompt",
        id=1,
        batch_id="b",
        language="python",
        task_type="bug_fix",
        normalized_sha256="1" * 64,
        minhash="[]",
    )
    for candidate_id in (1, 2):
        _insert(
            engine,
            "candidate",
            id=candidate_id,
            prompt_id=1,
            batch_id="b",
            sample_index=candidate_id,
        )
    _insert(
        engine,
        "reviewtask",
        batch_id="b",
        prompt_id=1,
        candidate_a_id=1,
        candidate_b_id=2,
        language="python",
        status="open",
    )
    _insert(engine, "reviewer", username="old", languages='["python", "go"]', active=True)


def test_0005_fills_task_types_grandfathers_reviewers_and_downgrades(empty_engine):
    _migrate(empty_engine, "0004")
    _seed_before_pools(empty_engine)
    _migrate(empty_engine, "0005")
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT task_type FROM reviewtask")).scalar_one() == "bug_fix"
        rows = conn.execute(
            text("SELECT language, task_type, status FROM poolmembership ORDER BY id")
        ).all()
        events = conn.execute(text("SELECT DISTINCT event FROM poolevent")).scalars().all()
    assert len(rows) == 2 * len(TaskType) and {r.status for r in rows} == {"active"}
    assert {r.language for r in rows} == {"python", "go"}
    assert events == ["grandfathered"]
    _migrate(empty_engine, "0004", down=True)
    tables = set(inspect(empty_engine).get_table_names())
    assert not tables & {"golditem", "goldanswer", "poolmembership", "poolevent"}
    columns = {c["name"] for c in inspect(empty_engine).get_columns("reviewtask")}
    assert "task_type" not in columns
