"""Ranked preferences: three or more candidates of one prompt put in order, each scored.

Subject: the prompt's candidates (TaskCandidate rows, canonical order = candidate id). Payload:
`ranks` {candidate id: 1..n, 1 best, no ties}, `scores` {candidate id: {dimension: 1..5}},
`rationale`. Packaged as every implied pair and as a listwise row; agreed by Kendall's W.
"""

import random
from typing import Any

from sqlmodel import Session, col, select

from factory.models import Candidate, Prompt, RankEntry
from factory.settings import ReviewSettings
from factory.tasktypes.base import (
    Fields,
    Payload,
    PlannedWork,
    Rubric,
    WorkContext,
    WorkError,
    WorkType,
    required_text,
)
from factory.vocab import DIMENSIONS, SCORE_MAX, SCORE_MIN, CandidateSource, WorkKind

MAX_RATIONALE_CHARS = 10_000
MIN_CANDIDATES = 3

RUBRIC = Rubric(
    version="ranking-1",
    summary="Put every candidate in order, best first, and score each on the five dimensions.",
    sections=(
        (
            "Order",
            "Rank 1 is the candidate you would ship. No ties: when two are equally good, "
            "the one with fewer risks goes first, and the rationale says so.",
        ),
        (
            "Correctness first",
            "A candidate that fails its tests never ranks above one that "
            "passes, unless the passing one has a high-severity security finding.",
        ),
        (
            "Scores",
            "Scores follow the five-dimension rubric of pairwise review; the order must "
            "not contradict them on correctness.",
        ),
        ("Rationale", "Name what separated each neighbouring pair in the order."),
    ),
)


def parse_ranking(
    fields: Fields, candidate_ids: list[int], where: str
) -> tuple[dict[int, int], dict[int, dict[str, int]]]:
    """Ranks and scores from fields `rank-<id>` and `score-<id>-<dimension>`."""
    ranks: dict[int, int] = {}
    scores: dict[int, dict[str, int]] = {}
    n = len(candidate_ids)
    for position, candidate_id in enumerate(candidate_ids):
        label = chr(ord("A") + position)
        ranks[candidate_id] = _int(fields, f"rank-{candidate_id}", f"the rank of {label}", where)
        if not 1 <= ranks[candidate_id] <= n:
            raise WorkError(f"{where}: the rank of {label} must be 1..{n}")
        scores[candidate_id] = {}
        for dimension in DIMENSIONS:
            value = _int(
                fields,
                f"score-{candidate_id}-{dimension}",
                f"the {dimension} score of {label}",
                where,
            )
            if not SCORE_MIN <= value <= SCORE_MAX:
                raise WorkError(f"{where}: the {dimension} score of {label} must be 1..5")
            scores[candidate_id][dimension.value] = value
    if sorted(ranks.values()) != list(range(1, n + 1)):
        raise WorkError(
            f"{where}: a full ranking gives each of the {n} candidates its own place 1..{n} "
            f"(got {sorted(ranks.values())})"
        )
    return ranks, scores


def _int(fields: Fields, name: str, label: str, where: str) -> int:
    try:
        return int(str(fields.get(name, "")))
    except ValueError:
        raise WorkError(f"{where}: {label} is missing") from None


class RankingWork(WorkType):
    kind = WorkKind.RANKING
    title = "Ranking"
    rubric = RUBRIC
    template = "work_ranking.html"

    def plan(self, session: Session, prompt: Prompt, settings: ReviewSettings) -> list[PlannedWork]:
        """Up to `ranking_size` of the prompt's candidates with code (passing or not), drawn
        reproducibly; none when fewer than three have code."""
        candidates = session.scalars(
            select(Candidate)
            .where(Candidate.prompt_id == prompt.id, Candidate.source != CandidateSource.REFERENCE)
            .order_by(col(Candidate.id))
        )
        ids = [c.id for c in candidates if c.id is not None and c.code.strip()]
        if len(ids) < MIN_CANDIDATES:
            return []
        draw = random.Random(f"ranking:{prompt.id}")
        chosen = sorted(draw.sample(ids, min(len(ids), settings.ranking_size)))
        return [
            PlannedWork(
                prompt_id=prompt.id or 0,
                work_key=f"prompt:{prompt.id}",
                candidates=tuple(chosen),
            )
        ]

    def parse(self, fields: Fields, context: WorkContext) -> Payload:
        ids = [c.candidate_id for c in context.candidates]
        ranks, scores = parse_ranking(fields, ids, context.where)
        rationale = required_text(
            fields, "rationale", "a rationale", limit=MAX_RATIONALE_CHARS, where=context.where
        )
        return {
            "ranks": {str(k): v for k, v in ranks.items()},
            "scores": {str(k): v for k, v in scores.items()},
            "rationale": rationale,
        }

    def store(self, session: Session, submission_id: int, payload: Payload) -> None:
        for candidate_id, rank in payload["ranks"].items():
            session.add(
                RankEntry(
                    submission_id=submission_id,
                    candidate_id=int(candidate_id),
                    rank=rank,
                    scores=payload["scores"][candidate_id],
                )
            )

    def answer_text(self, payload: Payload) -> str:
        order = sorted(payload["ranks"], key=lambda c: payload["ranks"][c])
        return (
            "Order, best first: "
            + ", ".join(f"candidate {c}" for c in order)
            + (f". {payload['rationale']}")
        )


def ordered(payload: dict[str, Any]) -> list[int]:
    """The payload's candidates, best first."""
    return [int(c) for c in sorted(payload["ranks"], key=lambda c: payload["ranks"][c])]
