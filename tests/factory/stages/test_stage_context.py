"""The stage context: one setting moves every sandbox run, credentials come from the environment."""

import logging
from pathlib import Path

import pytest
from generation_builder import add_candidate, add_execution_run, add_humaneval_batch
from sqlalchemy import Engine
from sqlmodel import Session

from factory.errors import SandboxUnavailableError
from factory.execution import stage as execution_stage
from factory.models import Prompt
from factory.signals import stage as signals_stage
from factory.stages import StageContext
from factory.stages.context import Credentials

BATCH = "batch-context"


def _scaled_batch(engine: Engine) -> None:
    """A batch whose prompt has a scaled input, so signals want the sandbox for growth."""
    (prompt,) = add_humaneval_batch(engine, BATCH, [34])
    with Session(engine) as session:
        row = session.get(Prompt, prompt.id)
        assert row is not None
        row.scaled_input = "list(range(n))"
        session.add(row)
        session.commit()
    candidate = add_candidate(engine, prompt, "def unique(l):\n    return sorted(set(l))\n")
    add_execution_run(engine, candidate, verdict="passed")


def test_one_backend_setting_moves_execution_and_growth_timings(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _scaled_batch(engine)
    monkeypatch.setenv("FACTORY_SANDBOX_BACKEND", "no-such-backend")
    ctx = StageContext.from_environment(database_url=engine.url.render_as_string(False))
    assert ctx.config.sandbox.backend == "no-such-backend"

    # Execution asks for exactly that backend ...
    with pytest.raises(SandboxUnavailableError, match="no-such-backend"):
        execution_stage.run(ctx, BATCH)
    # ... and so do the growth timings of the signals stage, which record why they were skipped.
    with caplog.at_level(logging.WARNING, logger="factory.stage"):
        report = signals_stage.run(ctx, BATCH)
    assert report.growth_skipped["no_sandbox"] == 1
    assert "no-such-backend" in caplog.text


def test_credentials_come_from_the_environment_and_never_show_in_a_repr(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FACTORY_LLM_API_KEY", "sk-secret-key")
    monkeypatch.setenv("HF_TOKEN", "hf_secret_token")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    credentials = Credentials.from_environment()
    assert (credentials.llm_api_key, credentials.hf_token) == ("sk-secret-key", "hf_secret_token")
    assert "secret" not in repr(credentials)
    ctx = StageContext.from_environment(database_url=f"sqlite:///{tmp_path / 'ctx.db'}")
    assert "secret" not in repr(ctx)
    assert ctx.chat_client() is None  # replay-only: no server configured
    assert ctx.publisher().target == "local"
