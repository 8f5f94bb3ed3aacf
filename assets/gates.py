"""Blocking Dagster asset checks backed by Great Expectations suites: the gate between stages.

A gate is a suite factory (from the factory configuration) and a frame loader (from the stage
context, for one batch), both in the stage's module of `expectations/`. A failed gate stops the
run before any asset downstream of the checked one, and shows every expectation's observed value
and threshold in the check's metadata.
"""

from collections.abc import Callable

import great_expectations as gx
import pandas as pd
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetKey,
    PartitionsDefinition,
    asset_check,
)

from assets.partitions import batch_partitions
from expectations.gate import run_suite
from factory.settings import FactoryConfig
from factory.stages.context import StageContext
from resources.context import RESOURCE_KEYS, stage_context

SuiteFactory = Callable[[FactoryConfig], gx.ExpectationSuite]
FrameLoader = Callable[[StageContext, str], pd.DataFrame]


def gate_check(
    *,
    name: str,
    asset: str | AssetKey,
    description: str,
    suite_factory: SuiteFactory,
    frame_loader: FrameLoader,
    partitions_def: PartitionsDefinition | None = batch_partitions,
) -> AssetChecksDefinition:
    """A blocking check named `name` on `asset` that validates one batch's frame with a suite."""

    @asset_check(
        asset=asset,
        name=name,
        description=description,
        blocking=True,
        partitions_def=partitions_def,
        required_resource_keys=set(RESOURCE_KEYS),
    )
    def _gate(context: AssetCheckExecutionContext) -> AssetCheckResult:
        ctx = stage_context(context.resources, context.log)
        partition_key = context.partition_key if context.has_partition_key else ""
        frame = frame_loader(ctx, partition_key)
        result = run_suite(suite_factory(ctx.config), frame)
        context.log.info(result.summary())
        return AssetCheckResult(
            passed=result.success,
            severity=AssetCheckSeverity.ERROR,
            description=result.summary(),
            metadata=result.metadata(),
        )

    return _gate
