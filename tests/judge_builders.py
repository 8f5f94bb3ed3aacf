"""LLM-judge scores on every candidate of a batch, for the judge-hint and agreement tests."""

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from factory.models import Candidate, JudgeScore
from factory.vocab import DIMENSIONS

JUDGE = "judge-model-x"


def judge_reason(candidate_id: int) -> str:
    return f"JUDGE-REASON-{candidate_id}: <b>not bold</b>"


def judge_score(candidate_id: int, dimension_index: int) -> int:
    return (candidate_id + dimension_index) % 5 + 1


def add_judge_scores(engine: Engine, batch_id: str) -> dict[int, dict[str, int]]:
    """Scores every non-reference candidate of the batch; returns them by candidate id."""
    scores: dict[int, dict[str, int]] = {}
    with Session(engine) as session:
        candidates = session.exec(
            select(Candidate).where(
                Candidate.batch_id == batch_id, col(Candidate.source) != "reference"
            )
        ).all()
        for candidate in candidates:
            assert candidate.id is not None
            for i, dimension in enumerate(DIMENSIONS):
                score = judge_score(candidate.id, i)
                scores.setdefault(candidate.id, {})[dimension.value] = score
                session.add(
                    JudgeScore(
                        candidate_id=candidate.id,
                        judge_model=JUDGE,
                        dimension=dimension.value,
                        score=score,
                        rationale=judge_reason(candidate.id),
                    )
                )
        session.commit()
    return scores
