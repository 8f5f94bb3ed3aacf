"""The work pages: every kind of task beyond a pair (factory.tasktypes), reasoning notes beside
every kind, and the sandbox run a refactoring step asks for.

A kind's page is its plug-in's `template`; what it posts is handed to
factory.tasktypes.submit.submit_work, which parses, checks in the sandbox and writes. A refused
submission comes back as the same page with the reason and everything typed kept. The app's
sandbox is opened on first use (tests inject one as `app.state.work_sandbox`) and closed when
the app stops.
"""

import logging
import threading
from collections.abc import Mapping

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.datastructures import FormData

from factory.errors import SandboxUnavailableError
from factory.models import ReasoningNote, ReviewTask, TaskClaim
from factory.review.errors import LeaseExpiredError, NotYoursError, ReviewError
from factory.review.pools import PoolRules
from factory.review.queue import skip_claim
from factory.sandbox import Sandbox, open_sandbox
from factory.tasktypes.checking import code_runner, describe
from factory.tasktypes.notes import add_note, notes_of
from factory.tasktypes.repo_fix import environment_sessions
from factory.tasktypes.submit import ClaimedWork, claimed_work, submit_work
from factory.vocab import Verdict, WorkKind
from factory.webapp import auth
from factory.webapp.pages import RowId, flash, render, see_other
from factory.webapp.review import claim_and_go
from factory.webapp.work_views import CHOICES, page_view

router = APIRouter()
Signed = Depends(auth.current_reviewer)
Form = Depends(auth.checked_form)
log = logging.getLogger("factory.webapp")

SKIP_REASONS = (
    "Outside my expertise",
    "Prompt is unclear or broken",
    "The code cannot be worked on as asked",
    "Conflict of interest",
)
MAX_RUN_CHARS = 100_000
_opening = threading.Lock()


# -- the app's sandbox -------------------------------------------------------------------------


def work_sandbox(request: Request) -> Sandbox | None:
    """The sandbox that checks submissions, opened on first use; None when none can run here
    (checked kinds are then refused with a sentence saying so)."""
    state = request.app.state
    if state.work_sandbox is not None:
        return state.work_sandbox
    with _opening:
        if state.work_sandbox is None:
            try:
                state.work_sandbox = open_sandbox(state.config.sandbox)
            except SandboxUnavailableError as exc:
                log.warning("no sandbox to check work in: %s", exc)
                return None
            state.work_sandbox_opened = True
    return state.work_sandbox


def close_work_sandbox(app: FastAPI) -> None:
    """Close the sandbox the app opened itself (an injected one belongs to whoever made it)."""
    sandbox = app.state.work_sandbox
    if sandbox is not None and getattr(app.state, "work_sandbox_opened", False):
        sandbox.close()
        app.state.work_sandbox = None
        app.state.work_sandbox_opened = False


# -- reading a claim ---------------------------------------------------------------------------


def _engine(request: Request) -> Engine:
    return request.app.state.engine


class _PairClaim(Exception):
    """The claim is on a pair: its page is the review page."""


def _owned(session: Session, claim_id: int, user: auth.SignedIn) -> TaskClaim:
    """The claim, if it is the signed-in reviewer's (whatever its kind or state); else 404."""
    claim = session.get(TaskClaim, claim_id)
    if claim is None or claim.reviewer_id != user.id:
        raise HTTPException(status_code=404, detail=f"claim {claim_id} is not one of yours")
    return claim


def _own_claim(engine: Engine, claim_id: int, user: auth.SignedIn) -> None:
    with Session(engine) as session:
        _owned(session, claim_id, user)


def _work_of(session: Session, claim_id: int, user: auth.SignedIn) -> ClaimedWork:
    """The signed-in reviewer's active claim on work beyond a pair (404 for anyone else's)."""
    claim = _owned(session, claim_id, user)
    task = session.get(ReviewTask, claim.task_id)
    if task is not None and task.kind == WorkKind.PAIRWISE:
        raise _PairClaim
    try:
        return claimed_work(session, claim_id, user.id)
    except LeaseExpiredError:
        raise
    except NotYoursError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    except ReviewError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc


