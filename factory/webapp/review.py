"""Sign-in, the reviewer's queue and review page, and the senior adjudication pages."""

from collections.abc import Sequence

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine, bindparam
from sqlmodel import Session, col, func, select
from starlette.datastructures import FormData

from factory.models import Annotation, Reviewer, ReviewTask, TaskClaim
from factory.models._base import utcnow
from factory.review.adjudication import adjudicate, adjudication_queue
from factory.review.errors import LeaseExpiredError, NotYoursError, ReviewError
from factory.review.pools import PoolRules, memberships_of
from factory.review.queue import claim_next, skip_claim, submit_review
from factory.settings import ReviewSettings
from factory.tasktypes.notes import notes_of
from factory.vocab import (
    DIMENSIONS,
    PREFERENCE_MAX,
    PREFERENCE_MIN,
    ClaimStatus,
    Role,
    TaskStatus,
    WorkKind,
)
from factory.webapp import auth
from factory.webapp.hints import judge_hints_due
from factory.webapp.pages import RowId, flash, render, see_other
from factory.webapp.rendering import (
    ReviewView,
    canonical_preference,
    displayed_order,
    review_view,
)
from factory.webapp.throttle import throttled_message

router = APIRouter()
Signed = Depends(auth.current_reviewer)
Senior = Depends(auth.require_role(Role.SENIOR, Role.ADMIN))
Form = Depends(auth.checked_form)

SKIP_REASONS = (
    "Outside my expertise",
    "Prompt is unclear or broken",
    "Candidates cannot be compared",
    "Conflict of interest",
)


def _engine(request: Request) -> Engine:
    return request.app.state.engine


def _read_session(request: Request) -> Session:
    """A session for a request's reads; writes go through the queue's own transactions."""
    return Session(_engine(request), expire_on_commit=False)


def _review_settings(request: Request) -> ReviewSettings:
    return request.app.state.config.review


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    return render(request, "login.html", {"user": None})


@router.post("/login")
def login(request: Request, form: FormData = Form) -> Response:
    username = str(form.get("username", "")).strip()
    password = str(form.get("password", ""))
    throttle = request.app.state.sign_in_throttle
    address = request.client.host if request.client else None
    wait = throttle.retry_after(username, address)
    if wait:  # refused before any hash is verified: guessing costs the app nothing
        response = render(
            request,
            "login.html",
            {"user": None, "error": throttled_message(wait), "username": username},
            status_code=429,
        )
        response.headers["Retry-After"] = str(wait)
        return response
    reviewer = auth.authenticate(_engine(request), username, password)
    if reviewer is None:
        throttle.failed(username, address)
        return render(
            request,
            "login.html",
            {"user": None, "error": "Unknown username or wrong password.", "username": username},
            status_code=401,
        )
    throttle.succeeded(username)
    assert reviewer.id is not None  # a row read from the database
    auth.sign_in(request, reviewer.id)
    return see_other("/")


@router.post("/logout")
def logout(request: Request, _form: FormData = Form) -> Response:
    auth.sign_out(request)
    return see_other("/login")


@router.get("/", response_class=HTMLResponse)
def home(request: Request, user: auth.SignedIn = Signed) -> HTMLResponse:
    with _read_session(request) as session:
        # Answers to expert gold count as reviews: they are reviews, as far as anyone can see.
        done = session.exec(
            select(func.count())
            .select_from(TaskClaim)
            .where(TaskClaim.reviewer_id == user.id, TaskClaim.status == ClaimStatus.SUBMITTED)
        ).one()
        current = session.exec(
            select(TaskClaim).where(
                TaskClaim.reviewer_id == user.id,
                TaskClaim.status == ClaimStatus.ACTIVE,
                TaskClaim.expires_at > utcnow(),
            )
        ).first()
        open_tasks = session.exec(
            select(func.count())
            .select_from(ReviewTask)
            .where(
                ReviewTask.status == TaskStatus.OPEN,
                col(ReviewTask.language).in_(user.languages or [""]),
            )
        ).one()
        pools = memberships_of(session, user.id)
    return render(
        request,
        "home.html",
        {
            "user": user,
            "done": done,
            "current": current,
            "open_tasks": open_tasks,
            "pools": pools,
            "now": utcnow(),
        },
    )


