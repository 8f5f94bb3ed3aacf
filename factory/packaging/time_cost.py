"""People's time on a batch and what it cost, per (language, kind of work).

Every answer given to the batches' tasks counts: pairwise reviews (Annotation.seconds_spent,
attention checks included) and submissions of every other kind (Submission.seconds_spent),
each timed from its claim to its submit. Cost is the time priced at the hourly rate that
`review.tariffs` gives the language and kind (factory.tasktypes.tariffs), in `review.currency`.
Answers to expert gold items are qualification, not work on the batch, and are not counted.
"""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import median

from sqlalchemy import select
from sqlmodel import Session, col

from factory.models import Annotation, ReviewTask, Submission
from factory.tasktypes.tariffs import ANY, price
from factory.vocab import WorkKind

KIND_ORDER = {kind.value: i for i, kind in enumerate(WorkKind)}


@dataclass(frozen=True, slots=True)
class TimeCost:
    language: str  # "*" in the total
    kind: str  # vocab.WorkKind; "*" in the total
    items: int  # tasks answered at least once
    answers: int
    median_seconds: float
    total_seconds: float
    cost: float

    @property
    def cost_per_item(self) -> float | None:
        return round(self.cost / self.items, 4) if self.items else None

    def to_dict(self) -> dict[str, object]:
        return {
            "language": self.language,
            "kind": self.kind,
            "items": self.items,
            "answers": self.answers,
            "median_seconds": self.median_seconds,
            "total_seconds": self.total_seconds,
            "cost": self.cost,
            "cost_per_item": self.cost_per_item,
        }


def time_and_cost(
    session: Session, batch_ids: list[str], tariffs: Mapping[str, Mapping[str, float]]
) -> tuple[list[TimeCost], TimeCost]:
    """One row per (language, kind) answered in `batch_ids`, and the total over all of them."""
    answers: dict[tuple[str, str], list[tuple[int, float]]] = defaultdict(list)
    for table in (Annotation, Submission):
        rows = session.execute(
            select(
                col(ReviewTask.language),
                col(ReviewTask.kind),
                col(table.task_id),
                col(table.seconds_spent),
            )
            .join(ReviewTask, col(ReviewTask.id) == table.task_id)
            .where(col(ReviewTask.batch_id).in_(batch_ids))
        )
        for language, kind, task_id, seconds in rows:
            answers[(language, kind)].append((int(task_id), float(seconds or 0.0)))
    table_rows = [
        _row(language, kind, given, price(tariffs, language, kind, _total(given)))
        for (language, kind), given in sorted(
            answers.items(), key=lambda g: (g[0][0], KIND_ORDER.get(g[0][1], len(KIND_ORDER)))
        )
    ]
    every = [answer for given in answers.values() for answer in given]
    total = _row(ANY, ANY, every, round(sum(row.cost for row in table_rows), 4))
    return table_rows, total


def _total(given: list[tuple[int, float]]) -> float:
    return sum(seconds for _, seconds in given)


def _row(language: str, kind: str, given: list[tuple[int, float]], cost: float) -> TimeCost:
    return TimeCost(
        language=language,
        kind=kind,
        items=len({task_id for task_id, _ in given}),
        answers=len(given),
        median_seconds=float(median(s for _, s in given)) if given else 0.0,
        total_seconds=round(_total(given), 3),
        cost=cost,
    )


def time_cost_markdown(rows: list[TimeCost], total: TimeCost, currency: str) -> str:
    if not rows:
        return "No answers yet."
    header = (
        f"| language | kind | items | answers | median s | total s | cost ({currency}) "
        f"| cost per item ({currency}) |\n|---|---|---:|---:|---:|---:|---:|---:|\n"
    )
    lines = [_line(row) for row in [*rows, total]]
    lines[-1] = lines[-1].replace(f"| {ANY} | {ANY} |", "| **all** | **all** |", 1)
    return (
        "Time from claim to submit of every answer to the batches' tasks, priced at "
        "`review.tariffs`.\n\n" + header + "\n".join(lines)
    )


def _line(row: TimeCost) -> str:
    per_item = "n/a" if row.cost_per_item is None else f"{row.cost_per_item:.2f}"
    return (
        f"| {row.language} | {row.kind} | {row.items} | {row.answers} "
        f"| {row.median_seconds:.0f} | {row.total_seconds:.0f} | {row.cost:.2f} | {per_item} |"
    )
