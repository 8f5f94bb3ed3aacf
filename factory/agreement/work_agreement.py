"""Agreement on work beyond pairs, per kind, over the tasks two or more people answered.

- ranking: Kendall's W of each task (ranking.py) averaged over tasks, with the median of its
  chi-square p-values; ordinal alpha over (task, candidate) units of rank positions.
- code_review: span F1 at overlap (spans.py), averaged over each task's reviewer pairs and then
  over tasks, and pooled over every pair (micro); nominal alpha of the category of spans matched
  on location alone (units: one matched pair of spans).
- bug_fix: cross-check pass rate (one fixer's fix against the other's regression test, recorded
  on submit in verification["cross"]) and nominal alpha of cause_category.
- authoring: cross-check pass rate (each solution against the tests the other author wrote).
- refactoring: alpha with the MASI distance over each submission's set of moves (labels.py).
- reasoning: nominal alpha of approach.

The measures are pure functions of plain data ({task: {reviewer: answer}}); `kind_measures`
builds that data from loaded submissions (work_data.py).
"""

from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from statistics import median
from typing import Any, TypeVar

from factory.agreement.labels import label_alpha, masi_alpha
from factory.agreement.ranking import kendall_w, ranking_alpha
from factory.agreement.spans import Span, matched_spans, micro_span_f1, pairwise_span_f1
from factory.agreement.work_data import WorkAnswer
from factory.vocab import WorkKind

TaskKey = TypeVar("TaskKey", bound=Hashable)
RaterKey = TypeVar("RaterKey", bound=Hashable)
Answer = TypeVar("Answer")

RANKING_W = "ranking_w"
RANKING_ALPHA = "ranking_alpha"
SPAN_F1 = "span_f1"
SPAN_F1_MICRO = "span_f1_micro"
SPAN_CATEGORY_ALPHA = "span_category_alpha"
CROSS_PASS_RATE = "cross_pass_rate"  # noqa: S105  (a metric name)
CAUSE_ALPHA = "cause_alpha"
MOVES_ALPHA = "moves_masi_alpha"
APPROACH_ALPHA = "approach_alpha"
SIGNIFICANCE = 0.05


@dataclass(frozen=True, slots=True)
class Measure:
    """One figure over a set of tasks, with how much evidence it rests on."""

    value: float | None  # None: undefined (nothing to compare)
    n_items: int  # tasks the figure learnt from
    n_submissions: int  # submissions to those tasks
    # Per task (numerator, denominator): the value is their sums' ratio, so a bootstrap over
    # tasks resamples these. Empty for alphas, which are reported, not resampled.
    parts: tuple[tuple[float, float], ...] = ()
    details: dict[str, float | int | None] = field(default_factory=dict)


def overlapped(
    answers: Mapping[TaskKey, Mapping[RaterKey, Answer]],
) -> dict[TaskKey, Mapping[RaterKey, Answer]]:
    """The tasks with answers from two or more people: the only ones agreement learns from."""
    return {task: by_rater for task, by_rater in answers.items() if len(by_rater) >= 2}


def _submissions(answers: Mapping[Any, Mapping[Any, Any]]) -> int:
    return sum(len(by_rater) for by_rater in answers.values())


def concordance_measure(
    rankings: Mapping[TaskKey, Mapping[RaterKey, Mapping[Hashable, float]]],
) -> Measure:
    """Mean Kendall's W over tasks; details: the median p-value and how many are under 0.05."""
    concordances = []
    raters = 0
    for task, by_rater in overlapped(rankings).items():
        candidates = list(next(iter(by_rater.values())))
        rows = []
        for rater, ranking in by_rater.items():
            if set(ranking) != set(candidates):
                raise ValueError(
                    f"task {task!r}: reviewer {rater!r} ranked candidates "
                    f"{sorted(map(str, ranking))}, another {sorted(map(str, candidates))}"
                )
            rows.append([ranking[c] for c in candidates])
        try:
            result = kendall_w(rows)
        except ValueError as exc:
            raise ValueError(f"task {task!r}: {exc}") from None
        if result is not None:  # None: every ranking tied everything
            concordances.append(result)
            raters += result.raters
    if not concordances:
        return Measure(None, 0, 0)
    p_values = [c.p_value for c in concordances]
    return Measure(
        value=sum(c.w for c in concordances) / len(concordances),
        n_items=len(concordances),
        n_submissions=raters,
        parts=tuple((c.w, 1.0) for c in concordances),
        details={
            "median_p_value": median(p_values),
            "tasks_significant": sum(1 for p in p_values if p < SIGNIFICANCE),
        },
    )


def rank_alpha_measure(
    rankings: Mapping[TaskKey, Mapping[RaterKey, Mapping[Hashable, float]]],
) -> Measure:
    tasks = overlapped(rankings)
    return Measure(ranking_alpha(tasks), len(tasks), _submissions(tasks))


