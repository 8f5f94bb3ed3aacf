"""Revision 0003 on a database that already holds data, on SQLite and PostgreSQL: the escape flags
arrive false, earlier prompts' signatures are taken again over code-aware tokens, and the
revision downgrades cleanly."""

import json
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
from factory.intake.dedup import signature, stored_signature
from factory.settings import IntakeSettings

REPO_ROOT = Path(__file__).resolve().parents[3]
PG_ADMIN_URL = os.environ.get(
    "FACTORY_TEST_PG_URL", "postgresql+psycopg2://factory:factory@127.0.0.1:5432/factory"
)
PROMPT = "Write  add(a,b)  that returns the sum."


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a database with no schema at all."""
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


def _columns(engine: Engine, table: str) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns(table)}


def test_revision_0003_flags_old_rows_false_and_recomputes_signatures(
    empty_engine: Engine,
) -> None:
    _migrate(empty_engine, "0002")
    with empty_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO batch (id, source_path, content_sha256, format, received,"
                " accepted, quarantined, duplicates, contaminated, config, created_at)"
                " VALUES ('b', 'b.jsonl', 'sha', 'factory', 2, 1, 1, 0, 0, '{}',"
                " CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO prompt (batch_id, external_id, line_no, language, task_type, prompt,"
                " tests, entry_point, test_style, reference_solution, licence, source, metadata,"
                " normalized_sha256, minhash, status, contaminated, created_at) VALUES ('b', 'p',"
                " 1, 'python', 'code_generation', :prompt, 't', 'add', 'pytest', 'r', '', '',"
                " '{}', 'x', :old, 'accepted', false, CURRENT_TIMESTAMP)"
            ),
            {"prompt": PROMPT, "old": str(list(range(128)))},
        )
        conn.execute(
            text(
                "INSERT INTO quarantinedrecord (batch_id, stage, line_no, reason_code, reason,"
                " raw_text, created_at) VALUES ('b', 'intake', 2, 'malformed_json', 'r', 'x',"
                " CURRENT_TIMESTAMP)"
            )
        )

    _migrate(empty_engine, "0003")

    for table in ("executionrun", "testresult"):
        assert "output_escaped" in _columns(empty_engine, table)
    with empty_engine.connect() as conn:
        flag = conn.execute(text("SELECT raw_escaped FROM quarantinedrecord")).scalar_one()
        stored = conn.execute(text("SELECT minhash FROM prompt")).scalar_one()
    assert flag in (False, 0)
    values = stored if isinstance(stored, list) else json.loads(stored)
    assert values == stored_signature(signature(PROMPT, IntakeSettings()))

    _migrate(empty_engine, "0002", down=True)
    assert "raw_escaped" not in _columns(empty_engine, "quarantinedrecord")
    assert "output_escaped" not in _columns(empty_engine, "executionrun")
