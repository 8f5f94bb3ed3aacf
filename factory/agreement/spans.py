"""Agreement between reviewers who mark line spans of the same code, each with a category.

Two spans match when their line ranges share at least one line and, unless categories are
ignored, their categories are equal. Matching is one-to-one and greedy by largest overlap (shared
lines), so a long span lying over two short ones matches only one of them and the other counts
as missed. Ties in overlap go to the spans listed first, which keeps the result deterministic.

Between two reviewers: precision = matched / spans of the second, recall = matched / spans of the
first, F1 = 2 matched / (spans of both). When neither reviewer marked anything they agree
completely (all 1.0); when only one did, they share nothing (all 0.0).
"""

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import TypeVar

ReviewerKey = TypeVar("ReviewerKey", bound=Hashable)


@dataclass(frozen=True)
class Span:
    """Lines start_line..end_line inclusive (1-based), marked with a category."""

    start_line: int
    end_line: int
    category: str

    def __post_init__(self) -> None:
        if self.start_line < 1:
            raise ValueError(f"span {self}: start_line must be at least 1 (lines are 1-based)")
        if self.start_line > self.end_line:
            raise ValueError(f"span {self}: start_line is after end_line")


@dataclass(frozen=True)
class SpanAgreement:
    """Matched spans between a first and a second reviewer, and the rates derived from them."""

    matched: int
    first_spans: int
    second_spans: int
    precision: float
    recall: float
    f1: float


def shared_lines(first: Span, second: Span) -> int:
    """Number of lines both spans cover; 0 when they are disjoint."""
    last = min(first.end_line, second.end_line)
    return max(0, last - max(first.start_line, second.start_line) + 1)


def matched_spans(
    first: Sequence[Span], second: Sequence[Span], *, match_categories: bool = True
) -> list[tuple[int, int]]:
    """Index pairs (into first, into second) of a greedy one-to-one matching by largest overlap."""
    candidates = [
        (shared_lines(a, b), i, j)
        for i, a in enumerate(first)
        for j, b in enumerate(second)
        if (not match_categories or a.category == b.category) and shared_lines(a, b) > 0
    ]
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    used_first: set[int] = set()
    used_second: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for _, i, j in candidates:
        if i not in used_first and j not in used_second:
            used_first.add(i)
            used_second.add(j)
            pairs.append((i, j))
    return pairs


def span_agreement(
    first: Sequence[Span], second: Sequence[Span], *, match_categories: bool = True
) -> SpanAgreement:
    """Precision, recall and F1 of the second reviewer's spans against the first's."""
    matched = len(matched_spans(first, second, match_categories=match_categories))
    if not first and not second:
        return SpanAgreement(0, 0, 0, precision=1.0, recall=1.0, f1=1.0)
    if not first or not second:
        return SpanAgreement(0, len(first), len(second), precision=0.0, recall=0.0, f1=0.0)
    return SpanAgreement(
        matched=matched,
        first_spans=len(first),
        second_spans=len(second),
        precision=matched / len(second),
        recall=matched / len(first),
        f1=2 * matched / (len(first) + len(second)),
    )


def located_span_agreement(first: Sequence[Span], second: Sequence[Span]) -> SpanAgreement:
    """Span agreement on location alone: categories are ignored when matching."""
    return span_agreement(first, second, match_categories=False)


def reviewer_pairs(
    annotations: Mapping[ReviewerKey, Sequence[Span]],
) -> list[tuple[Sequence[Span], Sequence[Span]]]:
    """Every unordered pair of the reviewers' span lists for one item."""
    return list(combinations(annotations.values(), 2))


def pairwise_span_f1(
    annotations: Mapping[ReviewerKey, Sequence[Span]], *, match_categories: bool = True
) -> float | None:
    """Mean F1 over all pairs of an item's reviewers; None with fewer than two reviewers."""
    pairs = reviewer_pairs(annotations)
    if not pairs:
        return None
    scores = [span_agreement(a, b, match_categories=match_categories).f1 for a, b in pairs]
    return sum(scores) / len(scores)


def micro_span_f1(
    items: Iterable[Mapping[ReviewerKey, Sequence[Span]]], *, match_categories: bool = True
) -> float | None:
    """F1 pooled over every reviewer pair of every item: 2 sum(matched) / sum(spans of both).

    Pooling weighs items by how many spans they carry, so a pair where neither reviewer marked
    anything adds nothing either way; 1.0 if no pair marked anything. None when no item has two
    reviewers.
    """
    matched = spans = pairs = 0
    for annotations in items:
        for a, b in reviewer_pairs(annotations):
            matched += len(matched_spans(a, b, match_categories=match_categories))
            spans += len(a) + len(b)
            pairs += 1
    if pairs == 0:
        return None
    return 1.0 if spans == 0 else 2 * matched / spans
