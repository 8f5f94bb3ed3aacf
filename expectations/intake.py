"""The intake gate's suite: what a batch of accepted prompts must look like before generation.

The frame has one row per accepted prompt of the batch, plus the batch's quarantine share
repeated on every row (so a batch-level figure can be checked by a column expectation).
"""

import great_expectations as gx
import great_expectations.expectations as gxe
import pandas as pd
from sqlalchemy import select as core_select
from sqlmodel import col

from factory.models import Batch, Prompt
from factory.settings import FactoryConfig
from factory.stages.context import StageContext
from factory.vocab import TaskType, WorkKind

SUITE_NAME = "intake_prompts"
DESCRIPTION = (
    "Blocks generation unless the batch has prompts, unique ids, non-empty prompt, tests and "
    "reference (save what an authoring record leaves to its author), enabled languages, known "
    "task types and a quarantine share under intake.max_quarantine_share."
)
FRAME_COLUMNS = (
    "external_id",
    "language",
    "task_type",
    "prompt",
    "tests",
    "reference_solution",
    "quarantine_share",
)


def build_suite(config: FactoryConfig) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name=SUITE_NAME,
        expectations=[
            gxe.ExpectTableRowCountToBeBetween(min_value=1),
            gxe.ExpectColumnValuesToBeUnique(column="external_id"),
            gxe.ExpectColumnValueLengthsToBeBetween(column="prompt", min_value=1),
            gxe.ExpectColumnValueLengthsToBeBetween(column="tests", min_value=1),
            gxe.ExpectColumnValueLengthsToBeBetween(column="reference_solution", min_value=1),
            gxe.ExpectColumnValuesToBeInSet(column="language", value_set=config.intake.languages),
            gxe.ExpectColumnValuesToBeInSet(
                column="task_type", value_set=[task_type.value for task_type in TaskType]
            ),
            gxe.ExpectColumnMaxToBeBetween(
                column="quarantine_share", max_value=config.intake.max_quarantine_share
            ),
        ],
    )


def load_frame(ctx: StageContext, batch_id: str) -> pd.DataFrame:
    """One row per accepted prompt of `batch_id` (empty, with the columns, when there is none)."""
    with ctx.session() as session:
        batch = session.get(Batch, batch_id)
        share = batch.quarantined / batch.received if batch and batch.received else 0.0
        # SQLAlchemy's select: SQLModel's is typed for four columns at most.
        rows = session.execute(
            core_select(
                col(Prompt.external_id),
                col(Prompt.language),
                col(Prompt.task_type),
                col(Prompt.prompt),
                col(Prompt.tests),
                col(Prompt.reference_solution),
                col(Prompt.work),
            ).where(col(Prompt.batch_id) == batch_id)
        ).all()
        frame = pd.DataFrame(
            [(*_authored(row), share) for row in rows], columns=list(FRAME_COLUMNS)
        )
        return frame.astype({"quarantine_share": "float64"})


def _authored(row: tuple) -> tuple:
    """A record asking for authoring may leave out what its author writes (intake checked
    which): missing, not empty, so the length expectations skip it."""
    *values, work = row
    if WorkKind.AUTHORING in (work or []):
        values = [
            None if name in ("tests", "reference_solution") and not value else value
            for name, value in zip(FRAME_COLUMNS, values, strict=False)
        ]
    return tuple(values)
