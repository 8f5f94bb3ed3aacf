"""Dagster resources, one per file; the set for a deployment is chosen here, in one place."""

from typing import Any

from resources.database import DatabaseResource
from resources.settings import FactorySettingsResource


def build_resources() -> dict[str, Any]:
    """Resources for the current environment (FACTORY_* variables pick non-default backends)."""
    return {
        "database": DatabaseResource(),
        "settings": FactorySettingsResource(),
    }
