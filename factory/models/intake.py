"""Batches of prompts, what intake kept, and everything it turned away (with the reason)."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from factory.models._base import created_at_field, json_field, signature_field, text_field
from factory.models.storable_text import escaped_flag_field


class Batch(SQLModel, table=True):
    """One file of prompts dropped into the inbox; also the Dagster partition key."""

    id: str = Field(primary_key=True, max_length=200)  # "<file stem>-<sha256[:12]>"
    source_path: str = Field(max_length=1000)
    content_sha256: str = Field(max_length=64, unique=True)
    format: str = Field(max_length=40)  # factory | humaneval | mbpp
    received: int = 0  # records (lines) seen
    accepted: int = 0
    quarantined: int = 0
    duplicates: int = 0
    contaminated: int = 0
    config: dict[str, Any] = json_field()
    created_at: datetime = created_at_field()


# Exact duplicates are looked up by the first 16 hex digits (64 bits) of their key: an index a
# third the size of one on the whole key, and so a third of the pages a large batch keeps
# reading; the few prompts a prefix finds are compared on the whole key.
SHA_PREFIX_CHARS = 16
SHA_PREFIX = text(f"substr(normalized_sha256, 1, {SHA_PREFIX_CHARS})")


class Prompt(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("batch_id", "external_id"),
        Index("ix_prompt_sha_prefix", SHA_PREFIX),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Queries select a batch's prompts through the unique index above, whose leading column is
    # batch_id; no other column is indexed, as each index costs every stored prompt an insert.
    batch_id: str = Field(foreign_key="batch.id", max_length=200)
    external_id: str = Field(max_length=300)  # the record's own id
    line_no: int  # 1-based line in the batch file
    language: str = Field(max_length=30)
    task_type: str = Field(max_length=40)
    prompt: str = text_field()  # after the anti-cheating scrub
    tests: str = text_field()
    entry_point: str = Field(default="", max_length=200)
    test_style: str = Field(default="pytest", max_length=20)  # pytest | check (HumanEval)
    reference_solution: str = text_field()
    # Work people do on this prompt (vocab.WorkKind values); [] means the task type's default.
    work: list[str] = json_field(list)
    # The code the work is on when the record brings it (reviewed, fixed or refactored code).
    subject_code: str = text_field()
    # A bug fix on a repository task (factory.envs) names it: the buggy code is its base commit.
    repo_task: str | None = Field(default=None, foreign_key="repotask.instance_id", max_length=200)
    # Optional scaled input generator for efficiency growth measurement (see factory.signals).
    scaled_input: str | None = text_field(nullable=True, default=None)
    licence: str = Field(default="", max_length=200)
    source: str = Field(default="", max_length=500)
    # "metadata" is reserved by SQLAlchemy's declarative base, hence the attribute name.
    metadata_: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column("metadata", JSON, nullable=False)
    )
    normalized_sha256: str = Field(max_length=64)  # indexed by its prefix (SHA_PREFIX)
    minhash: list[int] = signature_field()  # for near-duplicate search across batches
    status: str = Field(default="accepted", max_length=20)  # vocab.PromptStatus
    gradable: bool | None = None
    stable: bool | None = None
    contaminated: bool = Field(default=False)
    created_at: datetime = created_at_field(index=False)


class QuarantinedRecord(SQLModel, table=True):
    """A record the factory refused, kept whole with where it came from and why."""

    id: int | None = Field(default=None, primary_key=True)
    batch_id: str = Field(foreign_key="batch.id", index=True, max_length=200)
    stage: str = Field(default="intake", max_length=30)  # intake | execution | generation ...
    line_no: int | None = None
    external_id: str | None = Field(default=None, max_length=300)
    prompt_id: int | None = Field(default=None, foreign_key="prompt.id")
    reason_code: str = Field(max_length=60, index=True)  # e.g. malformed_json, missing_field
    reason: str = text_field()  # a sentence a person can act on
    raw_text: str = text_field()  # the bytes as received (decoded with replacement if needed)
    # True when raw_text or external_id had characters no database can hold (NUL, lone
    # surrogates, other controls) escaped as \x00 / \ud800 (factory.models.storable_text).
    raw_escaped: bool = escaped_flag_field()
    created_at: datetime = created_at_field()


class DuplicateRecord(SQLModel, table=True):
    """A record removed as an exact or near duplicate, with what it duplicates."""

    # A rerun looks records up by (batch, id) chunk after chunk; without this index each lookup
    # scans every duplicate of the batch.
    __table_args__ = (Index("ix_duplicaterecord_batch_external", "batch_id", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    batch_id: str = Field(foreign_key="batch.id", index=True, max_length=200)
    line_no: int
    external_id: str = Field(max_length=300)
    kind: str = Field(max_length=10)  # exact | near
    similarity: float  # 1.0 for exact; estimated Jaccard for near
    duplicate_of_prompt_id: int = Field(foreign_key="prompt.id", index=True)
    raw_text: str = text_field()
    created_at: datetime = created_at_field()


class ScrubEvent(SQLModel, table=True):
    """One leak removed from a prompt by the anti-cheating scrub."""

    id: int | None = Field(default=None, primary_key=True)
    prompt_id: int = Field(foreign_key="prompt.id", index=True)
    field_name: str = Field(max_length=40)  # prompt | tests | metadata
    kind: str = Field(max_length=40)  # commit_hash | pr_ref | issue_ref | repo_url | ...
    matched: str = text_field()
    replacement: str = Field(default="", max_length=100)


class ContaminationFlag(SQLModel, table=True):
    """A prompt that overlaps a public evaluation set; releases can exclude it."""

    id: int | None = Field(default=None, primary_key=True)
    prompt_id: int = Field(foreign_key="prompt.id", index=True)
    benchmark: str = Field(max_length=60)  # e.g. humaneval
    benchmark_item_id: str = Field(max_length=200)
    ngram_size: int
    overlap: float  # share of the prompt's n-grams found in the benchmark item


# SQLite makes a column the table's own rowid B-tree key only when declared exactly INTEGER
# (a 64-bit signed integer there too); PostgreSQL's BIGINT is the same range.
BAND_KEY = BigInteger().with_variant(Integer(), "sqlite")


class PromptBand(SQLModel, table=True):
    """An LSH band key of an accepted prompt's MinHash signature (factory.intake.dedup), held
    by the first prompt that has it; keys that later accepted prompts share go to
    SharedPromptBand.

    The near-duplicate index lives here, not in memory: a new prompt's band keys are looked up
    against every earlier batch. The key is the primary key, and on SQLite the table's rowid,
    so adding a key is one B-tree insert and finding it one lookup, however many there are.
    The banding scheme (permutations x bands x rows) is folded into each key; BatchBanding says
    which batches' prompts have keys of which scheme.
    """

    band_key: int = Field(
        sa_type=BAND_KEY, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    prompt_id: int = Field(foreign_key="prompt.id")


class SharedPromptBand(SQLModel, table=True):
    """A band key an accepted prompt shares with a prompt already in PromptBand (their
    signatures agree on a whole band, yet they were not near duplicates): rare."""

    id: int | None = Field(default=None, primary_key=True)
    band_key: int = Field(sa_type=BigInteger, index=True)
    prompt_id: int = Field(foreign_key="prompt.id", index=True)


class BatchBanding(SQLModel, table=True):
    """The prompts of `batch_id` have their band keys of `scheme` in the band tables."""

    batch_id: str = Field(foreign_key="batch.id", primary_key=True, max_length=200)
    scheme: str = Field(primary_key=True, max_length=30)
