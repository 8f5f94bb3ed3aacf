"""Reviewers, review tasks and their claims, annotations with dimension scores, adjudications."""

from datetime import datetime

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
    """A pair of candidates for one prompt that needs `required_reviews` independent reviews."""

    __table_args__ = (
        UniqueConstraint("batch_id", "candidate_a_id", "candidate_b_id"),
        # The claim walks open tasks of a language in queue order and stops at the first one
        # it may take, so claiming costs the same with ten tasks queued or a million.
        Index(
            "ix_reviewtask_open_queue",
            "language",
            text("priority DESC"),
            "id",
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    batch_id: str = Field(foreign_key="batch.id", index=True, max_length=200)
    prompt_id: int = Field(foreign_key="prompt.id", index=True)
    candidate_a_id: int = Field(foreign_key="candidate.id")
    candidate_b_id: int = Field(foreign_key="candidate.id")
    language: str = Field(max_length=30, index=True)
    pair_strategy: str = Field(default="", max_length=40)  # why this pair was chosen
    required_reviews: int = 1
    review_count: int = 0  # submitted reviews; never exceeds required_reviews
    active_claims: int = 0  # unexpired claims; review_count + active_claims <= required_reviews
    is_gold: bool = Field(default=False, index=True)
    gold_preference: int | None = None  # the known answer on the -3..3 scale
    status: str = Field(default="open", max_length=20, index=True)  # vocab.TaskStatus
    # Why the task went to a senior: "direction" (reviews point opposite ways) or "distance".
    adjudication_reason: str | None = Field(default=None, max_length=20)
    priority: int = 0
    created_at: datetime = created_at_field()
    completed_at: datetime | None = None


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
