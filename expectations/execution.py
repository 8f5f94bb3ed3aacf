"""The gate after execution: every candidate that should have run has a verdict, and the
sandbox-error rate is under `sandbox.max_sandbox_error_rate`.

The frame has one row per candidate that must have a verdict: every reference solution of a
runnable prompt, and every other candidate of a gradable prompt. `verdict` is the candidate's
first-attempt verdict (null when it never ran); `sandbox_error` is 1 when that verdict is a
sandbox error (the factory's fault, retried at the next materialisation).
"""

import great_expectations as gx
import pandas as pd
from sqlmodel import col, select

from factory.languages import supported_languages
from factory.models import ExecutionRun, stored_id
from factory.models.queries import batch_candidates
from factory.settings import FactoryConfig
from factory.stages.context import StageContext
from factory.vocab import CandidateSource, Verdict

SUITE_NAME = "execution"
DESCRIPTION = (
    "Every reference and every candidate of a gradable prompt has a verdict, and the share of "
    "sandbox errors is at most sandbox.max_sandbox_error_rate."
)
COLUMNS = ["candidate_id", "prompt_external_id", "source", "verdict", "sandbox_error"]


def build_suite(config: FactoryConfig) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name=SUITE_NAME,
        expectations=[
            gx.expectations.ExpectTableRowCountToBeBetween(min_value=1),
            gx.expectations.ExpectColumnValuesToNotBeNull(column="verdict"),
            gx.expectations.ExpectColumnValuesToBeInSet(
                column="verdict", value_set=[v.value for v in Verdict]
            ),
            gx.expectations.ExpectColumnMeanToBeBetween(
                column="sandbox_error",
                min_value=0.0,
                max_value=config.sandbox.max_sandbox_error_rate,
            ),
        ],
    )


def load_frame(ctx: StageContext, batch_id: str) -> pd.DataFrame:
    with ctx.session() as session:
        candidates = [
            (cand, prompt)
            for cand, prompt in batch_candidates(session, batch_id)
            if prompt.language in supported_languages()
        ]
        first_verdict: dict[int, str] = {}
        for candidate_id, verdict in session.exec(
            select(ExecutionRun.candidate_id, ExecutionRun.verdict)
            .where(ExecutionRun.batch_id == batch_id)
            .where(ExecutionRun.attempt == 1)
            .order_by(col(ExecutionRun.id))
        ).all():
            first_verdict[candidate_id] = verdict  # the latest first attempt wins
    rows = []
    for cand, prompt in candidates:
        is_reference = cand.source == CandidateSource.REFERENCE
        if not is_reference and not prompt.gradable:
            continue  # candidates of prompts that cannot be graded need not run
        first = first_verdict.get(stored_id(cand))
        rows.append(
            {
                "candidate_id": cand.id,
                "prompt_external_id": prompt.external_id,
                "source": cand.source,
                "verdict": first,
                "sandbox_error": int(first == Verdict.SANDBOX_ERROR),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS).astype({"sandbox_error": "float64"})