def claim_and_go(request: Request, user: auth.SignedIn) -> Response:
    settings = _review_settings(request)
    claim = claim_next(
        _engine(request),
        user.id,
        lease_seconds=settings.lease_seconds,
        expert_gold_rate=settings.expert_gold_rate,
        gold_needs_confirmation=settings.gold_needs_confirmation,
    )
    if claim is None:
        flash(request, "Nothing left in your queue. Thank you!", "success")
        return see_other("/")
    return see_other(f"/review/{claim.id}")


@router.post("/next")
def next_task(request: Request, user: auth.SignedIn = Signed, _form: FormData = Form) -> Response:
    return claim_and_go(request, user)


_CLAIM_AND_TASK = (
    select(TaskClaim, ReviewTask)
    .join(ReviewTask, col(ReviewTask.id) == TaskClaim.task_id)
    .where(col(TaskClaim.id) == bindparam("claim_id"))
)


def _own_active_claim(
    session: Session, claim_id: int, user: auth.SignedIn
) -> tuple[TaskClaim, ReviewTask]:
    """The signed-in reviewer's active claim and its task, in one query."""
    row = session.execute(_CLAIM_AND_TASK, {"claim_id": claim_id}).first()
    if row is None or row[0].reviewer_id != user.id:
        raise HTTPException(status_code=404, detail=f"claim {claim_id} is not one of yours")
    claim, task = row
    if claim.status != ClaimStatus.ACTIVE:
        raise HTTPException(
            status_code=409, detail=f"claim {claim_id} is already {claim.status}; take the next"
        )
    return claim, task


def _review_page(
    request: Request,
    session: Session,
    claim: TaskClaim,
    task: ReviewTask,
    user: auth.SignedIn,
    *,
    error: str | None = None,
    values: FormData | None = None,
) -> HTMLResponse:
    view = review_view(session, task, swapped=claim.swapped)
    assert claim.id is not None  # a row read from the database
    return render(
        request,
        "review.html",
        {
            "user": user,
            "claim": claim,
            "view": view,
            "error": error,
            "values": values or {},
            "skip_reasons": SKIP_REASONS,
            "expires_at": claim.expires_at.strftime("%H:%M"),
            "notes": notes_of(session, claim.id),
            "notes_action": f"/review/{claim.id}/notes",
        },
        status_code=400 if error else 200,
    )


@router.get("/review/{claim_id}", response_class=HTMLResponse)
def review_page(request: Request, claim_id: RowId, user: auth.SignedIn = Signed) -> Response:
    with _read_session(request) as session:
        claim, task = _own_active_claim(session, claim_id, user)
        if task.kind != WorkKind.PAIRWISE:  # every other kind has its page (webapp.work)
            return see_other(f"/work/{claim_id}")
        return _review_page(request, session, claim, task, user)


def _int_field(form: FormData, name: str, label: str) -> int:
    raw = form.get(name)
    try:
        return int(str(raw))
    except ValueError:
        raise ReviewError(f"{label} is missing") from None


def parse_review_form(
    form: FormData, task: ReviewTask, *, swapped: bool
) -> tuple[int, dict[int, dict[str, int]], str]:
    """(canonical preference, scores by candidate id, rationale) from the page's fields."""
    left_id, right_id = displayed_order(task, swapped=swapped)
    scores: dict[int, dict[str, int]] = {left_id: {}, right_id: {}}
    for side, candidate_id in (("left", left_id), ("right", right_id)):
        label = "A" if side == "left" else "B"
        for dimension in DIMENSIONS:
            scores[candidate_id][dimension.value] = _int_field(
                form, f"score-{side}-{dimension.value}", f"the {dimension.value} score of {label}"
            )
    displayed = _int_field(form, "preference", "the preference")
    if not PREFERENCE_MIN <= displayed <= PREFERENCE_MAX:
        raise ReviewError(f"preference {displayed} is out of range")
    rationale = str(form.get("rationale", ""))
    return canonical_preference(displayed, swapped=swapped), scores, rationale


def _review_page_again(
    request: Request, claim: TaskClaim, task: ReviewTask, user: auth.SignedIn, **context
) -> HTMLResponse:
    with _read_session(request) as session:
        return _review_page(request, session, claim, task, user, **context)


def _claim_of(request: Request, claim_id: int, user: auth.SignedIn) -> tuple[TaskClaim, ReviewTask]:
    # Closed before the write: a request never holds two pooled connections at once.
    with _read_session(request) as session:
        return _own_active_claim(session, claim_id, user)


