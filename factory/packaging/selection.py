"""Which resolved preference pairs a release may use, and why the others are left out.

The review stage writes a PreferencePair when a task is resolved. Packaging re-checks each one:
- a pair is packaged only on an agreed label (the task is complete) or an adjudicated one; with
  `review.opposite_direction: adjudicate`, reviews that favour opposite candidates are never
  an agreed label, whatever their mean (pairs written under the `mean` policy are left out);
- annotations from simulated reviewers are refused unless `packaging.allow_simulated`;
- with `agreement.exclude_flagged_reviewers`, a flagged reviewer's annotations are dropped and the
  label is re-derived from the others; a pair nobody else supports is unverified (re-queue it),
  and one whose direction the others contradict is left out;
- the safety veto (`safety.py`): a chosen candidate with a high-severity security finding or
  failing tests over a rejected one without that flaw is left out, unless a senior's
  adjudication overrides the veto with a written reason;
- gold tasks, ties, and tasks still awaiting adjudication never have a pair to begin with, and
  are counted here so the QA report can show them.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlmodel import Session, col

from factory.models import Adjudication, Annotation, PreferencePair, Reviewer, ReviewTask
from factory.packaging.safety import Flaws, candidate_flaws, flaws_of, veto_reason
from factory.review.adjudication import (
    ADJUDICATE,
    DIRECTION,
    DISTANCE,
    label_from_preferences,
    opposite_directions,
)
from factory.vocab import TaskStatus, WorkKind

SIMULATED = "simulated_labels"
UNVERIFIED = "flagged_reviewer_unverified"
CONTRADICTED = "flagged_reviewer_contradicted"
NOT_AGREED = "label_neither_agreed_nor_adjudicated"
OPPOSITE_UNADJUDICATED = "opposite_directions_not_adjudicated"
SAFETY_VETO = "safety_veto"
# Label figures for the QA report (non-gold tasks).
AGREED = "agreed"
ADJUDICATED = "adjudicated"
AWAITING = "awaiting_adjudication"
SENT_FOR_DIRECTION = "sent_to_adjudication_for_direction"
SENT_FOR_DISTANCE = "sent_to_adjudication_for_distance"


@dataclass(frozen=True, slots=True)
class SelectedPair:
    pair: PreferencePair
    strength: float
    rationale: str
    n_reviews: int
    simulated: bool
    override_reason: str = ""  # a senior's reason for letting a vetoed pair through


@dataclass(slots=True)
class PairSelection:
    selected: list[SelectedPair] = field(default_factory=list)
    excluded: Counter[str] = field(default_factory=Counter)  # reason -> tasks
    requeue_task_ids: list[int] = field(default_factory=list)
    task_statuses: Counter[str] = field(default_factory=Counter)
    opposite_direction: str = ADJUDICATE  # the review.opposite_direction policy applied
    labels: Counter[str] = field(default_factory=Counter)  # AGREED, ADJUDICATED, ... -> tasks
    vetoes: Counter[str] = field(default_factory=Counter)  # safety veto reason -> rows refused
    overrides: Counter[str] = field(default_factory=Counter)  # "pair" / "sft" -> let through
    overridden_candidates: set[int] = field(default_factory=set)  # chosen under an override


def select_pairs(
    session: Session,
    batch_ids: list[str],
    *,
    allow_simulated: bool,
    flagged_reviewers: set[int],
    opposite_direction: str = ADJUDICATE,
) -> PairSelection:
    selection = PairSelection(opposite_direction=opposite_direction)
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
        if not task.is_gold and task.kind == WorkKind.PAIRWISE:
            _count_label(task, selection.labels)
    pairs = list(
        session.scalars(
            select(PreferencePair)
            .where(col(PreferencePair.task_id).in_(list(tasks) or [-1]))
            .order_by(col(PreferencePair.id))
        )
    )
    paired = {pair.task_id for pair in pairs}
    for task in tasks.values():
        if task.kind != WorkKind.PAIRWISE:
            continue  # other kinds have no pair to miss: packaging counts them (submissions.py)
        done = task.status in (TaskStatus.COMPLETE, TaskStatus.ADJUDICATED)
        if done and not task.is_gold and task.id not in paired:
            selection.excluded["tie"] += 1
        elif task.status == TaskStatus.ADJUDICATION:
            selection.excluded[AWAITING] += 1
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
        adjudication.task_id: (adjudication, adjudication.simulated or simulated)
        for adjudication, simulated in session.execute(
            select(Adjudication, col(Reviewer.simulated))
            .join(Reviewer, col(Reviewer.id) == Adjudication.reviewer_id)
            .where(col(Adjudication.task_id).in_(list(paired) or [-1]))
        )
    }
    flaws = candidate_flaws(session, batch_ids=batch_ids)
    context = _Context(allow_simulated, flagged_reviewers, opposite_direction, flaws, selection)
    for pair in pairs:
        task = tasks[pair.task_id]
        context.select_one(pair, task, annotations[pair.task_id], adjudications.get(pair.task_id))
    return selection


def _count_label(task: ReviewTask, labels: Counter[str]) -> None:
    if task.status == TaskStatus.COMPLETE:
        labels[AGREED] += 1
    elif task.status == TaskStatus.ADJUDICATED:
        labels[ADJUDICATED] += 1
    elif task.status == TaskStatus.ADJUDICATION:
        labels[AWAITING] += 1
    if task.status in (TaskStatus.ADJUDICATION, TaskStatus.ADJUDICATED):
        # Tasks sent before the reason was recorded were sent for distance, the only rule then.
        reason = task.adjudication_reason or DISTANCE
        labels[SENT_FOR_DIRECTION if reason == DIRECTION else SENT_FOR_DISTANCE] += 1


@dataclass(slots=True)
class _Context:
    allow_simulated: bool
    flagged: set[int]
    opposite_direction: str
    flaws: dict[int, Flaws]
    selection: PairSelection

    def select_one(
        self,
        pair: PreferencePair,
        task: ReviewTask,
        reviews: list[tuple[Annotation, bool]],
        adjudication: tuple[Adjudication, bool] | None,
    ) -> None:
        selection = self.selection
        if task.status not in (TaskStatus.COMPLETE, TaskStatus.ADJUDICATED):
            selection.excluded[NOT_AGREED] += 1
            return
        if adjudication is not None and pair.label_source == "adjudication":
            self._adjudicated(pair, reviews, *adjudication)
            return
        simulated = any(is_simulated for _, is_simulated in reviews)
        if simulated and not self.allow_simulated:
            selection.excluded[SIMULATED] += 1
            return
        preferences = [a.preference for a, _ in reviews]
        if self.opposite_direction == ADJUDICATE and opposite_directions(preferences):
            selection.excluded[OPPOSITE_UNADJUDICATED] += 1
            return
        kept = [a for a, _ in reviews if a.reviewer_id not in self.flagged]
        strength = pair.strength
        if len(kept) < len(reviews):
            label = label_from_preferences([a.preference for a in kept]) if kept else None
            chosen_is_b = pair.chosen_candidate_id != task.candidate_a_id
            if not kept:
                selection.excluded[UNVERIFIED] += 1
                selection.requeue_task_ids.append(pair.task_id)
                return
            if label is None or (label[0] > 0) != chosen_is_b:
                selection.excluded[CONTRADICTED] += 1
                selection.requeue_task_ids.append(pair.task_id)
                return
            strength = label[1]
        if self._vetoed(pair):
            return
        rationale = "\n\n".join(a.rationale.strip() for a in kept if a.rationale.strip())
        selection.selected.append(SelectedPair(pair, strength, rationale, len(kept), simulated))

    def _adjudicated(
        self,
        pair: PreferencePair,
        reviews: list[tuple[Annotation, bool]],
        decision: Adjudication,
        simulated: bool,
    ) -> None:
        selection = self.selection
        if simulated and not self.allow_simulated:
            selection.excluded[SIMULATED] += 1
            return
        override = decision.override_reason if decision.override_veto else ""
        if override:
            selection.overridden_candidates.add(pair.chosen_candidate_id)
            if self._veto(pair) is not None:
                selection.overrides["pair"] += 1
        elif self._vetoed(pair):
            return
        rationale = decision.rationale
        if override:
            rationale += f"\n\nSafety veto overridden by the adjudicating senior: {override}"
        selection.selected.append(
            SelectedPair(pair, pair.strength, rationale, len(reviews), simulated, override)
        )

    def _veto(self, pair: PreferencePair) -> str | None:
        return veto_reason(
            flaws_of(self.flaws, pair.chosen_candidate_id),
            flaws_of(self.flaws, pair.rejected_candidate_id),
        )

    def _vetoed(self, pair: PreferencePair) -> bool:
        """Count and refuse a pair the safety veto stops."""
        reason = self._veto(pair)
        if reason is None:
            return False
        self.selection.vetoes[reason] += 1
        self.selection.excluded[SAFETY_VETO] += 1
        return True
