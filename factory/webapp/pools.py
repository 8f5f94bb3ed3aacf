"""The admins' pool page: who is qualifying, active or suspended in which language and task
type, on what figures; and the admin's decisions (enrol, qualify, restore), each recorded."""

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, select
from starlette.datastructures import FormData

from factory.db import session_scope
from factory.models import PoolMembership, Reviewer
from factory.review.pools import POOL_TYPES, PoolError, PoolRules, admit, enrol, pool_overview
from factory.vocab import Language, Role
from factory.webapp import auth
from factory.webapp.pages import RowId, flash, render, see_other

router = APIRouter(prefix="/admin/pools")
Admin = Depends(auth.require_role(Role.ADMIN))
Form = Depends(auth.checked_form)


@router.get("", response_class=HTMLResponse)
def pools_page(request: Request, user: auth.SignedIn = Admin) -> HTMLResponse:
    rules = PoolRules.from_settings(request.app.state.config.review)
    with Session(request.app.state.engine) as session:
        rows = pool_overview(session, rules)
    return render(
        request,
        "admin_pools.html",
        {
            "user": user,
            "rows": rows,
            "rules": rules,
            "languages": [lang.value for lang in Language],
            "task_types": list(POOL_TYPES),
        },
    )


@router.post("/{membership_id}/admit")
def admit_member(
    request: Request, membership_id: RowId, user: auth.SignedIn = Admin, form: FormData = Form
) -> Response:
    """Qualify a qualifying reviewer, or restore a suspended one, with a written reason."""
    try:
        with session_scope(request.app.state.engine, immediate=True) as session:
            member = session.get(PoolMembership, membership_id)
            if member is None:
                raise HTTPException(status_code=404, detail=f"No pool membership {membership_id}.")
            was = member.status
            admit(
                session,
                member.reviewer_id,
                member.language,
                member.task_type,
                reason=str(form.get("reason", "")),
                actor_id=user.id,
            )
    except PoolError as exc:
        flash(request, str(exc), "error")
        return see_other("/admin/pools")
    verb = "restored" if was == "suspended" else "qualified"
    flash(request, f"Membership {membership_id} {verb}.", "success")
    return see_other("/admin/pools")


@router.post("/enrol")
def enrol_member(request: Request, user: auth.SignedIn = Admin, form: FormData = Form) -> Response:
    """Put a reviewer in a pool as qualifying: their queue serves its qualification items."""
    username = str(form.get("username", "")).strip()
    language = str(form.get("language", ""))
    task_type = str(form.get("task_type", ""))
    try:
        with session_scope(request.app.state.engine, immediate=True) as session:
            reviewer = session.exec(select(Reviewer).where(Reviewer.username == username)).first()
            if reviewer is None or reviewer.id is None:
                raise PoolError(f"there is no reviewer named {username!r}")
            enrol(session, reviewer.id, [(language, task_type)])
    except PoolError as exc:
        flash(request, str(exc), "error")
        return see_other("/admin/pools")
    flash(request, f"{username} is in {language}/{task_type}.", "success")
    return see_other("/admin/pools")
