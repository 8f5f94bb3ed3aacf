"""Run a Great Expectations suite on a pandas frame and describe the outcome per expectation.

GX 1.x is called directly (dagster-ge only supports GX < 1.0). One ephemeral, in-memory context
is built per process and reused: building it costs more than validating a small frame.

Suites are built with their expectations in the constructor,
`gx.ExpectationSuite(name=..., expectations=[...])`, which needs no data context.
"""

import math
import threading
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import great_expectations as gx
import pandas as pd
from great_expectations.core.batch_definition import BatchDefinition
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)

_DATASOURCE = "factory_gate"
_ASSET = "frame"
_BATCH_DEFINITION = "whole_frame"
# Keys of an expectation's kwargs that are thresholds (what was expected), shown next to the value.
_THRESHOLD_KEYS = (
    "min_value",
    "max_value",
    "value",
    "value_set",
    "mostly",
    "strict_min",
    "strict_max",
    "regex",
    "type_",
    "column_list",
)
_validate_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class ExpectationOutcome:
    """The result of one expectation: what it checked, what it saw, and whether that passed."""

    expectation_type: str
    column: str | None
    success: bool
    observed_value: Any
    thresholds: dict[str, Any]
    unexpected_count: int | None = None
    partial_unexpected: list[Any] = field(default_factory=list)
    error: str | None = None

    @property
    def label(self) -> str:
        return f"{self.expectation_type}({self.column})" if self.column else self.expectation_type

    def as_dict(self) -> dict[str, Any]:
        return {
            "expectation": self.expectation_type,
            "column": self.column,
            "success": self.success,
            "observed_value": self.observed_value,
            "thresholds": self.thresholds,
            "unexpected_count": self.unexpected_count,
            "partial_unexpected": self.partial_unexpected,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class GateResult:
    """A whole suite's verdict on one frame."""

    suite_name: str
    success: bool
    row_count: int
    outcomes: list[ExpectationOutcome]

    @property
    def failed(self) -> list[ExpectationOutcome]:
        return [outcome for outcome in self.outcomes if not outcome.success]

    def summary(self) -> str:
        passed = len(self.outcomes) - len(self.failed)
        text = f"suite {self.suite_name!r}: {passed}/{len(self.outcomes)} expectations passed"
        if self.failed:
            text += "; failed: " + ", ".join(outcome.label for outcome in self.failed)
        return text

    def metadata(self) -> dict[str, Any]:
        """Plain JSON-able values, one entry per expectation, for Dagster check metadata."""
        data: dict[str, Any] = {
            "suite": self.suite_name,
            "rows": self.row_count,
            "expectations": len(self.outcomes),
            "failed_expectations": [outcome.label for outcome in self.failed],
        }
        for outcome in self.outcomes:
            label = outcome.label
            while label in data:  # the same expectation twice on one column
                label += "'"
            data[label] = outcome.as_dict()
        return data


@cache
def _batch_definition() -> BatchDefinition:
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    context = gx.get_context(project_config=config, mode="ephemeral")
    asset = context.data_sources.add_pandas(_DATASOURCE).add_dataframe_asset(_ASSET)
    return asset.add_batch_definition_whole_dataframe(_BATCH_DEFINITION)


def run_suite(suite: gx.ExpectationSuite, frame: pd.DataFrame) -> GateResult:
    """Validate `frame` against every expectation of `suite`."""
    # The shared context is not documented as thread-safe; validations are short, so serialise.
    with _validate_lock:
        batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
        validation = batch.validate(suite)
    outcomes = [_outcome(result) for result in validation.results]
    return GateResult(
        suite_name=suite.name,
        success=bool(validation.success),
        row_count=len(frame),
        outcomes=outcomes,
    )


def _outcome(result: Any) -> ExpectationOutcome:
    kwargs = dict(result.expectation_config.kwargs)
    details = result.result or {}
    error = _exception_message(result.exception_info or {})
    observed = details.get("observed_value")
    if observed is None and "unexpected_percent" in details:
        observed = f"{details.get('unexpected_count', 0)} unexpected of {details['element_count']}"
    return ExpectationOutcome(
        expectation_type=result.expectation_config.type,
        column=kwargs.get("column"),
        success=bool(result.success),
        observed_value=_plain(observed),
        thresholds={key: _plain(kwargs[key]) for key in _THRESHOLD_KEYS if key in kwargs},
        unexpected_count=details.get("unexpected_count"),
        partial_unexpected=_plain(list(details.get("partial_unexpected_list") or [])[:10]),
        error=error,
    )


def _exception_message(info: dict[str, Any]) -> str | None:
    """GX reports one exception dict, or one per failing metric (e.g. a missing column)."""
    if "raised_exception" in info:
        return info.get("exception_message") if info["raised_exception"] else None
    messages = [
        item.get("exception_message")
        for item in info.values()
        if isinstance(item, dict) and item.get("raised_exception")
    ]
    return "; ".join(str(message) for message in messages) or None


def _plain(value: Any) -> Any:
    """numpy scalars and NaN -> JSON-able Python values."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(item) for item in value]
    if hasattr(value, "item") and callable(value.item):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
