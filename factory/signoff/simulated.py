"""The simulated calibrator: signs a batch off in demonstrations, always marked simulated.

It is the simulated senior of factory.review.simulate (a `simulated` reviewer account), so its
sign-off carries `simulated = True` and every report that shows the sign-off says so.
"""

from sqlalchemy import Engine
from sqlmodel import Session

from factory.models import stored_id
from factory.review.simulate import ensure_simulated_reviewers
from factory.signoff.records import SignOffRecord, current_sign_off, sign_off
from factory.vocab import Role

SIMULATED_NOTE = (
    "[simulated] signed off by the demo's simulated calibrator: no person checked this batch"
)


def simulated_sign_off(engine: Engine, batch_id: str, note: str = "") -> tuple[SignOffRecord, bool]:
    """The batch signed off by the simulated calibrator; (record, False) when a sign-off that
    covers the batch's current reviews already stands (reruns change nothing)."""
    with Session(engine) as session:
        standing = current_sign_off(session, batch_id)
    if standing is not None and standing.covers_current_reviews:
        return standing, False
    calibrator = ensure_simulated_reviewers(engine, 1, [], role=Role.SENIOR)[0]
    text = f"{SIMULATED_NOTE}. {note}".strip() if note else SIMULATED_NOTE
    return sign_off(engine, batch_id, stored_id(calibrator), text), True
