"""Every setting, environment variables included, is read in factory.settings."""

import ast
from pathlib import Path

import pytest

from factory.errors import ConfigError
from factory.settings import Environment, default_database_url, inbox_dir, load_config

REPO = Path(__file__).resolve().parents[2]
LAYERS = ("factory", "assets", "resources", "sensors", "expectations", "definitions", "commands")


def test_environment_defaults_and_overrides(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FACTORY_HOME", str(tmp_path))
    for name in ("FACTORY_INBOX", "FACTORY_DATABASE_URL", "FACTORY_SANDBOX_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    assert inbox_dir() == tmp_path.resolve() / "inbox"
    assert default_database_url() == f"sqlite:///{tmp_path.resolve() / 'factory.db'}"
    assert load_config().sandbox.backend == "auto"

    monkeypatch.setenv("FACTORY_INBOX", str(tmp_path / "drop"))
    monkeypatch.setenv("FACTORY_DATABASE_URL", "postgresql+psycopg2://u@h/db")
    monkeypatch.setenv("FACTORY_SANDBOX_BACKEND", "bwrap")
    monkeypatch.setenv("FACTORY_INBOX_SETTLE_SECONDS", "0.5")
    assert inbox_dir() == (tmp_path / "drop").resolve()
    assert default_database_url() == "postgresql+psycopg2://u@h/db"
    assert load_config().sandbox.backend == "bwrap"
    assert Environment.read().inbox_settle_seconds == 0.5


def test_a_malformed_number_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACTORY_INBOX_SETTLE_SECONDS", "soon")
    with pytest.raises(ConfigError, match="FACTORY_INBOX_SETTLE_SECONDS"):
        Environment.read()


def _reads_environment(node: ast.AST) -> bool:
    """os.environ[...] / os.environ.get(...) / os.getenv(...) as a read (assignments are writes)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        target = node.func
        if target.attr == "getenv" and isinstance(target.value, ast.Name):
            return target.value.id == "os"
        if target.attr == "get" and isinstance(target.value, ast.Attribute):
            return target.value.attr == "environ"
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
        value = node.value
        return isinstance(value, ast.Attribute) and value.attr == "environ"
    return False


def test_no_module_but_settings_reads_the_environment() -> None:
    readers = []
    for layer in LAYERS:
        for path in sorted((REPO / layer).rglob("*.py")):
            if path == REPO / "factory" / "settings.py":
                continue
            if path.is_relative_to(REPO / "factory" / "envs" / "driver"):
                continue  # runs inside a task's container, whose environment the factory sets
            if path.is_relative_to(REPO / "factory" / "rewards"):
                continue  # ships standalone in releases (stdlib only); the card names its variables
            tree = ast.parse(path.read_text(encoding="utf-8"))
            if any(_reads_environment(node) for node in ast.walk(tree)):
                readers.append(str(path.relative_to(REPO)))
    assert readers == []
