"""Migrations on SQLite: a revision that makes a table again runs while other tables' rows point
at it, and foreign keys are enforced again afterwards on every pooled connection."""

from pathlib import Path

import pytest
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
