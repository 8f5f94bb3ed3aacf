"""Dagster assets: a thin layer over `factory`, one module per stage of the chain."""

from types import ModuleType

from assets import (
    agreement,
    environments,
    execution,
    generation,
    intake,
    jobs,
    packaging,
    publishing,
    review,
    signals,
    signoff,
)

# Every stage module, in chain order. Definitions loads assets and checks from these.
ASSET_MODULES: list[ModuleType] = [
    intake,
    generation,
    execution,
    signals,
    review,
    agreement,
    signoff,
    packaging,
    publishing,
    environments,
]

JOBS: list = jobs.JOBS
