"""Migrations on SQLite: a revision that makes a table again runs while other tables' rows point
at it, and foreign keys are enforced again afterwards on every pooled connection."""

from pathlib import Path

import pytest
from migration_builders import insert_batch, insert_prompt, insert_row
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from factory.db import make_engine, migrate, run_migrations


def test_foreign_keys_are_enforced_after_migrating(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'f.db'}")
    run_migrations(engine, "0012")
    migrate(engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
        with pytest.raises(IntegrityError, match="FOREIGN KEY"):
            conn.execute(text("INSERT INTO promptband (band_key, prompt_id) VALUES (1, 999)"))
    engine.dispose()


def test_a_database_with_candidates_upgrades_through_revisions_that_remake_prompt(
    tmp_path: Path,
) -> None:
    """Revisions 0011 and 0013 make the prompt table again; candidates pointing at its rows
    used to make SQLite refuse to drop the old table (FOREIGN KEY constraint failed)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    run_migrations(engine, "0010")
    insert_batch(engine)
    insert_prompt(engine, 1, minhash="[1, 2]")
    insert_row(engine, "candidate", id=1, prompt_id=1, batch_id="b", sample_index=0)
    migrate(engine)
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT candidate.id, prompt.minhash FROM candidate "
                "JOIN prompt ON prompt.id = candidate.prompt_id"
            )
        ).one()
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
    assert row[0] == 1 and len(bytes(row[1])) == 8  # two values, signed again by 0015
    engine.dispose()
