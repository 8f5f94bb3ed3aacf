"""Repository environments: snapshots mined, dependency recipes and their images, the tasks that
came out of a repository's history, each validation run, and each patch graded against a task."""

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from factory.models._base import created_at_field, json_field, text_field
from factory.models.storable_text import escaped_flag_field


class RepoSnapshot(SQLModel, table=True):
    """One repository at one head commit, as the funnel read it."""

    id: str = Field(primary_key=True, max_length=200)  # "<name>@<head sha, 12>"
    name: str = Field(max_length=200, index=True)
    source: str = text_field()  # the path, bundle or URL it was read from
    head_commit: str = Field(max_length=40)
    commits_scanned: int = 0
    # The funnel's counts and reasons for this snapshot, as its last run left them.
    funnel: dict[str, Any] = json_field()
    created_at: datetime = created_at_field()


class EnvRecipe(SQLModel, table=True):
    """How to install one dependency set; every task of that recipe shares its image."""

    id: str = Field(primary_key=True, max_length=64)  # recipe hash
    ecosystem: str = Field(max_length=20)  # python | ...
    spec: dict[str, Any] = json_field()
    base_image: str = Field(default="", max_length=200)
    image: str = Field(default="", max_length=200)  # factory-env:<hash> once built
    status: str = Field(default="pending", max_length=20)  # pending | built | failed
    reason: str = text_field()  # why the build failed
    build_log: str = text_field()
    build_time_s: float = 0.0
    image_size_mb: float = 0.0
    created_at: datetime = created_at_field()


class RepoTask(SQLModel, table=True):
    """A SWE-bench-shaped task mined from one commit of a repository, and where it left the funnel.

    `status` is the furthest cut it reached: mined, not_runnable, not_gradable, flaky or stable;
    `reason` says why it stopped.
    """

    instance_id: str = Field(primary_key=True, max_length=200)
    snapshot_id: str = Field(foreign_key="reposnapshot.id", index=True, max_length=200)
    repo: str = Field(max_length=200, index=True)
    base_commit: str = Field(max_length=40)
    source_commit: str = Field(max_length=40)  # the merge or commit the task was mined from
    patch: str = text_field()  # gold patch: every changed file that is not a test
    test_patch: str = text_field()
    test_files: list[str] = json_field(list)  # the test modules run to grade the task
    problem_statement: str = text_field()
    statement_source: str = Field(default="commit", max_length=20)  # commit | rewritten
    scrubbed: list[dict[str, str]] = json_field(list)  # what the anti-cheating scrub removed
    version: str = Field(default="", max_length=40)
    environment_setup_commit: str = Field(default="", max_length=40)
    recipe_id: str = Field(default="", max_length=64, index=True)
    created_at_source: str = Field(default="", max_length=40)  # the commit's ISO date
    FAIL_TO_PASS: list[str] = json_field(list)  # SWE-bench's column names
    PASS_TO_PASS: list[str] = json_field(list)
    status: str = Field(default="mined", max_length=20, index=True)
    # Why it stopped; any unstorable character of quoted output escaped (models.storable_text).
    reason: str = text_field()
    validation: dict[str, Any] = json_field()  # per-cut timings, flaky tests, run counts
    created_at: datetime = created_at_field()


class EnvRun(SQLModel, table=True):
    """One phase of one container session on a task: a test run, its per-test outcomes."""

    id: int | None = Field(default=None, primary_key=True)
    instance_id: str = Field(foreign_key="repotask.instance_id", index=True, max_length=200)
    purpose: str = Field(max_length=20)  # validation | grading
    phase: str = Field(max_length=20)  # runnable | before | after | grade
    attempt: int = 1
    exit_code: int | None = None
    outcomes: dict[str, str] = json_field()  # test id -> passed | failed | error | skipped
    report_complete: bool = False
    wall_time_s: float = 0.0
    output_tail: str = text_field()
    # True when the output had characters no database can hold, escaped (models.storable_text).
    output_escaped: bool = escaped_flag_field()
    created_at: datetime = created_at_field()


class PatchGrading(SQLModel, table=True):
    """A patch applied in a task's environment: resolved or not, with each graded test."""

    id: int | None = Field(default=None, primary_key=True)
    instance_id: str = Field(foreign_key="repotask.instance_id", index=True, max_length=200)
    patch_sha256: str = Field(max_length=64, index=True)
    patch_source: str = Field(default="", max_length=200)  # gold | empty | a file name | model
    patch: str = text_field()
    resolved: bool = False
    applied: bool = True
    reason: str = text_field()  # unstorable characters escaped, as on RepoTask.reason
    fail_to_pass: dict[str, str] = json_field()
    pass_to_pass: dict[str, str] = json_field()
    reset_test_files: list[str] = json_field(list)  # test files the patch touched, put back
    wall_time_s: float = 0.0
    created_at: datetime = created_at_field()
