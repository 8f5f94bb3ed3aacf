"""Reviewers and their pools, review tasks and their claims, annotations with dimension scores,
adjudications, and expert gold items with the answers reviewers gave them."""

from datetime import datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from factory.models._base import created_at_field, json_field, text_field


class Reviewer(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=100, unique=True)
    display_name: str = Field(default="", max_length=200)
    password_hash: str = Field(default="", max_length=300)
    role: str = Field(default="reviewer", max_length=20)  # vocab.Role
    languages: list[str] = json_field(list)  # vocab.Language values this reviewer may judge
    active: bool = True
    # Simulated reviewers exist for demonstrations and load tests; packaging refuses their work
    # unless explicitly allowed.
    simulated: bool = False
    created_at: datetime = created_at_field()


class ReviewTask(SQLModel, table=True):
    """One queued item of work for one prompt that needs `required_reviews` independent people.

    Pairwise work (`kind` "pairwise") compares candidates A and B; every other kind
    (vocab.WorkKind) names what it works on in `subject` and `work_key`, and its answers are
    Submissions (factory.models.work). The queue, its leases and its pools are the same for all.
    """

    __table_args__ = (
        UniqueConstraint("batch_id", "candidate_a_id", "candidate_b_id"),
        # Work other than pairs is made once per (batch, kind, subject): reruns add nothing.
        Index(
            "ix_reviewtask_work_key",
            "batch_id",
            "kind",
            "work_key",
            unique=True,
            postgresql_where=text("kind <> 'pairwise'"),
            sqlite_where=text("kind <> 'pairwise'"),
        ),
        # The claim walks open tasks of a pool (language, task type) in queue order and stops
        # at the first one it may take, so claiming costs the same with ten tasks queued or a
        # million.
        Index(
            "ix_reviewtask_open_queue",
            "language",
            "task_type",
            text("priority DESC"),
            "id",
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    batch_id: str = Field(foreign_key="batch.id", index=True, max_length=200)
    prompt_id: int = Field(foreign_key="prompt.id", index=True)
    # Pairwise: the two candidates. Code review, bug fix and refactoring of a candidate: A is
    # that candidate. Ranking: TaskCandidate rows. Otherwise None.
    candidate_a_id: int | None = Field(default=None, foreign_key="candidate.id")
    candidate_b_id: int | None = Field(default=None, foreign_key="candidate.id")
    language: str = Field(max_length=30, index=True)
    # The pool type: the prompt's vocab.TaskType for pairwise work, the kind for every other
    # kind; kept here so the claim filters by pool without a join.
    task_type: str = Field(default="", max_length=40)
    kind: str = Field(default="pairwise", max_length=20, index=True)  # vocab.WorkKind
    # What the work is on, for kinds other than pairwise (factory.tasktypes documents each).
    subject: dict[str, Any] = json_field()
    work_key: str = Field(default="", max_length=200)
    pair_strategy: str = Field(default="", max_length=40)  # why this pair was chosen
    required_reviews: int = 1
    review_count: int = 0  # submitted reviews; never exceeds required_reviews
    active_claims: int = 0  # unexpired claims; review_count + active_claims <= required_reviews
    # An automatic attention check (pass versus fail, `review.gold_rate`): its answer shows in
    # the test badges, so it measures attention only and gates nobody. Expert gold is GoldItem.
    is_gold: bool = Field(default=False, index=True)
    gold_preference: int | None = None  # the attention check's answer on the -3..3 scale
    status: str = Field(default="open", max_length=20, index=True)  # vocab.TaskStatus
    # Why the task went to a senior: "direction" (reviews point opposite ways) or "distance".
    adjudication_reason: str | None = Field(default=None, max_length=20)
    priority: int = 0
    created_at: datetime = created_at_field()
    completed_at: datetime | None = None

    @property
    def pair(self) -> tuple[int, int]:
        """(candidate A, candidate B) of a pairwise task."""
        if self.candidate_a_id is None or self.candidate_b_id is None:
            raise ValueError(f"task {self.id} is {self.kind} work, not a pair of candidates")
        return self.candidate_a_id, self.candidate_b_id


class TaskClaim(SQLModel, table=True):
    """A reviewer's lease on a task; an abandoned one returns the slot to the queue on expiry."""

    __table_args__ = (UniqueConstraint("task_id", "reviewer_id"),)

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="reviewtask.id", index=True)
    reviewer_id: int = Field(foreign_key="reviewer.id", index=True)
    status: str = Field(default="active", max_length=20, index=True)  # vocab.ClaimStatus
    # True when the reviewer saw candidate B on the left: the order shown is randomised.
    swapped: bool = False
    claimed_at: datetime = created_at_field()
    expires_at: datetime = Field(index=True)
    skip_reason: str | None = Field(default=None, max_length=500)
    # Set when the claim serves an expert gold item; its task is then the gold pair's own task,
    # the claim takes none of that task's review slots, and the answer becomes a GoldAnswer.
    gold_item_id: int | None = Field(default=None, foreign_key="golditem.id", index=True)


class Annotation(SQLModel, table=True):
    """One submitted review. The preference is stored in the task's canonical A/B order."""

    __table_args__ = (UniqueConstraint("task_id", "reviewer_id"),)

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="reviewtask.id", index=True)
    claim_id: int = Field(foreign_key="taskclaim.id", unique=True)
    reviewer_id: int = Field(foreign_key="reviewer.id", index=True)
    preference: int  # vocab.PREFERENCE_MIN..PREFERENCE_MAX, negative favours candidate A
    rationale: str = text_field()
    seconds_spent: float = 0.0
    simulated: bool = False
    created_at: datetime = created_at_field()


