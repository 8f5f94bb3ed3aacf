"""The sign-off gate: packaging waits for a senior's sign-off of the batch.

One row per sign-off of the batch that is not revoked (normally one): who signed, when, whether
the sign-off is simulated, and whether it still covers the batch's reviews (the batch has not
gained or resolved tasks since). No row means nobody has signed the batch off.
"""

import great_expectations as gx
import pandas as pd
from sqlalchemy import select
from sqlmodel import col

from factory.models import BatchSignOff, Reviewer
from factory.review.completion import batch_progress
from factory.settings import FactoryConfig
from factory.stages.context import StageContext

SUITE_NAME = "signoff"
DESCRIPTION = (
    "The batch has a sign-off by a senior or admin that is not revoked and still covers the "
    "batch's reviews; a simulated sign-off passes only with packaging.allow_simulated."
)
COLUMNS = ["sign_off_id", "signed_by", "signed_at", "simulated", "covers_current_reviews"]


def build_suite(config: FactoryConfig) -> gx.ExpectationSuite:
    expectations: list[gx.expectations.Expectation] = [
        gx.expectations.ExpectTableRowCountToBeBetween(min_value=1),
        gx.expectations.ExpectColumnValuesToNotBeNull(column="signed_by"),
        gx.expectations.ExpectColumnValuesToBeInSet(
            column="covers_current_reviews", value_set=[True]
        ),
    ]
    if not config.packaging.allow_simulated:
        expectations.append(
            gx.expectations.ExpectColumnValuesToBeInSet(column="simulated", value_set=[False])
        )
    return gx.ExpectationSuite(name=SUITE_NAME, expectations=expectations)


def load_frame(ctx: StageContext, batch_id: str) -> pd.DataFrame:
    with ctx.session() as session:
        marker = batch_progress(session, batch_id).marker
        rows = session.execute(
            select(BatchSignOff, col(Reviewer.username))
            .join(Reviewer, col(Reviewer.id) == col(BatchSignOff.reviewer_id), isouter=True)
            .where(col(BatchSignOff.batch_id) == batch_id, col(BatchSignOff.revoked_at).is_(None))
            .order_by(col(BatchSignOff.id))
        ).all()
        records = [
            {
                "sign_off_id": row.id,
                "signed_by": username,
                "signed_at": row.created_at.isoformat(timespec="seconds"),
                "simulated": row.simulated,
                "covers_current_reviews": row.review_marker == marker,
            }
            for row, username in rows
        ]
    return pd.DataFrame.from_records(records, columns=COLUMNS)
