"""The factory's system of record: one table per concept, every row traceable to its sources.

Importing this package registers every table on `SQLModel.metadata`.
"""

from factory.models._base import stored_id
from factory.models.execution import ExecutionRun, Finding, TestResult
from factory.models.generation import Candidate, GenerationFailure, JudgeScore, LLMCacheEntry
from factory.models.intake import (
    Batch,
    ContaminationFlag,
    DuplicateRecord,
    Prompt,
    QuarantinedRecord,
    ScrubEvent,
)
from factory.models.release import PreferencePair, Release, ReleaseItem
from factory.models.review import (
    Adjudication,
    Annotation,
    DimensionScore,
    Reviewer,
    ReviewTask,
    TaskClaim,
)

__all__ = [
    "stored_id",
    "Adjudication",
    "Annotation",
    "Batch",
    "Candidate",
    "ContaminationFlag",
    "DimensionScore",
    "DuplicateRecord",
    "ExecutionRun",
    "Finding",
    "GenerationFailure",
    "JudgeScore",
    "LLMCacheEntry",
    "PreferencePair",
    "Prompt",
    "QuarantinedRecord",
    "Release",
    "ReleaseItem",
    "Reviewer",
    "ReviewTask",
    "ScrubEvent",
    "TaskClaim",
    "TestResult",
]