def _page(
    request: Request,
    claim_id: int,
    user: auth.SignedIn,
    *,
    error: str | None = None,
    values: Mapping[str, str] | None = None,
) -> Response:
    try:
        with Session(_engine(request), expire_on_commit=False) as session:
            work = _work_of(session, claim_id, user)
            view = page_view(session, work)
    except _PairClaim:
        return see_other(f"/review/{claim_id}")
    except LeaseExpiredError as exc:
        flash(request, str(exc), "error")
        return see_other("/")
    return render(
        request,
        work.plugin.template,
        {
            "user": user,
            "claim": work.claim,
            "page": view,
            "rubric": work.plugin.rubric,
            "choices": CHOICES,
            "error": error,
            "values": values or {},
            "skip_reasons": SKIP_REASONS,
            "expires_at": work.claim.expires_at.strftime("%H:%M"),
            "notes": view.notes,
            "min_notes": view.min_notes,
            "notes_action": f"/work/{claim_id}/notes",
        },
        status_code=400 if error else 200,
    )


def _fields(form: FormData) -> dict[str, str]:
    return {name: value for name, value in form.items() if isinstance(value, str)}


# -- pages -------------------------------------------------------------------------------------


@router.get("/work/{claim_id}", response_class=HTMLResponse)
def work_page(request: Request, claim_id: RowId, user: auth.SignedIn = Signed) -> Response:
    return _page(request, claim_id, user)


@router.post("/work/{claim_id}")
def submit(
    request: Request, claim_id: RowId, user: auth.SignedIn = Signed, form: FormData = Form
) -> Response:
    fields = _fields(form)
    try:
        with Session(_engine(request), expire_on_commit=False) as session:
            work = _work_of(session, claim_id, user)
    except _PairClaim:
        return see_other(f"/review/{claim_id}")
    except LeaseExpiredError as exc:
        flash(request, str(exc), "error")
        return see_other("/")
    settings = request.app.state.config
    # Only kinds the sandbox checks open it: a ranking never waits for one.
    on_repository = work.context.repo_task is not None
    sandbox = (
        work_sandbox(request) if work.plugin.checked_in_sandbox and not on_repository else None
    )
    # A fix on a repository task is checked in that task's own environment instead.
    repo = environment_sessions(_engine(request), settings) if on_repository else None
    try:
        submit_work(
            _engine(request),
            claim_id,
            user.id,
            fields,
            sandbox=sandbox,
            sandbox_settings=settings.sandbox,
            repo_session=repo,
            pool_rules=PoolRules.from_settings(settings.review),
        )
    except LeaseExpiredError as exc:
        flash(request, str(exc), "error")
        return see_other("/")
    except NotYoursError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    except ReviewError as exc:  # WorkError and WorkRefused among them: the page again, kept
        return _page(request, claim_id, user, error=str(exc), values=fields)
    # Named by the claim, never the task: nothing tells a gold item from ordinary work.
    flash(request, f"Work {claim_id} saved.", "success")
    if fields.get("advance", "1") == "0":
        return see_other("/")
    return claim_and_go(request, user)


@router.post("/work/{claim_id}/skip")
def skip(
    request: Request, claim_id: RowId, user: auth.SignedIn = Signed, form: FormData = Form
) -> Response:
    reason = str(form.get("reason", "")).strip()
    detail = str(form.get("detail", "")).strip()
    full = f"{reason}: {detail}" if reason and detail else reason or detail
    _own_claim(_engine(request), claim_id, user)
    try:
        skip_claim(_engine(request), claim_id, user.id, reason=full)
    except LeaseExpiredError as exc:
        flash(request, str(exc), "error")
        return see_other("/")
    except ReviewError as exc:
        return _page(request, claim_id, user, error=str(exc))
    flash(request, f"Work {claim_id} skipped ({full}).", "info")
    return claim_and_go(request, user)


