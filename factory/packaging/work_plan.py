"""Planning the configs of work beyond pairs: each row with its split and the submission, prompt
and candidate it came from (the release's ReleaseItem rows).

A row's split is its prompt's (`splits.py`), so a prompt's rows share a split with its rows in
every other config. Rows come in task order, then submission order: the same data plans the
same files, and an unchanged release keeps its version.
"""

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from factory.packaging import ranking_rows, reasoning_rows, work_rows
from factory.packaging.loading import CandidateSet
from factory.packaging.submissions import SubmissionInfo, WorkSet
from factory.vocab import WorkKind

# The configs in the order the data card lists them.
WORK_CONFIGS = (
    ranking_rows.PAIRS,
    ranking_rows.LISTWISE,
    work_rows.CODE_REVIEW,
    work_rows.CODE_REVIEW_REWARD,
    work_rows.BUG_FIX_SFT,
    work_rows.BUG_FIX_PAIRS,
    work_rows.AUTHORING,
    reasoning_rows.REASONING,
    work_rows.REFACTORING_STEPS,
    work_rows.REFACTORING_SFT,
)


# Kinds whose rows are built from one submission each: (config, row builder) per kind.
_PER_SUBMISSION: dict[str, tuple[tuple[str, Callable[[SubmissionInfo], dict[str, Any]]], ...]] = {
    WorkKind.CODE_REVIEW: (
        (work_rows.CODE_REVIEW, work_rows.code_review_row),
        (work_rows.CODE_REVIEW_REWARD, work_rows.code_review_reward_row),
    ),
    WorkKind.BUG_FIX: (
        (work_rows.BUG_FIX_SFT, work_rows.bug_fix_sft_row),
        (work_rows.BUG_FIX_PAIRS, work_rows.bug_fix_pair_row),
    ),
    WorkKind.AUTHORING: ((work_rows.AUTHORING, work_rows.authoring_row),),
    WorkKind.REFACTORING: (
        (work_rows.REFACTORING_STEPS, work_rows.refactoring_steps_row),
        (work_rows.REFACTORING_SFT, work_rows.refactoring_sft_row),
    ),
}


@dataclass(frozen=True, slots=True)
class PlannedRow:
    config: str
    split: str
    row: dict[str, Any]
    prompt_id: int
    submission_id: int | None  # None only for a pairwise review's reasoning
    candidate_id: int | None = None

    @property
    def row_key(self) -> str:
        return str(self.row["id"])


def plan_work(
    work: WorkSet, candidates: CandidateSet, split: dict[int, str], vetoes: Counter[str]
) -> list[PlannedRow]:
    """Every row of every work config; implied ranking pairs the safety veto refuses are
    counted in `vetoes` by reason."""
    rows: list[PlannedRow] = []
    by_task: dict[int, list[SubmissionInfo]] = defaultdict(list)
    for submission in work.submissions:
        by_task[submission.task_id].append(submission)

    for task_id, answers in by_task.items():
        first = answers[0]
        if first.kind == WorkKind.RANKING:
            agg = ranking_rows.aggregate(task_id, answers, work.ranked.get(task_id, ()), candidates)
            built: list[tuple[str, dict[str, Any], int | None]] = [
                (ranking_rows.PAIRS, row, chosen)
                for row, chosen in ranking_rows.pair_rows(agg, vetoes)
            ]
            built.append((ranking_rows.LISTWISE, ranking_rows.listwise_row(agg), None))
            # One ReleaseItem per row: it names the first ranker's submission; the row's
            # `submission_ids` and `task_id` name them all.
            rows.extend(_row(config, row, first, split, cid) for config, row, cid in built)
            continue
        rows.extend(
            _row(config, build(answer), answer, split, answer.candidate_id)
            for answer in answers
            for config, build in _PER_SUBMISSION.get(first.kind, ())
        )
    for submission in work.submissions:
        if submission.notes:
            shown = [
                (cid, candidates.by_id[cid].code)
                for cid in work.ranked.get(submission.task_id, ())
                if cid in candidates.by_id
            ]
            row = reasoning_rows.submission_row(submission, shown)
            rows.append(
                _row(reasoning_rows.REASONING, row, submission, split, submission.candidate_id)
            )
    for review in work.reviews:
        prompt_id = review.prompt.prompt_id
        row = reasoning_rows.review_row(review)
        rows.append(PlannedRow(reasoning_rows.REASONING, split[prompt_id], row, prompt_id, None))
    return rows


def _row(
    config: str,
    row: dict[str, Any],
    submission: SubmissionInfo,
    split: dict[int, str],
    candidate_id: int | None,
) -> PlannedRow:
    prompt_id = submission.prompt.prompt_id
    return PlannedRow(
        config, split[prompt_id], row, prompt_id, submission.submission_id, candidate_id
    )


def planned_counts(rows: list[PlannedRow]) -> dict[str, dict[str, int]]:
    """config -> split -> rows, for the configs that have rows."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        counts[row.config][row.split] += 1
    return {
        config: dict(sorted(counts[config].items())) for config in WORK_CONFIGS if config in counts
    }
