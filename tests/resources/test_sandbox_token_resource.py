"""The sandbox service's token reaches a run's stages through the sandbox resource as an
`EnvVar` (Dagster shows its name, never its value), as the LLM key and Hub token do."""

import pytest
from dagster import build_resources as dagster_build_resources

from resources import build_resources
from resources.context import stage_context

TOKEN = "run-token-0123456789abcdef"  # noqa: S105 (a test's own token)


def test_a_run_gets_the_service_token_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACTORY_SANDBOX_TOKEN", TOKEN)
    definitions = build_resources()
    assert definitions["sandbox"].token == "FACTORY_SANDBOX_TOKEN"  # the name, not the value
    with dagster_build_resources(definitions) as resources:
        ctx = stage_context(resources, log=None)  # type: ignore[arg-type]
    assert ctx.credentials.sandbox_token == TOKEN
    assert TOKEN not in repr(ctx.credentials)


def test_without_a_token_none_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FACTORY_SANDBOX_TOKEN", raising=False)
    with dagster_build_resources(build_resources()) as resources:
        assert stage_context(resources, log=None).credentials.sandbox_token == ""  # type: ignore[arg-type]
