"""Agreement cells: language x task type x dimension, each with its item count and a bootstrap CI.

Every cell appears at three levels: the whole batch ("*", "*"), per language ("<lang>", "*") and
per language and task type, so a weak language is visible instead of averaged away.

Gating: a cell with at least `min_items_per_cell` items is judged on what `agreement.gate_on`
names: "point" (the default) judges its estimate; "lower_bound" judges the lower end of its 95%
bootstrap interval, so a cell passes only when agreement is above the threshold with confidence,
not merely on a lucky estimate from few items (an interval that cannot be computed fails). The
default is the estimate because the interval of a small batch's cell (tens of items) is wide
enough to fail good agreement; gate on the bound where overlap gives cells hundreds of items.
A whole-batch cell with fewer items is still judged, on the upper end of its bootstrap interval:
it fails only when even that is under the threshold (clearly poor agreement, not merely little
data). Smaller breakdown cells are reported, not gated.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from factory.agreement.bootstrap import bootstrap_ci_batched
from factory.agreement.data import Rating, ReviewData, Score
from factory.agreement.metrics import (
    ordinal_alpha,
    pairable_units,
    preference_kappa,
    reliability_matrix,
)
from factory.agreement.resampling import alpha_statistic, kappa_statistic
from factory.settings import AgreementSettings
from factory.vocab import DIMENSIONS

ALL = "*"
PREFERENCE = "preference"
KAPPA = "preference_kappa"
ALPHA = "dimension_alpha"
LOWER_BOUND, POINT = "lower_bound", "point"  # agreement.gate_on


@dataclass(frozen=True, slots=True)
class Cell:
    metric: str  # preference_kappa | dimension_alpha
    language: str
    task_type: str
    dimension: str  # "preference" for kappa, a vocab.Dimension for alpha
    n_items: int
    value: float | None
    ci_low: float | None
    ci_high: float | None
    threshold: float
    # "value" or "ci_low" (agreement.gate_on), "ci_high" (small whole-batch cell) or ""
    # (reported, not gated)
    judged_on: str

    @property
    def name(self) -> str:
        return f"{self.metric}[{self.language}/{self.task_type}/{self.dimension}]"

    @property
    def gated(self) -> bool:
        return bool(self.judged_on)

    @property
    def judged_value(self) -> float | None:
        return {"value": self.value, "ci_low": self.ci_low, "ci_high": self.ci_high}.get(
            self.judged_on
        )

    @property
    def passed(self) -> bool:
        judged = self.judged_value
        return not self.gated or (judged is not None and judged >= self.threshold)


def _groups(language: str, task_type: str) -> Iterable[tuple[str, str]]:
    yield ALL, ALL
    yield language, ALL
    yield language, task_type


def _judged_on(
    group: tuple[str, str],
    n_items: int,
    value: float | None,
    ci_high: float | None,
    settings: AgreementSettings,
) -> str:
    if value is not None and n_items >= settings.min_items_per_cell:
        return "ci_low" if settings.gate_on == LOWER_BOUND else "value"
    if group == (ALL, ALL) and ci_high is not None:
        return "ci_high"
    return ""


def kappa_cells(ratings: list[Rating], settings: AgreementSettings) -> list[Cell]:
    """One kappa cell per group, on the first two reviews of every task reviewed at least twice."""
    by_task: dict[int, list[Rating]] = defaultdict(list)
    for rating in ratings:
        by_task[rating.task_id].append(rating)
    pairs: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for task_ratings in by_task.values():
        if len(task_ratings) < 2:
            continue
        first, second = task_ratings[0], task_ratings[1]
        for group in _groups(first.language, first.task_type):
            pairs[group].append((first.preference, second.preference))
    cells = []
    for (language, task_type), items in sorted(pairs.items()):
        data = np.array(items)

        value = preference_kappa(data[:, 0], data[:, 1])
        low, high = bootstrap_ci_batched(
            len(items),
            kappa_statistic(data),
            samples=settings.bootstrap_samples,
            seed=settings.seed,
        )
        cells.append(
            Cell(
                metric=KAPPA,
                language=language,
                task_type=task_type,
                dimension=PREFERENCE,
                n_items=len(items),
                value=value,
                ci_low=low,
                ci_high=high,
                threshold=settings.min_preference_kappa,
                judged_on=_judged_on((language, task_type), len(items), value, high, settings),
            )
        )
    return cells


def alpha_cells(scores: list[Score], settings: AgreementSettings) -> list[Cell]:
    """One alpha cell per group and dimension; units are (task, candidate) pairs."""
    units: dict[tuple[str, str, str], dict[tuple[int, int], dict[int, int]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    for score in scores:
        for language, task_type in _groups(score.language, score.task_type):
            key = (language, task_type, score.dimension)
            units[key][(score.task_id, score.candidate_id)][score.reviewer_id] = score.score
    order: dict[str, int] = {dimension: i for i, dimension in enumerate(DIMENSIONS)}
    cells = []
    for language, task_type, dimension in sorted(
        units, key=lambda k: (k[0], k[1], order.get(k[2], len(order)), k[2])
    ):
        matrix, _ = reliability_matrix(units[(language, task_type, dimension)])
        # Only units scored at least twice inform alpha; resample those.
        matrix = matrix[:, np.sum(~np.isnan(matrix), axis=0) >= 2]
        n_items = pairable_units(matrix)
        value = ordinal_alpha(matrix)

        low, high = bootstrap_ci_batched(
            n_items, alpha_statistic(matrix), samples=settings.bootstrap_samples, seed=settings.seed
        )
        cells.append(
            Cell(
                metric=ALPHA,
                language=language,
                task_type=task_type,
                dimension=dimension,
                n_items=n_items,
                value=value,
                ci_low=low,
                ci_high=high,
                threshold=settings.min_dimension_alpha,
                judged_on=_judged_on((language, task_type), n_items, value, high, settings),
            )
        )
    return cells


def agreement_cells(data: ReviewData, settings: AgreementSettings) -> list[Cell]:
    return kappa_cells(data.ratings, settings) + alpha_cells(data.scores, settings)
