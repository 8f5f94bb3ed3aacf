"""The example configuration in deploy/ lists every setting of the model, each with its default.

The settings are found by walking `FactoryConfig`'s fields, so a setting added to (or removed from)
the model without the example following fails here, naming it.
"""

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from factory.settings import FactoryConfig, load_config

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "factory.example.yaml"


def _model_defaults(model: type[BaseModel], prefix: str = "") -> dict[str, Any]:
    """{dotted setting: default} for every leaf field of `model`, nested sections walked."""
    defaults: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            defaults |= _model_defaults(annotation, f"{key}.")
        else:
            defaults[key] = field.get_default(call_default_factory=True)
    return defaults


def _file_values(data: dict[str, Any], sections: type[BaseModel], prefix: str = "") -> dict:
    """{dotted key: value} of the file, descending where the model has a nested section."""
    values: dict[str, Any] = {}
    for name, value in data.items():
        key = f"{prefix}{name}"
        field = sections.model_fields.get(name)
        annotation = field.annotation if field else None
        nested = isinstance(annotation, type) and issubclass(annotation, BaseModel)
        if nested and isinstance(value, dict):
            values |= _file_values(value, annotation, f"{key}.")
        else:
            values[key] = value
    return values


@pytest.fixture(scope="module")
def example() -> dict[str, Any]:
    return _file_values(yaml.safe_load(EXAMPLE.read_text()) or {}, FactoryConfig)


def test_example_config_loads() -> None:
    load_config(EXAMPLE)  # raises ConfigError when the file is not a valid configuration


def test_example_config_lists_every_setting(example: dict[str, Any]) -> None:
    missing = sorted(_model_defaults(FactoryConfig).keys() - example.keys())
    assert not missing, f"{EXAMPLE.name} lacks these settings of FactoryConfig: {missing}"


def test_example_config_has_no_unknown_key(example: dict[str, Any]) -> None:
    unknown = sorted(example.keys() - _model_defaults(FactoryConfig).keys())
    assert not unknown, f"{EXAMPLE.name} has keys FactoryConfig does not: {unknown}"


def test_example_config_values_are_the_defaults(example: dict[str, Any]) -> None:
    defaults = _model_defaults(FactoryConfig)
    differ = {
        key: (example[key], default)
        for key, default in defaults.items()
        if key in example and not _same(example[key], default)
    }
    assert not differ, f"{EXAMPLE.name} values differing from the defaults (file, model): {differ}"


def _same(value: Any, default: Any) -> bool:
    """Equal, and not merely because YAML's true equals 1 (or 10 equals 10.0 for a boolean)."""
    return value == default and isinstance(value, bool) == isinstance(default, bool)