class DimensionScore(SQLModel, table=True):
    """A reviewer's 1-5 score of one candidate on one dimension, within one annotation."""

    __table_args__ = (UniqueConstraint("annotation_id", "candidate_id", "dimension"),)

    id: int | None = Field(default=None, primary_key=True)
    annotation_id: int = Field(foreign_key="annotation.id", index=True)
    candidate_id: int = Field(foreign_key="candidate.id", index=True)
    dimension: str = Field(max_length=20)
    score: int


class Adjudication(SQLModel, table=True):
    """A senior reviewer's decision on a task whose reviews disagreed."""

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="reviewtask.id", unique=True)
    reviewer_id: int = Field(foreign_key="reviewer.id", index=True)
    preference: int
    rationale: str = text_field()
    # A senior may choose a candidate the safety veto would refuse (a high-severity security
    # finding or failing tests) only with this flag and a written reason.
    override_veto: bool = False
    override_reason: str = text_field()
    simulated: bool = False  # decided by the simulated senior of a demonstration
    created_at: datetime = created_at_field()


class PoolMembership(SQLModel, table=True):
    """A reviewer's standing in one pool (language, task type): factory.review.pools.PoolStatus.

    Claims serve ordinary work only from pools where the reviewer is active; a qualifying or
    suspended reviewer is served qualification gold of that pool instead.
    """

    __table_args__ = (UniqueConstraint("reviewer_id", "language", "task_type"),)

    id: int | None = Field(default=None, primary_key=True)
    reviewer_id: int = Field(foreign_key="reviewer.id", index=True)
    language: str = Field(max_length=30)
    task_type: str = Field(max_length=40)
    status: str = Field(default="qualifying", max_length=20, index=True)
    attempt: int = 1  # the qualification attempt under way (or last passed)
    # A failed attempt (or a suspension) opens the next attempt only after this moment.
    retake_after: datetime | None = None
    # Rolling gold accuracy counts the answers given since the reviewer last became active.
    active_since: datetime | None = None
    simulated: bool = False  # admitted by a demonstration's simulation, not by gold answers
    updated_at: datetime = created_at_field()
    created_at: datetime = created_at_field()


class PoolEvent(SQLModel, table=True):
    """What happened to a pool membership, by whom and why: the record behind every status."""

    id: int | None = Field(default=None, primary_key=True)
    membership_id: int = Field(foreign_key="poolmembership.id", index=True)
    event: str = Field(max_length=30)  # factory.review.pools.PoolEventKind
    detail: str = text_field()
    answered: int | None = None  # gold answers the decision was based on
    correct: int | None = None
    actor_id: int | None = Field(default=None, foreign_key="reviewer.id")  # None: automatic
    created_at: datetime = created_at_field()


class GoldItem(SQLModel, table=True):
    """Expert gold: a hard pair (both candidates pass their tests) with a senior's known answer,
    or a task of another kind with a senior's known submission (factory.tasktypes.gold).

    The item is a task already queued (`task_id`); serving it shows that task's page exactly
    as ordinary work shows it.
    """

    __table_args__ = (Index("ix_golditem_pool", "language", "task_type"),)

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="reviewtask.id", unique=True)
    language: str = Field(max_length=30)
    task_type: str = Field(max_length=40)  # the pool type (factory.tasktypes.registry)
    kind: str = Field(default="pairwise", max_length=20)  # vocab.WorkKind of the task
    # Pairwise: the known answer in the task's canonical A/B order; never a tie. Other kinds:
    # None, and `answer` holds the known submission payload (factory.tasktypes.gold grades).
    preference: int | None = None
    answer: dict[str, Any] = json_field()
    reason: str = text_field()  # why, in the author's words
    source: str = Field(default="proposed", max_length=20)  # adjudication | proposed | submission
    authored_by: int = Field(foreign_key="reviewer.id", index=True)
    authored_at: datetime = created_at_field()
    confirmed_by: int | None = Field(default=None, foreign_key="reviewer.id")
    confirmed_at: datetime | None = None
    confirm_note: str = text_field()
    retired_at: datetime | None = None  # a retired item is no longer served or counted
    retired_by: int | None = Field(default=None, foreign_key="reviewer.id")
    retire_reason: str = text_field()


class GoldAnswer(SQLModel, table=True):
    """A reviewer's answer to an expert gold item, graded against the known answer."""

    __table_args__ = (
        UniqueConstraint("gold_item_id", "reviewer_id"),
        # Rolling accuracy reads a reviewer's latest answers in one pool.
        Index("ix_goldanswer_pool", "reviewer_id", "language", "task_type", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    gold_item_id: int = Field(foreign_key="golditem.id", index=True)
    claim_id: int = Field(foreign_key="taskclaim.id", unique=True)
    reviewer_id: int = Field(foreign_key="reviewer.id")
    language: str = Field(max_length=30)
    task_type: str = Field(max_length=40)
    purpose: str = Field(max_length=20)  # "qualification" | "ongoing"
    attempt: int = 0  # the qualification attempt it counted towards (0 for ongoing)
    kind: str = Field(default="pairwise", max_length=20)  # vocab.WorkKind
    preference: int | None = None  # pairwise: canonical A/B order, as the reviewer gave it
    answer: dict[str, Any] = json_field()  # other kinds: the payload the reviewer submitted
    # Pairwise: same direction as the known answer. Other kinds: the kind's grader's verdict
    # (factory.tasktypes.gold), with its closeness in `score` and its reason in `grading`.
    correct: bool
    score: float | None = None
    grading: str = text_field()
    rationale: str = text_field()
    # The reviewer's 1-5 scores: {"<candidate id>": {"<dimension>": score}}.
    scores: dict[str, dict[str, int]] = json_field()
    seconds_spent: float = 0.0
    simulated: bool = False
    created_at: datetime = created_at_field()
