"""Judge hints: an LLM judge's scores and reasons, shown to a reviewer only after their own review.

With `review.judge_hints: after_scores` (the default), a reviewer who submits a review of a
pair the judge scored (`generation.judge_model`) lands on a page that sets their scores beside
the judge's, with the judge's reasons, before moving on. The review is saved by then, so the
hint can inform the next judgement but never this one; the review page itself carries no judge
data at all. With `never`, the page does not exist.
"""

from dataclasses import dataclass, field

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine, exists, select
from sqlmodel import Session, col

from factory.models import JudgeScore, ReviewTask, TaskClaim
from factory.review.gold import submitted_scores
from factory.vocab import DIMENSIONS, ClaimStatus
from factory.webapp import auth
from factory.webapp.pages import RowId, render
from factory.webapp.rendering import displayed_order

router = APIRouter()
Signed = Depends(auth.current_reviewer)
AFTER_SCORES = "after_scores"


@dataclass(slots=True)
class HintRow:
    dimension: str
    own: tuple[int | None, int | None]  # the reviewer's scores of A (left) and B (right)
    judge: tuple[int | None, int | None]  # the judge's


@dataclass(slots=True)
class JudgeHint:
    judge_model: str
    rows: list[HintRow] = field(default_factory=list)
    reasons: tuple[str, str] = ("", "")  # the judge's rationale for A and for B


def hints_enabled(request: Request) -> bool:
    return request.app.state.config.review.judge_hints == AFTER_SCORES


def task_has_judge_scores(engine: Engine, task: ReviewTask) -> bool:
    ids = [task.candidate_a_id, task.candidate_b_id]
    with engine.connect() as connection:
        return bool(
            connection.scalar(select(exists().where(col(JudgeScore.candidate_id).in_(ids))))
        )


def judge_hints_due(request: Request, task: ReviewTask) -> bool:
    """Whether a reviewer who just submitted a review of `task` should see the judge's scores."""
    return hints_enabled(request) and task_has_judge_scores(request.app.state.engine, task)


def judge_hints(session: Session, claim: TaskClaim, task: ReviewTask) -> list[JudgeHint]:
    """Per judge model, the judge's scores beside the claim's submitted scores, in the order the
    reviewer saw the candidates."""
    left, right = displayed_order(task, swapped=claim.swapped)
    assert claim.id is not None  # a row read from the database
    own = submitted_scores(session, claim.id)  # an answer to expert gold reads the same
    judged: dict[str, dict[tuple[int, str], JudgeScore]] = {}
    for row in session.scalars(
        select(JudgeScore)
        .where(col(JudgeScore.candidate_id).in_([left, right]))
        .order_by(col(JudgeScore.judge_model), col(JudgeScore.id))
    ):
        judged.setdefault(row.judge_model, {})[(row.candidate_id, row.dimension)] = row
    hints = []
    for model, scores in judged.items():
        hint = JudgeHint(judge_model=model)
        for dimension in DIMENSIONS:
            left_score = scores.get((left, dimension.value))
            right_score = scores.get((right, dimension.value))
            hint.rows.append(
                HintRow(
                    dimension=dimension.value,
                    own=(own.get((left, dimension.value)), own.get((right, dimension.value))),
                    judge=(
                        left_score.score if left_score else None,
                        right_score.score if right_score else None,
                    ),
                )
            )
        hint.reasons = (_reason(scores, left), _reason(scores, right))
        hints.append(hint)
    return hints


def _reason(scores: dict[tuple[int, str], JudgeScore], candidate_id: int) -> str:
    # The judge gives one rationale per candidate, stored on each of its dimension rows.
    for (scored, _dimension), row in scores.items():
        if scored == candidate_id and row.rationale:
            return row.rationale
    return ""


@router.get("/review/{claim_id}/judge", response_class=HTMLResponse)
def judge_page(request: Request, claim_id: RowId, user: auth.SignedIn = Signed) -> HTMLResponse:
    if not hints_enabled(request):
        raise HTTPException(status_code=404, detail="Judge hints are turned off here.")
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        claim = session.get(TaskClaim, claim_id)
        if claim is None or claim.reviewer_id != user.id:
            raise HTTPException(status_code=404, detail=f"Claim {claim_id} is not one of yours.")
        if claim.status != ClaimStatus.SUBMITTED:
            # Never before the reviewer's own scores are in.
            raise HTTPException(
                status_code=409,
                detail="The judge's scores are shown only after you submit your own review "
                f"of task {claim.task_id}.",
            )
        task = session.get(ReviewTask, claim.task_id)
        assert task is not None  # a claim's task always exists (foreign key)
        hints = judge_hints(session, claim, task)
    return render(
        request, "judge_hints.html", {"user": user, "claim": claim, "task": task, "hints": hints}
    )
