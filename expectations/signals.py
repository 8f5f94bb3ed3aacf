"""The gate after signals: every candidate carries the evidence reviewers are shown.

One row per candidate of the batch. `verdict_evidence` is true when the candidate has no usable
sandbox run or has its correctness finding (the verdict reviewers see); `static_evidence` is
true when the candidate is not Python or has a radon or parser finding (radon rates every
Python candidate that parses, the parser every one that does not). A scanner that silently
skipped candidates, or findings lost between runs, fail the gate.
"""

from collections import defaultdict

import great_expectations as gx
import pandas as pd
from sqlmodel import col, select

from factory.models import ExecutionRun, Finding
from factory.models.queries import batch_candidates
from factory.settings import FactoryConfig
from factory.signals.execution import run_of_record
from factory.stages.context import StageContext
from factory.vocab import Dimension

SUITE_NAME = "signals"
DESCRIPTION = (
    "At least one candidate; every candidate with a sandbox run has its correctness finding, and "
    "every Python candidate has its static findings (radon, or the parser's when it does not "
    "parse)."
)
COLUMNS = ["candidate_id", "language", "findings", "verdict_evidence", "static_evidence"]
STATIC_TOOLS = ("radon", "parser")


def build_suite(config: FactoryConfig) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name=SUITE_NAME,
        expectations=[
            gx.expectations.ExpectTableRowCountToBeBetween(min_value=1),
            gx.expectations.ExpectColumnValuesToBeInSet(
                column="verdict_evidence", value_set=[True]
            ),
            gx.expectations.ExpectColumnValuesToBeInSet(column="static_evidence", value_set=[True]),
        ],
    )


def load_frame(ctx: StageContext, batch_id: str) -> pd.DataFrame:
    with ctx.session() as session:
        rows = batch_candidates(session, batch_id)
        ids = [candidate.id for candidate, _ in rows]
        runs: defaultdict[int, list[ExecutionRun]] = defaultdict(list)
        for run in session.exec(select(ExecutionRun).where(ExecutionRun.batch_id == batch_id)):
            runs[run.candidate_id].append(run)
        findings: defaultdict[int, list[tuple[str, str]]] = defaultdict(list)
        for candidate_id, tool, dimension in session.exec(
            select(Finding.candidate_id, Finding.tool, Finding.dimension).where(
                col(Finding.candidate_id).in_(ids or [-1])
            )
        ):
            findings[candidate_id].append((tool, dimension))
    records = []
    for candidate, prompt in rows:
        assert candidate.id is not None
        own = findings[candidate.id]
        has_run = run_of_record(runs[candidate.id]) is not None
        records.append(
            {
                "candidate_id": candidate.id,
                "language": prompt.language,
                "findings": len(own),
                "verdict_evidence": not has_run
                or any(
                    tool == "sandbox" and dimension == Dimension.CORRECTNESS
                    for tool, dimension in own
                ),
                "static_evidence": prompt.language != "python"
                or any(tool in STATIC_TOOLS for tool, _ in own),
            }
        )
    return pd.DataFrame.from_records(records, columns=COLUMNS)
