"""The gate after generation: enough candidates per prompt, code extracted, no empty code.

The frame has one row per candidate of the batch, plus one row (without a candidate) for each
prompt the configured sources should have covered but did not: every accepted prompt when a
server generates, the prompts a replay file names when replaying. Prompts a replay file does not
mention are not expected to have candidates (the demo file covers a subset of the sample batch).
"""

import great_expectations as gx
import pandas as pd
from sqlmodel import select

from factory.generation.extraction import NONE
from factory.generation.pipeline import sources_for
from factory.generation.replay import read_replay
from factory.models import Candidate, Prompt
from factory.settings import FactoryConfig
from factory.stages.context import StageContext
from factory.vocab import CandidateSource, PromptStatus

SUITE_NAME = "generation"
DESCRIPTION = (
    "Each prompt the sources cover has at least generation.min_candidates_per_prompt candidates "
    "with code, the extraction rate is at least generation.min_extraction_rate, and no extracted "
    "code is empty."
)
COLUMNS = [
    "prompt_external_id",
    "candidate_id",
    "candidates_for_prompt",
    "extracted",
    "extracted_code_chars",
]


def build_suite(config: FactoryConfig) -> gx.ExpectationSuite:
    settings = config.generation
    return gx.ExpectationSuite(
        name=SUITE_NAME,
        expectations=[
            gx.expectations.ExpectTableRowCountToBeBetween(min_value=1),
            gx.expectations.ExpectColumnValuesToBeBetween(
                column="candidates_for_prompt", min_value=settings.min_candidates_per_prompt
            ),
            gx.expectations.ExpectColumnValuesToBeInSet(
                column="extracted", value_set=[True], mostly=settings.min_extraction_rate
            ),
            # Null (not extracted) rows are left to the extraction-rate expectation above.
            gx.expectations.ExpectColumnValuesToBeBetween(
                column="extracted_code_chars", min_value=1
            ),
        ],
    )


def load_frame(ctx: StageContext, batch_id: str) -> pd.DataFrame:
    with ctx.session() as session:
        prompts = list(
            session.exec(
                select(Prompt).where(
                    Prompt.batch_id == batch_id, Prompt.status == PromptStatus.ACCEPTED
                )
            )
        )
        # Reference solutions become candidates when the sandbox grades the prompt; they are not
        # generation's output, and counting them would fail a rerun on prompts no source covers.
        candidates = list(
            session.exec(
                select(Candidate).where(
                    Candidate.batch_id == batch_id, Candidate.source != CandidateSource.REFERENCE
                )
            )
        )
        by_prompt: dict[int, list[Candidate]] = {}
        for candidate in candidates:
            by_prompt.setdefault(candidate.prompt_id, []).append(candidate)
        in_scope = _prompts_in_scope(prompts, ctx.config)
        rows = []
        for prompt in prompts:
            own = by_prompt.get(prompt.id or -1, [])
            with_code = sum(1 for c in own if c.extraction != NONE and c.code.strip())
            for candidate in own:
                extracted = candidate.extraction != NONE
                rows.append(
                    {
                        "prompt_external_id": prompt.external_id,
                        "candidate_id": candidate.id,
                        "candidates_for_prompt": with_code,
                        "extracted": extracted,
                        "extracted_code_chars": len(candidate.code.strip()) if extracted else None,
                    }
                )
            if not own and prompt.external_id in in_scope:
                rows.append(
                    {
                        "prompt_external_id": prompt.external_id,
                        "candidate_id": None,
                        "candidates_for_prompt": 0,
                        "extracted": None,
                        "extracted_code_chars": None,
                    }
                )
        return pd.DataFrame(rows, columns=COLUMNS)


def _prompts_in_scope(prompts: list[Prompt], config: FactoryConfig) -> set[str]:
    sources = sources_for(config.generation)
    if sources.generate:
        return {prompt.external_id for prompt in prompts}
    if sources.replay_path is None:
        return set()
    records, _ = read_replay(sources.replay_path)
    return {record.prompt_external_id for record in records}
