"""Running GX suites on frames and reporting each expectation (expectations.gate)."""

import json

import great_expectations as gx
import great_expectations.expectations as gxe
import numpy as np
import pandas as pd

from expectations.gate import run_suite

SUITE = gx.ExpectationSuite(
    name="example",
    expectations=[
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectColumnValuesToBeUnique(column="id"),
        gxe.ExpectColumnValuesToBeInSet(column="language", value_set=["python"]),
        gxe.ExpectColumnMaxToBeBetween(column="share", max_value=0.5),
    ],
)


def _frame(ids: list[int], languages: list[str], share: float) -> pd.DataFrame:
    return pd.DataFrame({"id": ids, "language": languages, "share": [share] * len(ids)})


def test_passing_frame() -> None:
    result = run_suite(SUITE, _frame([1, 2], ["python", "python"], 0.1))
    assert result.success and result.failed == [] and result.row_count == 2
    assert result.summary() == "suite 'example': 4/4 expectations passed"


def test_each_failed_expectation_is_reported_with_observed_value_and_threshold() -> None:
    result = run_suite(SUITE, _frame([1, 1, 2], ["python", "go", "python"], 0.9))
    assert not result.success
    by_label = {outcome.label: outcome for outcome in result.outcomes}
    assert set(by_label) == {
        "expect_table_row_count_to_be_between",
        "expect_column_values_to_be_unique(id)",
        "expect_column_values_to_be_in_set(language)",
        "expect_column_max_to_be_between(share)",
    }
    assert by_label["expect_table_row_count_to_be_between"].success
    assert by_label["expect_table_row_count_to_be_between"].observed_value == 3
    unique = by_label["expect_column_values_to_be_unique(id)"]
    assert not unique.success and unique.unexpected_count == 2
    assert unique.partial_unexpected == [1, 1]
    in_set = by_label["expect_column_values_to_be_in_set(language)"]
    assert in_set.thresholds == {"value_set": ["python"]} and in_set.partial_unexpected == ["go"]
    share = by_label["expect_column_max_to_be_between(share)"]
    assert share.observed_value == 0.9 and share.thresholds == {"max_value": 0.5}
    assert isinstance(share.observed_value, float) and not isinstance(
        share.observed_value, np.floating
    )
    assert len(result.failed) == 3
    assert "expect_column_max_to_be_between(share)" in result.summary()


def test_metadata_is_json_with_one_entry_per_expectation() -> None:
    result = run_suite(SUITE, _frame([1, 1], ["python", "python"], 0.2))
    metadata = result.metadata()
    json.dumps(metadata)  # plain values only: Dagster stores it as JSON
    assert metadata["suite"] == "example" and metadata["rows"] == 2
    assert metadata["failed_expectations"] == ["expect_column_values_to_be_unique(id)"]
    assert metadata["expect_column_max_to_be_between(share)"]["thresholds"] == {"max_value": 0.5}
    assert metadata["expect_column_max_to_be_between(share)"]["success"] is True


def test_missing_column_fails_with_the_error_message() -> None:
    result = run_suite(SUITE, pd.DataFrame({"id": [1]}))
    by_label = {outcome.label: outcome for outcome in result.outcomes}
    missing = by_label["expect_column_values_to_be_in_set(language)"]
    assert not missing.success and "language" in (missing.error or "")


def test_empty_frame_fails_row_count() -> None:
    result = run_suite(SUITE, _frame([], [], 0.0))
    assert not result.success
    failed = [outcome.label for outcome in result.failed]
    assert "expect_table_row_count_to_be_between" in failed
