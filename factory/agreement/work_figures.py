"""The agreement report's figures on work beyond pairs: per kind, for every language together
("*") and for each language, each with its items and submissions.

A figure on fewer than `agreement.min_items_per_cell` tasks has no value (n/a): it is listed,
with its counts, and never gated. Three figures have thresholds and are gated when they have a
value: mean Kendall's W of rankings (`min_ranking_w`), pooled span F1 of code reviews
(`min_span_f1`) and the cross-check pass rate of bug fixes and authored solutions
(`min_cross_pass_rate`). Like the pairwise cells they are judged on their estimate, or on the
lower end of a 95% bootstrap interval over tasks, as `agreement.gate_on` says. The alphas are
reported only: what a good alpha of a root-cause category or a set of refactoring moves is has
no settled value yet.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from factory.agreement.bootstrap import bootstrap_ci_batched
from factory.agreement.breakdown import ALL, LOWER_BOUND
from factory.agreement.resampling import BatchStatistic
from factory.agreement.work_agreement import (
    CROSS_PASS_RATE,
    RANKING_W,
    SPAN_F1_MICRO,
    Measure,
    kind_measures,
)
from factory.agreement.work_data import WorkAnswer
from factory.settings import AgreementSettings
from factory.vocab import WorkKind

# metric -> the AgreementSettings threshold that gates it
THRESHOLDS = {
    RANKING_W: "min_ranking_w",
    SPAN_F1_MICRO: "min_span_f1",
    CROSS_PASS_RATE: "min_cross_pass_rate",
}
GATED_METRICS = tuple(THRESHOLDS)
# The value of a resample whose tasks hold nothing to compare: no reviewer marked any span.
EMPTY_VALUE = {SPAN_F1_MICRO: 1.0}
KIND_ORDER = {kind.value: i for i, kind in enumerate(WorkKind)}


@dataclass(frozen=True, slots=True)
class WorkFigure:
    kind: str  # vocab.WorkKind
    language: str  # "*": every language
    metric: str  # work_agreement's metric names
    n_items: int
    n_submissions: int
    value: float | None  # None: undefined, or fewer than min_items_per_cell tasks
    ci_low: float | None
    ci_high: float | None
    threshold: float | None  # None: reported, never gated
    judged_on: str  # "value" | "ci_low" | "" (not gated)
    details: dict[str, float | int | None] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.metric}[{self.language}/{self.kind}]"

    @property
    def gated(self) -> bool:
        return bool(self.judged_on)

    @property
    def judged_value(self) -> float | None:
        return {"value": self.value, "ci_low": self.ci_low}.get(self.judged_on)

    @property
    def passed(self) -> bool:
        judged = self.judged_value
        return not self.gated or (
            judged is not None and self.threshold is not None and judged >= self.threshold
        )


def work_figures(answers: Sequence[WorkAnswer], settings: AgreementSettings) -> list[WorkFigure]:
    """Every figure of every kind answered, all languages first, then each language."""
    groups: dict[tuple[str, str], list[WorkAnswer]] = defaultdict(list)
    for answer in answers:
        if answer.kind == WorkKind.PAIRWISE:
            continue  # pairs are the agreement cells' (breakdown.py)
        groups[(answer.kind, ALL)].append(answer)
        groups[(answer.kind, answer.language)].append(answer)
    figures = []
    for kind, language in sorted(
        groups, key=lambda g: (KIND_ORDER.get(g[0], len(KIND_ORDER)), g[0], g[1] != ALL, g[1])
    ):
        for metric, measure in kind_measures(kind, groups[(kind, language)]).items():
            figures.append(_figure(kind, language, metric, measure, settings))
    return figures


def _figure(
    kind: str, language: str, metric: str, measure: Measure, settings: AgreementSettings
) -> WorkFigure:
    enough = measure.n_items >= settings.min_items_per_cell
    value = measure.value if enough else None
    threshold = getattr(settings, THRESHOLDS[metric]) if metric in THRESHOLDS else None
    low = high = None
    judged_on = ""
    if threshold is not None and value is not None:
        low, high = bootstrap_ci_batched(
            len(measure.parts),
            ratio_statistic(measure.parts, EMPTY_VALUE.get(metric)),
            samples=settings.bootstrap_samples,
            seed=settings.seed,
        )
        judged_on = "ci_low" if settings.gate_on == LOWER_BOUND else "value"
    return WorkFigure(
        kind=kind,
        language=language,
        metric=metric,
        n_items=measure.n_items,
        n_submissions=measure.n_submissions,
        value=value,
        ci_low=low,
        ci_high=high,
        threshold=threshold,
        judged_on=judged_on,
        details=dict(measure.details),
    )


def ratio_statistic(
    parts: Sequence[tuple[float, float]], empty: float | None = None
) -> BatchStatistic:
    """sum(numerators) / sum(denominators) of each resample of the tasks; `empty` (else NaN)
    where a resample's denominators sum to zero."""
    table = np.asarray(parts, dtype=float).reshape(-1, 2)

    def statistic(counts: np.ndarray) -> np.ndarray:
        numerator, denominator = counts @ table[:, 0], counts @ table[:, 1]
        fallback = np.nan if empty is None else empty
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(denominator > 0, numerator / denominator, fallback)

    return statistic


def work_markdown(figures: Sequence[WorkFigure], *, min_items: int) -> str:
    if not figures:
        return "No work beyond pairs answered yet."
    header = (
        "| kind | metric | language | items | submissions | value | 95% CI | threshold "
        "| judged on | ok |\n|---|---|---|---:|---:|---:|---|---:|---|---|\n"
    )
    lines = [
        f"| {f.kind} | {f.metric} | {f.language} | {f.n_items} | {f.n_submissions} "
        f"| {_value(f, min_items)} | {_ci(f.ci_low, f.ci_high)} "
        f"| {'-' if f.threshold is None else f.threshold} | {_judged(f)} "
        f"| {'yes' if f.passed else '**NO**'} |"
        for f in figures
    ]
    return header + "\n".join(lines)


def _value(figure: WorkFigure, min_items: int) -> str:
    if figure.value is not None:
        return f"{figure.value:.3f}"
    return f"n/a (n < {min_items})" if figure.n_items < min_items else "n/a"


def _judged(figure: WorkFigure) -> str:
    return {"value": "estimate", "ci_low": "lower 95% bound"}.get(figure.judged_on, "not gated")


def _ci(low: float | None, high: float | None) -> str:
    return "n/a" if low is None or high is None else f"[{low:.3f}, {high:.3f}]"
