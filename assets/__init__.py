"""Dagster assets: a thin layer over `factory`, one module per stage of the chain."""

from types import ModuleType

from assets import intake

# Every stage module, in chain order. Definitions loads assets and checks from these.
ASSET_MODULES: list[ModuleType] = [intake]

JOBS: list = []
