"""Agreement between reviewers who each give an item a label: a name (nominal) or a set of names.

Krippendorff's alpha from the `krippendorff` package, with items as units and reviewers as
raters; a reviewer who did not label an item is a missing value, so items need not share their
reviewers. Labels are coded as integers 0..V-1 with the domain given explicitly, so the
distance function receives codes and looks distances up in a V x V table.

Sets of names (a refactoring's moves) are compared with MASI (Passonneau 2006):
1 - |A & B| / |A | B| * m, where m is 1 for equal sets, 2/3 when one contains the other, 1/3
when they only overlap and 0 when they are disjoint. nltk's `masi_distance` is the same formula.
"""

import math
import warnings
from collections.abc import Callable, Hashable, Mapping
from collections.abc import Set as AbstractSet
from typing import Any, TypeVar

import krippendorff
import numpy as np

ItemKey = TypeVar("ItemKey", bound=Hashable)
RaterKey = TypeVar("RaterKey", bound=Hashable)

Distance = Callable[[Any, Any], float]


def masi_distance(first: AbstractSet[Hashable], second: AbstractSet[Hashable]) -> float:
    """0 for equal sets, 1 for disjoint ones; two empty sets are equal."""
    shared = len(first & second)
    union = len(first | second)
    if union == 0:
        return 0.0
    if len(first) == len(second) == shared:
        monotonicity = 1.0
    elif shared == min(len(first), len(second)):
        monotonicity = 2 / 3
    elif shared > 0:
        monotonicity = 1 / 3
    else:
        monotonicity = 0.0
    return 1 - shared / union * monotonicity


def label_matrix(
    labels: Mapping[ItemKey, Mapping[RaterKey, Hashable]],
) -> tuple[np.ndarray, list[Hashable]]:
    """Rows = raters, columns = items, values = the code of each label (its index in the
    returned domain), nan where a rater did not label the item."""
    raters: dict[Hashable, int] = {}
    domain: dict[Hashable, int] = {}
    cells: list[tuple[int, int, int]] = []
    for column, by_rater in enumerate(labels.values()):
        for rater, label in by_rater.items():
            row = raters.setdefault(rater, len(raters))
            cells.append((row, column, domain.setdefault(label, len(domain))))
    matrix = np.full((len(raters), len(labels)), np.nan)
    for row, column, code in cells:
        matrix[row, column] = code
    return matrix, list(domain)


def label_alpha(
    labels: Mapping[ItemKey, Mapping[RaterKey, Hashable]], distance: Distance | None = None
) -> float | None:
    """Krippendorff's alpha: nominal without `distance`, else with that distance between labels.

    None when undefined: no item labelled twice, or every pairable label the same.
    """
    matrix, domain = label_matrix(labels)
    if matrix.size == 0 or not np.any(np.sum(~np.isnan(matrix), axis=0) >= 2):
        return None
    if len(domain) < 2:
        return None  # one label throughout: nothing to disagree on
    level: Any = "nominal" if distance is None else _table_metric(domain, distance)
    with warnings.catch_warnings():
        # Every pairable label the same makes alpha 0/0: reported as None.
        warnings.simplefilter("ignore", RuntimeWarning)
        value = krippendorff.alpha(
            reliability_data=matrix,
            value_domain=np.arange(len(domain)),
            level_of_measurement=level,
        )
    return None if math.isnan(value) else float(value)


def masi_alpha(labels: Mapping[ItemKey, Mapping[RaterKey, AbstractSet[Hashable]]]) -> float | None:
    """Alpha over set-valued labels with the MASI distance; sets are compared as frozensets."""
    frozen = {
        item: {rater: frozenset(label) for rater, label in by_rater.items()}
        for item, by_rater in labels.items()
    }
    return label_alpha(frozen, masi_distance)


def _table_metric(domain: list[Hashable], distance: Distance) -> Callable[..., np.ndarray]:
    """A krippendorff distance metric: codes i1, i2 (arrays) -> distances from a table."""
    table = np.array([[distance(a, b) for b in domain] for a in domain], dtype=float)

    def metric(
        v1: np.ndarray,
        v2: np.ndarray,
        i1: np.ndarray,
        i2: np.ndarray,
        n_v: np.ndarray,
        dtype: Any = np.float64,
    ) -> np.ndarray:
        return table[i1, i2].astype(dtype)

    return metric
