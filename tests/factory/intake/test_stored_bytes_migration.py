"""Revision 0003 on a database that already holds data, on SQLite and PostgreSQL: the escape flags
arrive false, earlier prompts' signatures are taken again over code-aware tokens, and the
revision downgrades cleanly."""

import json

from migration_builders import columns_of, migrate_to
from sqlalchemy import Engine, text

from factory.intake.dedup import signature, stored_signature
from factory.settings import IntakeSettings

PROMPT = "Write  add(a,b)  that returns the sum."


def test_revision_0003_flags_old_rows_false_and_recomputes_signatures(
    empty_engine: Engine,
) -> None:
    migrate_to(empty_engine, "0002")
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

    migrate_to(empty_engine, "0003")

    for table in ("executionrun", "testresult"):
        assert "output_escaped" in columns_of(empty_engine, table)
    with empty_engine.connect() as conn:
        flag = conn.execute(text("SELECT raw_escaped FROM quarantinedrecord")).scalar_one()
        stored = conn.execute(text("SELECT minhash FROM prompt")).scalar_one()
    assert flag in (False, 0)
    values = stored if isinstance(stored, list) else json.loads(stored)
    assert values == stored_signature(signature(PROMPT, IntakeSettings()))

    migrate_to(empty_engine, "0002", down=True)
    assert "raw_escaped" not in columns_of(empty_engine, "quarantinedrecord")
    assert "output_escaped" not in columns_of(empty_engine, "executionrun")