# -- notes and runs (JSON for the page's script; notes also take a plain form post) -------------


def stamp(seconds_in: float) -> str:
    """'+mm:ss' since the claim began (minutes go past 59 rather than into hours)."""
    whole = int(seconds_in)
    return f"+{whole // 60:02d}:{whole % 60:02d}"


def _note_json(note: ReasoningNote) -> dict[str, object]:
    return {"stamp": stamp(note.seconds_in), "seconds_in": note.seconds_in, "text": note.text}


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _json_error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _add_note(
    request: Request, claim_id: int, user: auth.SignedIn, form: FormData, back: str
) -> Response:
    wants_json = _wants_json(request)
    try:
        _own_claim(_engine(request), claim_id, user)
    except HTTPException as exc:
        if wants_json:
            return _json_error(404, str(exc.detail))
        raise
    try:
        add_note(_engine(request), claim_id, user.id, str(form.get("text", "")))
    except ReviewError as exc:
        if wants_json:
            return _json_error(409 if isinstance(exc, LeaseExpiredError) else 400, str(exc))
        flash(request, str(exc), "error")
        return see_other(back)
    if not wants_json:  # the form's own post, without the script
        flash(request, "Note added.", "success")
        return see_other(back)
    with Session(_engine(request)) as session:
        notes = [_note_json(n) for n in notes_of(session, claim_id)]
    return JSONResponse({"notes": notes})


@router.post("/work/{claim_id}/notes")
def work_note(
    request: Request, claim_id: RowId, user: auth.SignedIn = Signed, form: FormData = Form
) -> Response:
    return _add_note(request, claim_id, user, form, f"/work/{claim_id}")


@router.post("/review/{claim_id}/notes")
def review_note(
    request: Request, claim_id: RowId, user: auth.SignedIn = Signed, form: FormData = Form
) -> Response:
    """The same, from the pairwise review page (its addresses all name /review/)."""
    return _add_note(request, claim_id, user, form, f"/review/{claim_id}")


@router.post("/work/{claim_id}/run")
def run_tests(
    request: Request, claim_id: RowId, user: auth.SignedIn = Signed, form: FormData = Form
) -> JSONResponse:
    """The prompt's tests on `code`, in the sandbox: what a refactoring step shows beside it."""
    code = str(form.get("code", "")).replace("\r\n", "\n").rstrip()
    if not code.strip():
        return _json_error(400, f"claim {claim_id}: there is no code to run")
    if len(code) > MAX_RUN_CHARS:
        return _json_error(400, f"claim {claim_id}: the code is longer than {MAX_RUN_CHARS}")
    try:
        with Session(_engine(request), expire_on_commit=False) as session:
            work = _work_of(session, claim_id, user)
    except _PairClaim:
        return _json_error(400, f"claim {claim_id} is a pair; nothing runs from its page")
    except LeaseExpiredError as exc:
        return _json_error(409, str(exc))
    except HTTPException as exc:
        return _json_error(exc.status_code, str(exc.detail))
    if not work.context.tests.strip():
        return _json_error(400, f"claim {claim_id}: the prompt has no tests to run")
    sandbox = work_sandbox(request)
    if sandbox is None:
        return _json_error(
            503, "no sandbox is available to the app to run the tests; tell an admin"
        )
    run = code_runner(work.context, sandbox, request.app.state.config.sandbox)
    outcome = run(code + "\n", work.context.tests)
    return JSONResponse(
        {
            "verdict": str(outcome.verdict),
            "tests_passed": outcome.tests_passed,
            "tests_total": outcome.tests_total,
            "passed": outcome.verdict == Verdict.PASSED,
            "sandbox_error": outcome.verdict == Verdict.SANDBOX_ERROR,
            "summary": describe(outcome),
        }
    )
