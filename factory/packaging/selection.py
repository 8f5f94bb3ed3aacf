"""Which resolved preference pairs a release may use, and why the others are left out.

The review stage writes a PreferencePair when a task is resolved. Packaging re-checks each one:
- annotations from simulated reviewers are refused unless `packaging.allow_simulated`;
- with `agreement.exclude_flagged_reviewers`, a flagged reviewer's annotations are dropped and the
  label is re-derived from the others; a pair nobody else supports is unverified (re-queue it),
  and one whose direction the others contradict is left out;
- gold tasks, ties, and tasks still awaiting adjudication never have a pair to begin with, and
  are counted here so the QA report can show them.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlmodel import Session, col

from factory.models import Adjudication, Annotation, PreferencePair, Reviewer, ReviewTask
from factory.review.adjudication import label_from_preferences
from factory.vocab import TaskStatus

SIMULATED = "simulated_labels"
UNVERIFIED = "flagged_reviewer_unverified"
CONTRADICTED = "flagged_reviewer_contradicted"


@dataclass(frozen=True, slots=True)
class SelectedPair:
    pair: PreferencePair
    strength: float
    rationale: str
    n_reviews: int
    simulated: bool


@dataclass(slots=True)
class PairSelection:
    selected: list[SelectedPair] = field(default_factory=list)
    excluded: Counter[str] = field(default_factory=Counter)  # reason -> tasks
    requeue_task_ids: list[int] = field(default_factory=list)
    task_statuses: Counter[str] = field(default_factory=Counter)


def select_pairs(
    session: Session,
    batch_ids: list[str],
    *,
    allow_simulated: bool,
    flagged_reviewers: set[int],
) -> PairSelection:
    selection = PairSelection()
    tasks = {
        task.id: task
        for task in session.scalars(
            select(ReviewTask)
            .where(col(ReviewTask.batch_id).in_(batch_ids))
            .order_by(col(ReviewTask.id))
        )
    }
    for task in tasks.values():
        selection.task_statuses["gold" if task.is_gold else task.status] += 1
    pairs = list(
        session.scalars(
            select(PreferencePair)
            .where(col(PreferencePair.task_id).in_(list(tasks) or [-1]))
            .order_by(col(PreferencePair.id))
        )
    )
    paired = {pair.task_id for pair in pairs}
    for task in tasks.values():
        done = task.status in (TaskStatus.COMPLETE, TaskStatus.ADJUDICATED)
        if done and not task.is_gold and task.id not in paired:
            selection.excluded["tie"] += 1
        elif task.status == TaskStatus.ADJUDICATION:
            selection.excluded["awaiting_adjudication"] += 1
        elif task.status == TaskStatus.OPEN:
            selection.excluded["still_open"] += 1
    annotations: dict[int, list[tuple[Annotation, bool]]] = defaultdict(list)
    for annotation, reviewer_simulated in session.execute(
        select(Annotation, col(Reviewer.simulated))
        .join(Reviewer, col(Reviewer.id) == Annotation.reviewer_id)
        .where(col(Annotation.task_id).in_(list(paired) or [-1]))
        .order_by(col(Annotation.id))
    ):
        annotations[annotation.task_id].append(
            (annotation, annotation.simulated or reviewer_simulated)
        )
    adjudications = {
        adjudication.task_id: (adjudication, simulated)
        for adjudication, simulated in session.execute(
            select(Adjudication, col(Reviewer.simulated))
            .join(Reviewer, col(Reviewer.id) == Adjudication.reviewer_id)
            .where(col(Adjudication.task_id).in_(list(paired) or [-1]))
        )
    }
    for pair in pairs:
        task = tasks[pair.task_id]
        _select_one(pair, task.candidate_a_id, annotations[pair.task_id],
                    adjudications.get(pair.task_id), allow_simulated, flagged_reviewers,
                    selection)  # fmt: skip
    return selection


def _select_one(
    pair: PreferencePair,
    candidate_a_id: int,
    reviews: list[tuple[Annotation, bool]],
    adjudication: tuple[Adjudication, bool] | None,
    allow_simulated: bool,
    flagged: set[int],
    selection: PairSelection,
) -> None:
    if adjudication is not None and pair.label_source == "adjudication":
        decision, simulated = adjudication
        if simulated and not allow_simulated:
            selection.excluded[SIMULATED] += 1
            return
        selection.selected.append(
            SelectedPair(pair, pair.strength, decision.rationale, len(reviews), simulated)
        )
        return
    simulated = any(is_simulated for _, is_simulated in reviews)
    if simulated and not allow_simulated:
        selection.excluded[SIMULATED] += 1
        return
    kept = [a for a, _ in reviews if a.reviewer_id not in flagged]
    strength = pair.strength
    if len(kept) < len(reviews):
        label = label_from_preferences([a.preference for a in kept]) if kept else None
        chosen_is_b = pair.chosen_candidate_id != candidate_a_id
        if not kept:
            selection.excluded[UNVERIFIED] += 1
            selection.requeue_task_ids.append(pair.task_id)
            return
        if label is None or (label[0] > 0) != chosen_is_b:
            selection.excluded[CONTRADICTED] += 1
            selection.requeue_task_ids.append(pair.task_id)
            return
        strength = label[1]
    rationale = "\n\n".join(a.rationale.strip() for a in kept if a.rationale.strip())
    selection.selected.append(SelectedPair(pair, strength, rationale, len(kept), simulated))
