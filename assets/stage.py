"""The one shape of every asset: a core stage run for one batch partition, then its gate.

`stage_asset` wraps a stage's `run(ctx, batch_id) -> StageReport` as a partitioned asset whose
materialisation shows the report's summary in the run log and its metadata in the asset view;
`stage_gate` puts the stage's Great Expectations suite behind it as a blocking check named
`<asset>_gate`. An asset module is these two calls and nothing else.
"""

from collections.abc import Callable
from types import ModuleType
from typing import Any

from dagster import (
    AssetChecksDefinition,
    AssetExecutionContext,
    AssetsDefinition,
    Failure,
    MaterializeResult,
    MetadataValue,
    PartitionsDefinition,
    asset,
)

from assets.gates import gate_check
from assets.partitions import batch_partitions
from factory.errors import FactoryUserError
from factory.stages.context import StageContext
from factory.stages.report import FilePath, Markdown, Metadata, StageReport, Url
from resources.context import RESOURCE_KEYS, stage_context

StageRun = Callable[[StageContext, str], StageReport]

PRE_REVIEW = "pre_review"
POST_REVIEW = "post_review"


def stage_asset(
    *,
    name: str,
    run: StageRun,
    deps: list[str],
    group: str,
    description: str,
    kinds: set[str] | None = None,
    partitions_def: PartitionsDefinition = batch_partitions,
) -> AssetsDefinition:
    """The asset `name`: `run` for the partition's batch (or repository), after `deps`."""

    @asset(
        name=name,
        deps=deps,
        partitions_def=partitions_def,
        group_name=group,
        kinds=kinds,
        description=description,
        required_resource_keys=set(RESOURCE_KEYS),
    )
    def _stage(context: AssetExecutionContext) -> MaterializeResult:
        ctx = stage_context(context.resources, context.log)
        try:
            report = run(ctx, context.partition_key)
        except FactoryUserError as exc:
            # Shown as the step's failure reason in the UI, without a stack trace to read.
            raise Failure(description=str(exc)) from exc
        context.log.info(report.summary())
        return MaterializeResult(metadata=dagster_metadata(report))

    return _stage


def stage_gate(
    stage: AssetsDefinition,
    suite: ModuleType,
    partitions_def: PartitionsDefinition = batch_partitions,
) -> AssetChecksDefinition:
    """The blocking gate `<asset>_gate` on `stage`, from a suite module of `expectations/`."""
    return gate_check(
        partitions_def=partitions_def,
        name=f"{stage.key.to_user_string()}_gate",
        asset=stage.key,
        description=suite.DESCRIPTION,
        suite_factory=suite.build_suite,
        frame_loader=suite.load_frame,
    )


def dagster_metadata(report: StageReport) -> dict[str, Any]:
    """The report's metadata as Dagster shows it; dicts and lists become JSON."""
    metadata: Metadata = report.metadata()
    shown: dict[str, Any] = {key: _value(value) for key, value in metadata.items()}
    rows = report.row_count()
    if rows is not None:
        shown["dagster/row_count"] = rows
    return shown


def _value(value: Any) -> Any:
    if isinstance(value, Markdown):
        return MetadataValue.md(value.text)
    if isinstance(value, FilePath):
        return MetadataValue.path(value.path)
    if isinstance(value, Url):
        return MetadataValue.url(value.url)
    if isinstance(value, dict | list):
        return MetadataValue.json(value)
    return value
