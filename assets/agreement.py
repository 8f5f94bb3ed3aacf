"""`agreement`: how far a reviewed batch's labels can be trusted."""

from assets.stage import POST_REVIEW, stage_asset, stage_gate
from expectations import agreement as suite
from factory.agreement import stage

agreement = stage_asset(
    name="agreement",
    run=stage.run,
    deps=["review_tasks"],
    group=POST_REVIEW,
    description="Inter-reviewer agreement for the batch: quadratic-weighted kappa on "
    "preferences and ordinal Krippendorff alpha on dimension scores per language x task type x "
    "dimension (n and bootstrap 95% CI), figures per kind of work beyond pairs (Kendall's W, "
    "span F1, cross-check pass rate, Krippendorff alphas), gold accuracy per reviewer, flagged "
    "reviewers.",
)
agreement_gate = stage_gate(agreement, suite)
