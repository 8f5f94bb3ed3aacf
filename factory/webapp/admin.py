"""Admin pages: every batch's review progress, and per batch who reviewed how much, how fast,
and how accurately on attention checks; reviewers suspended from a pool."""

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from factory.models import Batch
from factory.review.completion import all_batch_progress, batch_progress
from factory.review.gold import gold_total
from factory.review.pools import PoolRules, PoolStatus, pool_overview
from factory.review.reporting import reviewer_stats
from factory.vocab import Role
from factory.webapp import auth
from factory.webapp.pages import render

router = APIRouter(prefix="/admin")
MAX_BATCH_ID_CHARS = 200
Admin = Depends(auth.require_role(Role.ADMIN))


@router.get("", response_class=HTMLResponse)
def batches(request: Request, user: auth.SignedIn = Admin) -> HTMLResponse:
    rules = PoolRules.from_settings(request.app.state.config.review)
    with Session(request.app.state.engine) as session:
        progress = all_batch_progress(session)
        suspended = pool_overview(session, rules, statuses=[PoolStatus.SUSPENDED])
    return render(
        request,
        "admin_batches.html",
        {"user": user, "batches": progress, "suspended": suspended},
    )


@router.get("/batch/{batch_id}", response_class=HTMLResponse)
def batch(request: Request, batch_id: str, user: auth.SignedIn = Admin) -> HTMLResponse:
    # Batch ids are at most 200 characters: a longer one names no batch (and is not queried).
    with Session(request.app.state.engine) as session:
        if len(batch_id) > MAX_BATCH_ID_CHARS or session.get(Batch, batch_id) is None:
            raise HTTPException(status_code=404, detail="There is no batch with that id.")
        progress = batch_progress(session, batch_id)
        stats = reviewer_stats(session, batch_id)
        gold = gold_total(session, batch_id)
    return render(
        request,
        "admin_batch.html",
        {"user": user, "progress": progress, "stats": stats, "gold_tasks": gold},
    )
