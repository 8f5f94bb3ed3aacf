"""Preference pairs chosen for training, releases, and exactly which rows each release holds."""

from datetime import datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from factory.models._base import created_at_field, json_field, text_field


class PreferencePair(SQLModel, table=True):
    """A resolved preference: which candidate of a review task was chosen, and how strongly."""

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="reviewtask.id", unique=True)
    prompt_id: int = Field(foreign_key="prompt.id", index=True)
    chosen_candidate_id: int = Field(foreign_key="candidate.id")
    rejected_candidate_id: int = Field(foreign_key="candidate.id")
    strength: float  # mean |preference| of the deciding reviews, 1..3
    label_source: str = Field(max_length=20)  # annotations | adjudication
    created_at: datetime = created_at_field()


class Release(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    version: str = Field(max_length=50)
    batch_ids: list[str] = json_field(list)
    status: str = Field(default="packaged", max_length=20)  # vocab.ReleaseStatus
    path: str = Field(default="", max_length=1000)  # the release folder on disk
    target: str = Field(default="", max_length=20)  # local | hub
    repo_id: str = Field(default="", max_length=300)
    commit_id: str = Field(default="", max_length=100)
    url: str = Field(default="", max_length=1000)
    config_sha256: str = Field(default="", max_length=64)
    counts: dict[str, Any] = json_field()
    qa_report: dict[str, Any] = json_field()
    error: str = text_field()
    created_at: datetime = created_at_field()
    published_at: datetime | None = None


class ReleaseItem(SQLModel, table=True):
    """One row of a released dataset, traced to the database rows it came from."""

    __table_args__ = (UniqueConstraint("release_id", "config", "row_key"),)

    id: int | None = Field(default=None, primary_key=True)
    release_id: int = Field(foreign_key="release.id", index=True)
    config: str = Field(max_length=20)  # dpo | rlvr | sft | reward | swe
    split: str = Field(max_length=20)  # train | test
    row_key: str = Field(max_length=100)  # the row's id column in the released file
    # A prompt-based row names its prompt; a repository task's row (`swe`) names the task.
    prompt_id: int | None = Field(default=None, foreign_key="prompt.id", index=True)
    pair_id: int | None = Field(default=None, foreign_key="preferencepair.id")
    candidate_id: int | None = Field(default=None, foreign_key="candidate.id")
    # A row built from a submission (ranking, code review, bug fix, authoring, refactoring,
    # reasoning) names it: its annotator, verification and notes follow from it.
    submission_id: int | None = Field(default=None, foreign_key="submission.id", index=True)
    instance_id: str | None = Field(
        default=None, foreign_key="repotask.instance_id", index=True, max_length=200
    )
