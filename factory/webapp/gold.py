"""The seniors' gold pages: write expert gold answers on hard pairs, confirm or retire them.

A hard pair is a finished review task whose two candidates both pass their tests; the list
offers the senior's own adjudications first, then other adjudicated pairs, then the most
contested ones. Each answer is stored with its written reason, who wrote it and when, and who
confirmed it (factory.review.gold).
"""

from collections.abc import Callable, Sequence

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, col, select
from starlette.datastructures import FormData

from factory.models import Adjudication, Annotation, GoldItem, Reviewer, ReviewTask
from factory.review.errors import NotYoursError, ReviewError
from factory.review.gold import (
    author_gold,
    both_pass,
    confirm_gold,
    gold_catalogue,
    proposed_hard_pairs,
    retire_gold,
)
from factory.tasktypes.gold import promote_submission, proposed_submissions
from factory.vocab import Role
from factory.webapp import auth
from factory.webapp.pages import RowId, flash, render, see_other
from factory.webapp.rendering import review_view

router = APIRouter(prefix="/gold")
Senior = Depends(auth.require_role(Role.SENIOR, Role.ADMIN))
Form = Depends(auth.checked_form)


@router.get("", response_class=HTMLResponse)
def gold_list(request: Request, user: auth.SignedIn = Senior) -> HTMLResponse:
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        proposed = proposed_hard_pairs(session, user.id)
        proposed_work = proposed_submissions(session)
        catalogue = gold_catalogue(session)
    return render(
        request,
        "gold_list.html",
        {
            "user": user,
            "proposed": proposed,
            "proposed_work": proposed_work,
            "catalogue": catalogue,
            "needs_confirmation": request.app.state.config.review.gold_needs_confirmation,
        },
    )


def _pair_page(
    request: Request,
    task_id: int,
    user: auth.SignedIn,
    *,
    error: str | None = None,
    values: FormData | None = None,
) -> HTMLResponse:
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        task = session.get(ReviewTask, task_id)
        if task is None:
            raise HTTPException(status_code=404, detail=f"Task {task_id} does not exist.")
        view = review_view(session, task, swapped=False)
        reviews: Sequence[tuple[Annotation, str]] = session.exec(
            select(Annotation, Reviewer.username)
            .join(Reviewer, col(Reviewer.id) == Annotation.reviewer_id)
            .where(Annotation.task_id == task_id)
            .order_by(col(Annotation.id))
        ).all()
        decision = session.exec(
            select(Adjudication, Reviewer.username)
            .join(Reviewer, col(Reviewer.id) == Adjudication.reviewer_id)
            .where(Adjudication.task_id == task_id)
        ).first()
        existing = session.exec(select(GoldItem).where(GoldItem.task_id == task_id)).first()
        hard = both_pass(session, task)
    return render(
        request,
        "gold_author.html",
        {
            "user": user,
            "task": task,
            "view": view,
            "reviews": reviews,
            "decision": decision,
            "existing": existing,
            "hard": hard,
            "error": error,
            "values": values or {},
        },
        status_code=400 if error else 200,
    )


@router.get("/new/{task_id}", response_class=HTMLResponse)
def gold_author_page(request: Request, task_id: RowId, user: auth.SignedIn = Senior):
    return _pair_page(request, task_id, user)


@router.post("/new/{task_id}")
def gold_author(
    request: Request, task_id: RowId, user: auth.SignedIn = Senior, form: FormData = Form
) -> Response:
    try:
        raw = str(form.get("preference", ""))
        if not raw.lstrip("-").isdigit():
            raise ReviewError(f"task {task_id}: choose the gold answer's preference")
        item = author_gold(
            request.app.state.engine,
            task_id,
            user.id,
            preference=int(raw),
            reason=str(form.get("reason", "")),
        )
    except NotYoursError as exc:
        raise HTTPException(status_code=403, detail=str(exc)) from exc
    except ReviewError as exc:
        return _pair_page(request, task_id, user, error=str(exc), values=form)
    flash(request, f"Gold item {item.id} saved from task {task_id}.", "success")
    return see_other("/gold")


def _gold_action(
    request: Request, gold_id: int, action: str, run: Callable[[], object]
) -> Response:
    try:
        run()
    except NotYoursError as exc:
        raise HTTPException(status_code=403, detail=str(exc)) from exc
    except ReviewError as exc:
        flash(request, str(exc), "error")
        return see_other("/gold")
    flash(request, f"Gold item {gold_id} {action}.", "success")
    return see_other("/gold")


@router.post("/{gold_id}/confirm")
def gold_confirm(
    request: Request, gold_id: RowId, user: auth.SignedIn = Senior, form: FormData = Form
) -> Response:
    note = str(form.get("note", ""))
    return _gold_action(
        request,
        gold_id,
        "confirmed",
        lambda: confirm_gold(request.app.state.engine, gold_id, user.id, note=note),
    )


@router.post("/{gold_id}/retire")
def gold_retire(
    request: Request, gold_id: RowId, user: auth.SignedIn = Senior, form: FormData = Form
) -> Response:
    reason = str(form.get("reason", ""))
    return _gold_action(
        request,
        gold_id,
        "retired",
        lambda: retire_gold(request.app.state.engine, gold_id, user.id, reason=reason),
    )


@router.post("/submission/{submission_id}")
def promote(
    request: Request, submission_id: RowId, user: auth.SignedIn = Senior, form: FormData = Form
) -> Response:
    """Make an accepted submission of work beyond pairs the known answer of its task."""
    try:
        with Session(request.app.state.engine) as session:
            item = promote_submission(session, submission_id, user.id, str(form.get("reason", "")))
            session.commit()
            flash(
                request, f"Gold item {item.id} written from submission {submission_id}.", "success"
            )
    except NotYoursError as exc:
        raise HTTPException(status_code=403, detail=str(exc)) from exc
    except ReviewError as exc:
        flash(request, str(exc), "error")
    return see_other("/gold")
