"""Reading the batches' work beyond pairs as plain records: each submission of a finished task,
with the code it was on and the notes written on its claim, and the pairwise reviews that
have notes (their reasoning is released too).

Only tasks whose status is complete are read (a task with a free slot is not finished); a task
on a contaminated prompt is left out when `packaging.exclude_contaminated` is on. Simulated
submissions are refused or allowed before this runs (`loading.simulated_review_counts`).
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from factory.errors import FactoryUserError
from factory.models import (
    Annotation,
    ReasoningNote,
    Reviewer,
    ReviewTask,
    Submission,
    TaskCandidate,
)
from factory.packaging.loading import CandidateSet, PromptSet
from factory.packaging.records import CandidateInfo, PromptInfo
from factory.vocab import TaskStatus, WorkKind

CONTAMINATED = "contaminated_prompt"
NOT_COMPLETE = "work_not_complete"  # a task of work beyond pairs still open


@dataclass(frozen=True, slots=True)
class NoteInfo:
    seconds_in: float  # seconds since the claim began
    text: str


@dataclass(frozen=True, slots=True)
class SubmissionInfo:
    """One person's accepted answer to a finished task of a kind other than pairwise."""

    submission_id: int
    task_id: int
    reviewer_id: int
    kind: str
    prompt: PromptInfo
    rubric_version: str
    payload: dict[str, Any]
    verification: dict[str, Any]
    seconds_spent: float
    simulated: bool
    subject: dict[str, Any]
    candidate: CandidateInfo | None = None  # the candidate the work is on, if any
    notes: tuple[NoteInfo, ...] = ()
    answers: int = 1  # submissions on the task, this one included

    @property
    def code(self) -> str:
        """The code reviewed, fixed or refactored: the candidate's, else the record's own."""
        return self.candidate.code if self.candidate is not None else self.prompt.subject_code

    @property
    def candidate_id(self) -> int | None:
        return self.candidate.candidate_id if self.candidate is not None else None


@dataclass(frozen=True, slots=True)
class ReviewNotes:
    """A pairwise review whose claim has notes: reasoning that led to a preference."""

    annotation_id: int
    task_id: int
    reviewer_id: int
    prompt: PromptInfo
    a: CandidateInfo
    b: CandidateInfo
    preference: int  # canonical A/B order, -3..3
    rationale: str
    seconds_spent: float
    simulated: bool
    notes: tuple[NoteInfo, ...]


@dataclass(slots=True)
class WorkSet:
    submissions: list[SubmissionInfo] = field(default_factory=list)  # by task, then id
    ranked: dict[int, tuple[int, ...]] = field(default_factory=dict)  # task -> its candidates
    reviews: list[ReviewNotes] = field(default_factory=list)
    excluded: Counter[str] = field(default_factory=Counter)  # reason -> tasks


def load_work(
    session: Session,
    batch_ids: list[str],
    prompts: PromptSet,
    candidates: CandidateSet,
    *,
    usable: set[int],
    excluded_reviewers: set[int],
) -> WorkSet:
    """The batches' finished work beyond pairs on usable prompts, and the pairwise reviews with
    notes (a flagged reviewer's left out, as their labels are)."""
    found = WorkSet()
    tasks: dict[int, ReviewTask] = {}
    for task in session.scalars(
        select(ReviewTask)
        .where(col(ReviewTask.batch_id).in_(batch_ids), col(ReviewTask.kind) != WorkKind.PAIRWISE)
        .order_by(col(ReviewTask.id))
    ):
        assert task.id is not None  # a row read from the database
        if task.status != TaskStatus.COMPLETE:
            found.excluded[NOT_COMPLETE] += 1
        elif task.prompt_id not in usable:
            found.excluded[CONTAMINATED] += 1
        else:
            tasks[task.id] = task
    notes = _notes(session, batch_ids)
    for task_id, candidate_id in session.exec(
        select(TaskCandidate.task_id, TaskCandidate.candidate_id)
        .where(col(TaskCandidate.task_id).in_(list(tasks) or [-1]))
        .order_by(col(TaskCandidate.task_id), col(TaskCandidate.position))
    ):
        found.ranked[task_id] = (*found.ranked.get(task_id, ()), candidate_id)
    for submission, reviewer_simulated in session.exec(
        select(Submission, Reviewer.simulated)
        .join(Reviewer, col(Reviewer.id) == Submission.reviewer_id)
        .where(col(Submission.task_id).in_(list(tasks) or [-1]))
        .order_by(col(Submission.task_id), col(Submission.id))
    ):
        assert submission.id is not None  # a row read from the database
        task = tasks[submission.task_id]
        found.submissions.append(
            SubmissionInfo(
                submission_id=submission.id,
                task_id=submission.task_id,
                reviewer_id=submission.reviewer_id,
                kind=submission.kind,
                prompt=_prompt(prompts, task),
                rubric_version=submission.rubric_version,
                payload=dict(submission.payload),
                verification=dict(submission.verification),
                seconds_spent=submission.seconds_spent,
                simulated=submission.simulated or reviewer_simulated,
                subject=dict(task.subject),
                candidate=_candidate(candidates, task, task.candidate_a_id),
                notes=notes.get(submission.claim_id, ()),
                answers=task.review_count,
            )
        )
    found.reviews = _reviews_with_notes(
        session, notes, prompts, candidates, usable=usable, excluded_reviewers=excluded_reviewers
    )
    return found