def span_measures(
    reviews: Mapping[TaskKey, Mapping[RaterKey, Sequence[Span]]],
) -> dict[str, Measure]:
    """Span F1 at overlap (pairwise mean, micro) and nominal alpha of matched spans' category."""
    tasks = overlapped(reviews)
    n_items, n_submissions = len(tasks), _submissions(tasks)
    per_task: list[float] = []
    pooled: list[tuple[float, float]] = []
    categories: dict[tuple[Any, int, int], dict[Any, str]] = {}
    for task, by_rater in tasks.items():
        f1 = pairwise_span_f1(by_rater)
        assert f1 is not None  # two or more reviewers
        per_task.append(f1)
        matched = spans = 0
        for pair, ((rater_a, a), (rater_b, b)) in enumerate(combinations(by_rater.items(), 2)):
            matched += len(matched_spans(a, b))
            spans += len(a) + len(b)
            for i, j in matched_spans(a, b, match_categories=False):
                categories[(task, pair, i)] = {rater_a: a[i].category, rater_b: b[j].category}
        pooled.append((2.0 * matched, float(spans)))
    return {
        SPAN_F1: Measure(
            sum(per_task) / len(per_task) if per_task else None,
            n_items,
            n_submissions,
            parts=tuple((f1, 1.0) for f1 in per_task),
        ),
        SPAN_F1_MICRO: Measure(
            micro_span_f1(tasks.values()),
            n_items,
            n_submissions,
            parts=tuple(pooled),
            details={"spans": int(sum(spans for _, spans in pooled))},
        ),
        SPAN_CATEGORY_ALPHA: Measure(
            label_alpha(categories),
            n_items,
            n_submissions,
            details={"matched_spans": len(categories)},
        ),
    }


def cross_measure(
    checks: Mapping[TaskKey, Sequence[bool]], submissions: Mapping[TaskKey, int]
) -> Measure:
    """Share of cross-checks passed, pooled over the tasks that have any."""
    tasks = {task: list(made) for task, made in checks.items() if made}
    passed = sum(sum(made) for made in tasks.values())
    made = sum(len(made) for made in tasks.values())
    return Measure(
        value=passed / made if made else None,
        n_items=len(tasks),
        n_submissions=sum(submissions.get(task, 0) for task in tasks),
        parts=tuple((float(sum(m)), float(len(m))) for m in tasks.values()),
        details={"checks": made, "passed": passed},
    )


def label_measure(labels: Mapping[TaskKey, Mapping[RaterKey, Hashable]]) -> Measure:
    """Nominal alpha of one label per submission."""
    tasks = overlapped(labels)
    return Measure(label_alpha(tasks), len(tasks), _submissions(tasks))


def moves_measure(moves: Mapping[TaskKey, Mapping[RaterKey, frozenset[str]]]) -> Measure:
    """MASI alpha of each submission's set of moves."""
    tasks = overlapped(moves)
    return Measure(masi_alpha(tasks), len(tasks), _submissions(tasks))


def kind_measures(kind: str, answers: Sequence[WorkAnswer]) -> dict[str, Measure]:
    """Every figure of `kind` over `answers` (submissions of that kind), by metric name."""
    if any(answer.kind != kind for answer in answers):
        raise ValueError(f"kind_measures({kind!r}) was given submissions of another kind")
    by_task: dict[int, dict[int, WorkAnswer]] = defaultdict(dict)
    for answer in answers:
        by_task[answer.task_id][answer.reviewer_id] = answer

    def each(read: Any) -> dict[int, dict[int, Any]]:
        return {t: {r: read(a) for r, a in by.items()} for t, by in by_task.items()}

    if kind == WorkKind.RANKING:
        rankings = each(_ranks)
        return {
            RANKING_W: concordance_measure(rankings),
            RANKING_ALPHA: rank_alpha_measure(rankings),
        }
    if kind == WorkKind.CODE_REVIEW:
        return span_measures(each(_spans))
    if kind in (WorkKind.BUG_FIX, WorkKind.AUTHORING):
        checks = {
            t: [c for a in by.values() for c in a.cross_checks()] for t, by in by_task.items()
        }
        figures = {CROSS_PASS_RATE: cross_measure(checks, {t: len(b) for t, b in by_task.items()})}
        if kind == WorkKind.BUG_FIX:
            figures[CAUSE_ALPHA] = label_measure(each(lambda a: str(a.field("cause_category"))))
        return figures
    if kind == WorkKind.REFACTORING:
        return {MOVES_ALPHA: moves_measure(each(_moves))}
    if kind == WorkKind.REASONING:
        return {APPROACH_ALPHA: label_measure(each(lambda a: str(a.field("approach"))))}
    raise ValueError(f"no agreement measure for kind {kind!r}")


def _ranks(answer: WorkAnswer) -> dict[str, float]:
    ranks = answer.field("ranks")
    try:
        return {str(candidate): float(rank) for candidate, rank in dict(ranks).items()}
    except (TypeError, ValueError):
        raise ValueError(
            f"submission {answer.submission_id} (ranking): ranks {ranks!r} are not "
            "{candidate: position}"
        ) from None


def _spans(answer: WorkAnswer) -> list[Span]:
    spans = []
    for number, raw in enumerate(answer.field("spans"), 1):
        try:
            spans.append(Span(int(raw["start_line"]), int(raw["end_line"]), str(raw["category"])))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(
                f"submission {answer.submission_id} (code_review): span {number} is not a "
                f"span: {exc}"
            ) from None
    return spans


def _moves(answer: WorkAnswer) -> frozenset[str]:
    try:
        return frozenset(str(step["move"]) for step in answer.field("steps"))
    except (KeyError, TypeError):
        raise ValueError(
            f"submission {answer.submission_id} (refactoring): every step needs its 'move'"
        ) from None
