"""Gold accuracy per reviewer, and which reviewers fall below the configured threshold.

The gold here is a batch's attention checks (automatic pass-versus-fail pairs,
`review.gold_rate`, off by default). Expert gold, which decides who may review at all, is
graded per pool in factory.review.pools.

A gold answer counts as correct when it points the same way as the known answer: both favour A,
both favour B, or both call a tie. Exact matches on a seven-point scale would punish a reviewer
for "better" versus "much better", which is not what gold items are there to catch.
"""

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from factory.agreement.data import Rating
from factory.settings import AgreementSettings


@dataclass(frozen=True, slots=True)
class GoldRecord:
    reviewer_id: int
    n_gold: int
    n_correct: int
    threshold: float
    gated: bool  # enough gold answers for the figure to count

    @property
    def accuracy(self) -> float:
        return self.n_correct / self.n_gold

    @property
    def flagged(self) -> bool:
        return self.gated and self.accuracy < self.threshold


def same_direction(answer: int, gold: int) -> bool:
    return int(np.sign(answer)) == int(np.sign(gold))


def gold_accuracy(ratings: list[Rating], settings: AgreementSettings) -> list[GoldRecord]:
    """One record per reviewer who answered at least one gold task, by reviewer id."""
    answered: dict[int, list[bool]] = defaultdict(list)
    for rating in ratings:
        if rating.is_gold and rating.gold_preference is not None:
            answered[rating.reviewer_id].append(
                same_direction(rating.preference, rating.gold_preference)
            )
    return [
        GoldRecord(
            reviewer_id=reviewer_id,
            n_gold=len(results),
            n_correct=sum(results),
            threshold=settings.min_gold_accuracy,
            gated=len(results) >= settings.min_gold_items,
        )
        for reviewer_id, results in sorted(answered.items())
    ]
