"""The gate after validation: every mined task of the snapshot was judged, every task left out
says why, every stable task has tests that decide it, and the snapshot yields at least one stable
task (a repository that yields none stands out instead of passing quietly)."""

import great_expectations as gx
import pandas as pd
from sqlmodel import select

from factory.models import RepoTask
from factory.settings import FactoryConfig
from factory.stages.context import StageContext

SUITE_NAME = "environments"
DESCRIPTION = (
    "Every mined task judged (runnable, gradable, stable or out with a reason); stable tasks "
    "have FAIL_TO_PASS tests; at least one stable task."
)
STATUSES = ["not_runnable", "not_gradable", "flaky", "stable"]


def build_suite(config: FactoryConfig) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name=SUITE_NAME,
        expectations=[
            gx.expectations.ExpectTableRowCountToBeBetween(min_value=1),
            gx.expectations.ExpectColumnValuesToBeInSet(column="status", value_set=STATUSES),
            gx.expectations.ExpectColumnValuesToBeInSet(column="explained", value_set=[True]),
            gx.expectations.ExpectColumnValuesToBeInSet(
                column="decided_by_tests", value_set=[True]
            ),
            gx.expectations.ExpectColumnMaxToBeBetween(column="stable", min_value=1),
        ],
    )


def load_frame(ctx: StageContext, snapshot_id: str) -> pd.DataFrame:
    with ctx.session() as session:
        tasks = session.exec(select(RepoTask).where(RepoTask.snapshot_id == snapshot_id)).all()
    records = [
        {
            "instance_id": t.instance_id,
            "status": t.status,
            "explained": t.status == "stable" or bool(t.reason.strip()),
            "decided_by_tests": t.status != "stable" or bool(t.FAIL_TO_PASS),
            "stable": int(t.status == "stable"),
        }
        for t in tasks
    ]
    columns = ["instance_id", "status", "explained", "decided_by_tests", "stable"]
    return pd.DataFrame.from_records(records, columns=columns)
