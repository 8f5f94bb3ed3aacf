"""The gate after queueing: every review task is a real pair that reviewers can be given.

One row per review task of the batch: two distinct candidates in canonical order (A has the
lower id), both of the task's own prompt and not the reference solution; a review count within
1..review.overlap_reviews; a pool (the prompt's language and a known task type, which decide
who may be served it); a known answer on every attention check; and at least one task.
"""

import great_expectations as gx
import pandas as pd
from sqlalchemy import select as core_select
from sqlalchemy.orm import aliased
from sqlmodel import col

from factory.models import Candidate, Prompt, ReviewTask
from factory.settings import FactoryConfig
from factory.stages.context import StageContext
from factory.vocab import CandidateSource, TaskType

SUITE_NAME = "review"
DESCRIPTION = (
    "At least one review task; each pairs two distinct, non-reference candidates of its own "
    "prompt in canonical order, needs 1..review.overlap_reviews reviews, belongs to a pool (its "
    "prompt's language and a known task type), and every attention check has its known answer."
)
COLUMNS = [
    "task_id",
    "candidate_a_id",
    "candidate_b_id",
    "same_prompt",
    "reference_in_pair",
    "required_reviews",
    "language",
    "pool_matches_prompt",
    "task_type",
    "gold_answer_known",
]


def build_suite(config: FactoryConfig) -> gx.ExpectationSuite:
    settings = config.review
    return gx.ExpectationSuite(
        name=SUITE_NAME,
        expectations=[
            gx.expectations.ExpectTableRowCountToBeBetween(min_value=1),
            gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="candidate_b_id", column_B="candidate_a_id"
            ),
            gx.expectations.ExpectColumnValuesToBeInSet(column="same_prompt", value_set=[True]),
            gx.expectations.ExpectColumnValuesToBeInSet(
                column="reference_in_pair", value_set=[False]
            ),
            gx.expectations.ExpectColumnValuesToBeBetween(
                column="required_reviews", min_value=1, max_value=max(1, settings.overlap_reviews)
            ),
            gx.expectations.ExpectColumnValuesToNotBeNull(column="language"),
            gx.expectations.ExpectColumnValuesToBeInSet(
                column="task_type", value_set=[t.value for t in TaskType]
            ),
            gx.expectations.ExpectColumnValuesToBeInSet(
                column="pool_matches_prompt", value_set=[True]
            ),
            gx.expectations.ExpectColumnValuesToBeInSet(
                column="gold_answer_known", value_set=[True]
            ),
        ],
    )


def load_frame(ctx: StageContext, batch_id: str) -> pd.DataFrame:
    with ctx.session() as session:
        a = aliased(Candidate, name="a")
        b = aliased(Candidate, name="b")
        # SQLAlchemy's select: SQLModel's is typed for four columns at most.
        rows = session.execute(
            core_select(
                ReviewTask,
                col(a.prompt_id),
                col(a.source),
                col(b.prompt_id),
                col(b.source),
                col(Prompt.language),
                col(Prompt.task_type),
            )
            .join(Prompt, col(Prompt.id) == col(ReviewTask.prompt_id))
            .join(a, col(a.id) == col(ReviewTask.candidate_a_id))
            .join(b, col(b.id) == col(ReviewTask.candidate_b_id))
            .where(col(ReviewTask.batch_id) == batch_id)
            .order_by(col(ReviewTask.id))
        ).all()
        records = [
            {
                "task_id": task.id,
                "candidate_a_id": task.candidate_a_id,
                "candidate_b_id": task.candidate_b_id,
                "same_prompt": a_prompt == task.prompt_id == b_prompt,
                "reference_in_pair": CandidateSource.REFERENCE in (a_source, b_source),
                "required_reviews": task.required_reviews,
                "language": task.language or None,
                "pool_matches_prompt": (task.language, task.task_type) == (language, task_type),
                "task_type": task.task_type,
                "gold_answer_known": (not task.is_gold) or task.gold_preference is not None,
            }
            for task, a_prompt, a_source, b_prompt, b_source, language, task_type in rows
        ]
        return pd.DataFrame.from_records(records, columns=COLUMNS)