def _notes(session: Session, batch_ids: list[str]) -> dict[int, tuple[NoteInfo, ...]]:
    """claim id -> its notes in the order they were written."""
    found: dict[int, list[NoteInfo]] = defaultdict(list)
    for note in session.scalars(
        select(ReasoningNote)
        .join(ReviewTask, col(ReviewTask.id) == ReasoningNote.task_id)
        .where(col(ReviewTask.batch_id).in_(batch_ids))
        .order_by(col(ReasoningNote.claim_id), col(ReasoningNote.seconds_in), col(ReasoningNote.id))
    ):
        found[note.claim_id].append(NoteInfo(note.seconds_in, note.text))
    return {claim_id: tuple(items) for claim_id, items in found.items()}


def _reviews_with_notes(
    session: Session,
    notes: dict[int, tuple[NoteInfo, ...]],
    prompts: PromptSet,
    candidates: CandidateSet,
    *,
    usable: set[int],
    excluded_reviewers: set[int],
) -> list[ReviewNotes]:
    """Reviews of finished, non-gold pairwise tasks whose claims have notes."""
    reviews = []
    done = (TaskStatus.COMPLETE, TaskStatus.ADJUDICATED)
    for annotation, task, reviewer_simulated in session.exec(
        select(Annotation, ReviewTask, Reviewer.simulated)
        .join(ReviewTask, col(ReviewTask.id) == Annotation.task_id)
        .join(Reviewer, col(Reviewer.id) == Annotation.reviewer_id)
        .where(
            col(Annotation.claim_id).in_(list(notes) or [-1]),
            col(ReviewTask.kind) == WorkKind.PAIRWISE,
            col(ReviewTask.is_gold).is_(False),
            col(ReviewTask.status).in_(done),
        )
        .order_by(col(Annotation.id))
    ):
        assert annotation.id is not None and task.id is not None  # rows read from the database
        if task.prompt_id not in usable or annotation.reviewer_id in excluded_reviewers:
            continue
        a_id, b_id = task.pair
        a, b = _candidate(candidates, task, a_id), _candidate(candidates, task, b_id)
        assert a is not None and b is not None  # a pair names both
        reviews.append(
            ReviewNotes(
                annotation_id=annotation.id,
                task_id=task.id,
                reviewer_id=annotation.reviewer_id,
                prompt=_prompt(prompts, task),
                a=a,
                b=b,
                preference=annotation.preference,
                rationale=annotation.rationale,
                seconds_spent=annotation.seconds_spent,
                simulated=annotation.simulated or reviewer_simulated,
                notes=notes[annotation.claim_id],
            )
        )
    return reviews


def _prompt(prompts: PromptSet, task: ReviewTask) -> PromptInfo:
    prompt = prompts.prompts.get(task.prompt_id)
    if prompt is None:
        raise FactoryUserError(
            f"task {task.id} refers to prompt {task.prompt_id} outside the release's batches; "
            "package the batches together"
        )
    return prompt


def _candidate(
    candidates: CandidateSet, task: ReviewTask, candidate_id: int | None
) -> CandidateInfo | None:
    if candidate_id is None:
        return None
    candidate = candidates.by_id.get(candidate_id)
    if candidate is None:
        raise FactoryUserError(
            f"task {task.id} ({task.kind}) is on candidate {candidate_id}, which is not a "
            "candidate of the release's batches; package the batches together"
        )
    return candidate
