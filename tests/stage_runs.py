"""Materialise stage assets (and their gates) for one batch partition, as a run would."""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dagster import DagsterInstance, ExecuteInProcessResult, materialize
from sqlalchemy import Engine

from assets.partitions import BATCH_PARTITIONS_NAME
from resources.database import DatabaseResource
from resources.hub import HubResource
from resources.llm import LLMResource
from resources.sandbox import SandboxResource
from resources.settings import FactorySettingsResource


def stage_resources(database_url: str, config_path: Path | None = None, **overrides: Any) -> dict:
    """Every resource a stage asset needs: the database at `database_url`, the config at
    `config_path` (defaults when None), the defaults for the rest unless overridden."""
    return {
        "database": DatabaseResource(url=database_url),
        "settings": FactorySettingsResource(config_path=str(config_path) if config_path else ""),
        "sandbox": SandboxResource(),
        "llm": LLMResource(),
        "hub": HubResource(),
        **overrides,
    }


def materialize_batch(
    assets: Sequence[Any],
    engine: Engine,
    batch_id: str,
    *,
    config_path: Path | None = None,
    instance: DagsterInstance | None = None,
    **resources: Any,
) -> ExecuteInProcessResult:
    """Run `assets` for `batch_id` on `engine`'s database, with the factory config at
    `config_path` (defaults when None) and any further resources; failures are returned."""
    instance = instance or DagsterInstance.ephemeral()
    if not instance.has_dynamic_partition(BATCH_PARTITIONS_NAME, batch_id):
        instance.add_dynamic_partitions(BATCH_PARTITIONS_NAME, [batch_id])
    return materialize(
        assets,
        partition_key=batch_id,
        instance=instance,
        resources=stage_resources(
            engine.url.render_as_string(hide_password=False), config_path, **resources
        ),
        raise_on_error=False,
    )
