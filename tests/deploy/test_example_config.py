"""The example configuration in deploy/ stays loadable as the settings model changes."""

from pathlib import Path

from factory.settings import load_config

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "factory.example.yaml"


def test_example_config_loads_and_overrides_defaults() -> None:
    config = load_config(EXAMPLE)
    assert config.publishing.target == "hub"
    assert config.generation.models == ["Qwen/Qwen2.5-Coder-7B-Instruct"]
    assert config.sandbox.backend == "auto"
