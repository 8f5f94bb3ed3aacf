"""Candidate solutions, the LLM request cache, and requests that finally failed."""

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from factory.models._base import created_at_field, json_field, text_field


class Candidate(SQLModel, table=True):
    """One solution to a prompt: generated, replayed from a file, or the reference solution."""

    __table_args__ = (UniqueConstraint("prompt_id", "source", "model", "sample_index"),)

    id: int | None = Field(default=None, primary_key=True)
    prompt_id: int = Field(foreign_key="prompt.id", index=True)
    batch_id: str = Field(foreign_key="batch.id", index=True, max_length=200)
    source: str = Field(max_length=20)  # vocab.CandidateSource
    model: str = Field(default="", max_length=200)  # hidden from reviewers
    sample_index: int = 0
    request_sha256: str | None = Field(default=None, max_length=64, index=True)
    raw_reply: str = text_field()
    code: str = text_field()
    code_sha256: str = Field(max_length=64, index=True)
    extraction: str = Field(default="none", max_length=20)  # fenced | multiple | none | replay
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    provenance: str = text_field()  # who/what produced it, for replayed candidates especially
    created_at: datetime = created_at_field()


class GenerationFailure(SQLModel, table=True):
    """A generation request that failed after its retries: never a silent empty candidate."""

    id: int | None = Field(default=None, primary_key=True)
    prompt_id: int = Field(foreign_key="prompt.id", index=True)
    batch_id: str = Field(foreign_key="batch.id", index=True, max_length=200)
    model: str = Field(max_length=200)
    sample_index: int = 0
    request_sha256: str = Field(max_length=64)
    attempts: int = 1
    error_type: str = Field(max_length=100)
    error: str = text_field()
    created_at: datetime = created_at_field()


class LLMCacheEntry(SQLModel, table=True):
    """A completed chat-completion keyed by the full request, so no rerun pays twice."""

    request_sha256: str = Field(primary_key=True, max_length=64)
    model: str = Field(max_length=200, index=True)
    request: dict[str, Any] = json_field()
    response: dict[str, Any] = json_field()
    prompt_tokens: int = 0
    completion_tokens: int = 0
    created_at: datetime = created_at_field()


class JudgeScore(SQLModel, table=True):
    """An LLM-as-judge pre-score on one dimension: a hint for reviewers, never a label."""

    __table_args__ = (UniqueConstraint("candidate_id", "judge_model", "dimension"),)

    id: int | None = Field(default=None, primary_key=True)
    candidate_id: int = Field(foreign_key="candidate.id", index=True)
    judge_model: str = Field(max_length=200)
    dimension: str = Field(max_length=20)
    score: int
    rationale: str = text_field()
    created_at: datetime = created_at_field()


def code_sha256(code: str) -> str:
    """The hash a candidate's code is stored, deduplicated and cached under."""
    return hashlib.sha256(code.encode()).hexdigest()
