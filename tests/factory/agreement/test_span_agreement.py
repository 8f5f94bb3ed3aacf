"""Span agreement: hand-worked matchings (overlap, category, one span over two, greedy order),
the empty-annotation conventions, pairwise and micro averages, and input validation."""

import pytest

from factory.agreement.spans import (
    Span,
    SpanAgreement,
    located_span_agreement,
    matched_spans,
    micro_span_f1,
    pairwise_span_f1,
    span_agreement,
)


def test_partial_overlap_with_equal_categories_matches():
    result = span_agreement([Span(1, 5, "bug")], [Span(4, 8, "bug")])
    assert result == SpanAgreement(1, 1, 1, precision=1.0, recall=1.0, f1=1.0)


@pytest.mark.parametrize(
    ("first", "second"),
    [((1, 3), (4, 6)), ((10, 12), (1, 9))],
    ids=["adjacent", "apart"],
)
def test_spans_without_a_shared_line_do_not_match(first, second):
    result = located_span_agreement([Span(*first, "bug")], [Span(*second, "bug")])
    assert (result.matched, result.f1) == (0, 0.0)


def test_single_line_spans_on_the_same_line_match():
    assert span_agreement([Span(7, 7, "bug")], [Span(7, 7, "bug")]).f1 == 1.0


def test_category_mismatch_matches_only_when_categories_are_ignored():
    first, second = [Span(1, 5, "bug")], [Span(3, 6, "style")]
    assert span_agreement(first, second).f1 == 0.0
    assert span_agreement(first, second, match_categories=False).f1 == 1.0
    assert located_span_agreement(first, second).f1 == 1.0


def test_one_span_over_two_matches_only_one_of_them():
    # The long span shares 2 lines with the first short one and 5 with the second: it takes the
    # second, and the first short span is left unmatched.
    first = [Span(1, 10, "bug")]
    second = [Span(2, 3, "bug"), Span(5, 9, "bug")]
    assert matched_spans(first, second) == [(0, 1)]
    result = span_agreement(first, second)
    assert (result.matched, result.first_spans, result.second_spans) == (1, 1, 2)
    assert result.precision == pytest.approx(1 / 2)
    assert result.recall == pytest.approx(1.0)
    assert result.f1 == pytest.approx(2 / 3)


def test_greedy_matching_takes_the_largest_overlap_first():
    # Overlaps: first[0]-second[1] = 8 lines, first[0]-second[0] = 2, first[1]-second[0] = 1.
    first = [Span(1, 10, "bug"), Span(11, 12, "bug")]
    second = [Span(9, 11, "bug"), Span(1, 8, "bug")]
    assert matched_spans(first, second) == [(0, 1), (1, 0)]
    assert span_agreement(first, second).f1 == 1.0


def test_category_decides_which_overlapping_span_is_matched():
    first = [Span(1, 10, "bug")]
    second = [Span(1, 10, "style"), Span(4, 5, "bug")]
    assert matched_spans(first, second) == [(0, 1)]
    assert matched_spans(first, second, match_categories=False) == [(0, 0)]


def test_precision_and_recall_swap_with_the_reviewers():
    first = [Span(1, 5, "bug"), Span(10, 12, "style"), Span(20, 20, "bug")]
    second = [Span(2, 4, "bug")]
    forward, backward = span_agreement(first, second), span_agreement(second, first)
    assert (forward.precision, forward.recall) == pytest.approx((1.0, 1 / 3))
    assert (backward.precision, backward.recall) == pytest.approx((1 / 3, 1.0))
    assert forward.f1 == backward.f1 == pytest.approx(2 / 4)


def test_neither_reviewer_marking_anything_is_full_agreement():
    assert span_agreement([], []) == SpanAgreement(0, 0, 0, precision=1.0, recall=1.0, f1=1.0)


@pytest.mark.parametrize(
    ("first", "second"),
    [([Span(1, 2, "bug")], []), ([], [Span(1, 2, "bug")])],
    ids=["second_empty", "first_empty"],
)
def test_only_one_reviewer_marking_is_no_agreement(first, second):
    result = span_agreement(first, second)
    assert (result.precision, result.recall, result.f1) == (0.0, 0.0, 0.0)


def test_pairwise_f1_averages_every_pair_of_reviewers():
    annotations = {
        "r1": [Span(1, 5, "bug"), Span(10, 12, "style")],
        "r2": [Span(2, 4, "bug")],
        "r3": [],
    }
    # r1-r2: F1 = 2 * 1 / 3; r1-r3 and r2-r3: one side empty, 0.
    assert pairwise_span_f1(annotations) == pytest.approx((2 / 3 + 0 + 0) / 3)


def test_pairwise_f1_can_ignore_categories_and_is_none_for_one_reviewer():
    annotations = {"r1": [Span(1, 5, "bug")], "r2": [Span(3, 4, "style")]}
    assert pairwise_span_f1(annotations) == 0.0
    assert pairwise_span_f1(annotations, match_categories=False) == 1.0
    assert pairwise_span_f1({"r1": [Span(1, 5, "bug")]}) is None
    assert pairwise_span_f1({}) is None


def test_micro_f1_pools_matches_and_spans_over_items():
    items = [
        # One pair: 1 matched of 3 spans.
        {"r1": [Span(1, 5, "bug"), Span(10, 12, "style")], "r2": [Span(2, 4, "bug")]},
        # Neither marked anything: adds no spans, so no weight.
        {"r1": [], "r2": []},
        # Three pairs, each 1 matched of 2 spans.
        {"r1": [Span(1, 1, "bug")], "r2": [Span(1, 1, "bug")], "r3": [Span(1, 2, "bug")]},
        # A single reviewer forms no pair.
        {"r1": [Span(1, 2, "bug")]},
    ]
    assert micro_span_f1(items) == pytest.approx(2 * 4 / 9)
    assert micro_span_f1(iter(items)) == pytest.approx(2 * 4 / 9)


def test_micro_f1_can_ignore_categories_and_handles_empty_inputs():
    items = [{"r1": [Span(1, 5, "bug")], "r2": [Span(3, 4, "style"), Span(8, 9, "bug")]}]
    assert micro_span_f1(items) == 0.0
    assert micro_span_f1(items, match_categories=False) == pytest.approx(2 * 1 / 3)
    assert micro_span_f1([{"r1": [], "r2": []}]) == 1.0
    assert micro_span_f1([{"r1": [Span(1, 2, "bug")]}]) is None
    assert micro_span_f1([]) is None


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [(5, 3, "start_line is after end_line"), (0, 3, "start_line must be at least 1")],
)
def test_invalid_spans_are_rejected_with_a_reason(start, end, message):
    with pytest.raises(ValueError, match=message):
        Span(start, end, "bug")