@router.post("/review/{claim_id}")
def submit(
    request: Request, claim_id: RowId, user: auth.SignedIn = Signed, form: FormData = Form
) -> Response:
    claim, task = _claim_of(request, claim_id, user)
    assert claim.id is not None  # a row read from the database
    if task.kind != WorkKind.PAIRWISE:  # the same post, to the kind's own handler
        return RedirectResponse(f"/work/{claim_id}", status_code=307)
    try:
        preference, scores, rationale = parse_review_form(form, task, swapped=claim.swapped)
        submit_review(
            _engine(request),
            claim.id,
            user.id,
            preference=preference,
            scores=scores,
            rationale=rationale,
            disagreement_threshold=_review_settings(request).disagreement_threshold,
            opposite_direction=_review_settings(request).opposite_direction,
            pool_rules=PoolRules.from_settings(_review_settings(request)),
        )
    except LeaseExpiredError as exc:
        flash(request, str(exc), "error")
        return see_other("/")
    except NotYoursError as exc:
        raise HTTPException(status_code=403, detail=str(exc)) from exc
    except ReviewError as exc:
        return _review_page_again(request, claim, task, user, error=str(exc), values=form)
    # Named by the claim, never the task: nothing tells a gold item from ordinary work.
    flash(request, f"Review {claim.id} saved.", "success")
    if judge_hints_due(request, task):  # the judge's scores, now that the reviewer's are in
        return see_other(f"/review/{claim_id}/judge")
    if form.get("advance", "1") == "0":
        return see_other("/")
    return claim_and_go(request, user)


@router.post("/review/{claim_id}/skip")
def skip(request: Request, claim_id: RowId, user: auth.SignedIn = Signed, form: FormData = Form):
    claim, task = _claim_of(request, claim_id, user)
    assert claim.id is not None  # a row read from the database
    if task.kind != WorkKind.PAIRWISE:
        return RedirectResponse(f"/work/{claim_id}/skip", status_code=307)
    reason = str(form.get("reason", "")).strip()
    detail = str(form.get("detail", "")).strip()
    full = f"{reason}: {detail}" if reason and detail else reason or detail
    try:
        skip_claim(_engine(request), claim.id, user.id, reason=full)
    except ReviewError as exc:
        return _review_page_again(request, claim, task, user, error=str(exc))
    flash(request, f"Review {claim.id} skipped ({full}).", "info")
    return claim_and_go(request, user)


@router.get("/adjudication", response_class=HTMLResponse)
def adjudication_list(request: Request, user: auth.SignedIn = Senior) -> HTMLResponse:
    with _read_session(request) as session:
        tasks = adjudication_queue(session)
    return render(request, "adjudication_list.html", {"user": user, "tasks": tasks})


def _disputed(
    request: Request, task_id: int
) -> tuple[ReviewTask, ReviewView, Sequence[tuple[Annotation, str]]]:
    with _read_session(request) as session:
        task = session.get(ReviewTask, task_id)
        if task is None:
            raise HTTPException(status_code=404, detail=f"task {task_id} does not exist")
        view = review_view(session, task, swapped=False)
        reviews = session.exec(
            select(Annotation, Reviewer.username)
            .join(Reviewer, col(Reviewer.id) == Annotation.reviewer_id)
            .where(Annotation.task_id == task_id)
            .order_by(col(Annotation.id))
        ).all()
    return task, view, reviews


@router.get("/adjudication/{task_id}", response_class=HTMLResponse)
def adjudication_page(
    request: Request, task_id: RowId, user: auth.SignedIn = Senior
) -> HTMLResponse:
    task, view, reviews = _disputed(request, task_id)
    return render(
        request,
        "adjudicate.html",
        {"user": user, "task": task, "view": view, "reviews": reviews, "error": None},
    )


@router.post("/adjudication/{task_id}")
def adjudication_submit(
    request: Request, task_id: RowId, user: auth.SignedIn = Senior, form: FormData = Form
) -> Response:
    try:
        preference = _int_field(form, "preference", "the preference")
        adjudicate(
            _engine(request),
            task_id,
            user.id,
            preference=preference,
            rationale=str(form.get("rationale", "")),
            override_veto=form.get("override_veto") == "on",
            override_reason=str(form.get("override_reason", "")),
        )
    except NotYoursError as exc:
        raise HTTPException(status_code=403, detail=str(exc)) from exc
    except ReviewError as exc:
        task, view, reviews = _disputed(request, task_id)
        return render(
            request,
            "adjudicate.html",
            {"user": user, "task": task, "view": view, "reviews": reviews, "error": str(exc)},
            status_code=400,
        )
    flash(request, f"Task {task_id} adjudicated.", "success")
    return see_other("/adjudication")
