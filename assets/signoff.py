"""`sign_off`: a senior's sign-off of the reviewed batch, the gate before packaging."""

from assets.stage import POST_REVIEW, stage_asset, stage_gate
from expectations import signoff as suite
from factory.signoff import stage

sign_off = stage_asset(
    name="sign_off",
    run=stage.run,
    deps=["agreement"],
    group=POST_REVIEW,
    description="Whether and by whom the batch is signed off: a senior calibrator (role senior "
    "or admin) reviews progress, agreement and adjudications at /signoff in the reviewer app and "
    "signs off with a note. Its gate holds packaging until a sign-off that is not revoked covers "
    "the batch's current reviews.",
)
sign_off_gate = stage_gate(sign_off, suite)
