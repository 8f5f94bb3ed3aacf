"""The senior calibrator's sign-off page: batches whose reviews are in, with their progress,
agreement summary and open adjudications; signing one off (with a required note) or revoking a
sign-off. Packaging waits for the sign-off (the `sign_off` asset's gate)."""

from dataclasses import dataclass

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session
from starlette.datastructures import FormData

from factory.agreement.report import AgreementReport, agreement_report
from factory.review.completion import BatchProgress, all_batch_progress
from factory.signoff.records import (
    SignOffError,
    SignOffRecord,
    UnknownBatchError,
    current_sign_off,
    revoke_sign_off,
    sign_off,
)
from factory.vocab import Role
from factory.webapp import auth
from factory.webapp.pages import flash, render, see_other

router = APIRouter(prefix="/signoff")
Senior = Depends(auth.require_role(Role.SENIOR, Role.ADMIN))
Form = Depends(auth.checked_form)
MAX_BATCH_ID_CHARS = 200  # Batch.id's length: a longer id names no batch


@dataclass(frozen=True, slots=True)
class BatchForSignOff:
    progress: BatchProgress
    sign_off: SignOffRecord | None
    agreement: AgreementReport | None  # computed only for batches awaiting a sign-off
    judged_figures: int

    @property
    def awaiting(self) -> bool:
        return self.sign_off is None or not self.sign_off.covers_current_reviews

    @property
    def agreement_passed(self) -> bool:
        return self.agreement is not None and self.agreement.passed and self.judged_figures > 0


def batches_for_sign_off(request: Request) -> list[BatchForSignOff]:
    """Every batch whose reviews are all submitted (no task still open), awaiting first."""
    settings = request.app.state.config.agreement
    listed = []
    with Session(request.app.state.engine) as session:
        for progress in all_batch_progress(session):
            if progress.open:
                continue  # reviews still coming in: nothing to sign off yet
            record = current_sign_off(session, progress.batch_id)
            awaiting = record is None or not record.covers_current_reviews
            report = agreement_report(session, [progress.batch_id], settings) if awaiting else None
            judged = len(report.gate_frame()) if report else 0
            listed.append(BatchForSignOff(progress, record, report, judged))
    listed.sort(key=lambda item: (not item.awaiting, item.progress.batch_id))
    return listed


def _page(
    request: Request, user: auth.SignedIn, *, error: str | None = None, status: int = 200
) -> HTMLResponse:
    return render(
        request,
        "signoff.html",
        {"user": user, "batches": batches_for_sign_off(request), "error": error},
        status_code=status,
    )


def _checked_batch_id(batch_id: str) -> str:
    if len(batch_id) > MAX_BATCH_ID_CHARS:
        raise HTTPException(status_code=404, detail="There is no batch with that id.")
    return batch_id


@router.get("", response_class=HTMLResponse)
def sign_off_page(request: Request, user: auth.SignedIn = Senior) -> HTMLResponse:
    return _page(request, user)


@router.post("/{batch_id}")
def sign_off_batch(
    request: Request, batch_id: str, user: auth.SignedIn = Senior, form: FormData = Form
) -> Response:
    batch_id = _checked_batch_id(batch_id)
    try:
        sign_off(request.app.state.engine, batch_id, user.id, str(form.get("note", "")))
    except UnknownBatchError as exc:
        raise HTTPException(status_code=404, detail=f"{exc}.") from exc
    except SignOffError as exc:
        return _page(request, user, error=f"{exc}.", status=400)
    flash(request, f"Batch {batch_id} signed off; packaging may now run for it.", "success")
    return see_other("/signoff")


@router.post("/{batch_id}/revoke")
def revoke(
    request: Request, batch_id: str, user: auth.SignedIn = Senior, form: FormData = Form
) -> Response:
    batch_id = _checked_batch_id(batch_id)
    try:
        revoke_sign_off(request.app.state.engine, batch_id, user.id, str(form.get("reason", "")))
    except SignOffError as exc:
        return _page(request, user, error=f"{exc}.", status=400)
    flash(request, f"Sign-off of batch {batch_id} revoked; packaging waits again.", "info")
    return see_other("/signoff")
