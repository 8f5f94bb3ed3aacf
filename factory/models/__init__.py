"""The factory's system of record: one table per concept, every row traceable to its sources.

Importing this package registers every table on `SQLModel.metadata`.
"""

from factory.models._base import stored_id
from factory.models.envs import EnvRecipe, EnvRun, PatchGrading, RepoSnapshot, RepoTask
from factory.models.execution import ExecutionRun, Finding, TestResult
from factory.models.generation import Candidate, GenerationFailure, JudgeScore, LLMCacheEntry
from factory.models.intake import (
    Batch,
    BatchBanding,
    ContaminationFlag,
    DuplicateRecord,
    Prompt,
    PromptBand,
    QuarantinedRecord,
    ScrubEvent,
    SharedPromptBand,
)
from factory.models.release import PreferencePair, Release, ReleaseItem
from factory.models.review import (
    Adjudication,
    Annotation,
    DimensionScore,
    GoldAnswer,
    GoldItem,
    PoolEvent,
    PoolMembership,
    Reviewer,
    ReviewTask,
    TaskClaim,
)
from factory.models.sessions import ReviewerSession
from factory.models.signoff import BatchSignOff
from factory.models.work import (
    RankEntry,
    ReasoningNote,
    RefactorStep,
    ReviewSpan,
    Submission,
    TaskCandidate,
)

__all__ = [
    "stored_id",
    "Adjudication",
    "Annotation",
    "Batch",
    "BatchSignOff",
    "Candidate",
    "ContaminationFlag",
    "EnvRecipe",
    "EnvRun",
    "DimensionScore",
    "DuplicateRecord",
    "ExecutionRun",
    "Finding",
    "GenerationFailure",
    "GoldAnswer",
    "GoldItem",
    "JudgeScore",
    "LLMCacheEntry",
    "PatchGrading",
    "PoolEvent",
    "PoolMembership",
    "PreferencePair",
    "Prompt",
    "PromptBand",
    "SharedPromptBand",
    "BatchBanding",
    "QuarantinedRecord",
    "Release",
    "ReleaseItem",
    "RepoSnapshot",
    "RepoTask",
    "Reviewer",
    "ReviewerSession",
    "ReviewTask",
    "ScrubEvent",
    "TaskClaim",
    "TestResult",
    "RankEntry",
    "ReasoningNote",
    "RefactorStep",
    "ReviewSpan",
    "Submission",
    "TaskCandidate",
]
