"""The factory's fixed vocabulary: languages, task types, review dimensions, verdicts.

Values are stored as plain strings in the database (no database enum types), so adding a value
never needs a migration; these enums are the single place that lists what is valid.
"""

from collections.abc import Sequence
from enum import StrEnum


class Language(StrEnum):
    PYTHON = "python"
    JAVASCRIPT = "javascript"
    TYPESCRIPT = "typescript"
    JAVA = "java"
    GO = "go"
    RUST = "rust"
    CPP = "cpp"
    C = "c"
    CSHARP = "csharp"
    RUBY = "ruby"
    PHP = "php"
    KOTLIN = "kotlin"
    SWIFT = "swift"
    SQL = "sql"
    BASH = "bash"


class TaskType(StrEnum):
    """The seven kinds of code-RLHF work a prompt can feed."""

    CODE_GENERATION = "code_generation"
    PAIRWISE_PREFERENCE = "pairwise_preference"
    CODE_REVIEW = "code_review"
    BUG_FIX = "bug_fix"
    REFACTORING = "refactoring"
    REASONING = "reasoning"
    AGENT_TASK = "agent_task"


class WorkKind(StrEnum):
    """What a person does with a queued item: the shape of the work, its page and its data.

    A prompt's task type decides its default work (`DEFAULT_WORK`); an intake record may ask for
    other kinds with `work`. A pool is (language, pool type): pairwise work keeps its prompt's
    task type as pool type, every other kind is its own pool type.
    """

    PAIRWISE = "pairwise"  # compare two candidates (scores + a -3..3 preference)
    RANKING = "ranking"  # order three or more candidates, scoring each
    CODE_REVIEW = "code_review"  # mark line spans with category, severity, CWE, comment, fix
    BUG_FIX = "bug_fix"  # root cause, fix, regression test, how it was found
    AUTHORING = "authoring"  # write a reference solution (and tests where there are none)
    REFACTORING = "refactoring"  # a trajectory of behaviour-preserving steps
    REASONING = "reasoning"  # solve while thinking aloud: timestamped notes plus the answer


DEFAULT_WORK: dict[str, tuple[str, ...]] = {
    TaskType.CODE_GENERATION: (WorkKind.PAIRWISE,),
    TaskType.PAIRWISE_PREFERENCE: (WorkKind.PAIRWISE,),
    TaskType.CODE_REVIEW: (WorkKind.CODE_REVIEW,),
    TaskType.BUG_FIX: (WorkKind.BUG_FIX,),
    TaskType.REFACTORING: (WorkKind.REFACTORING,),
    TaskType.REASONING: (WorkKind.REASONING,),
    TaskType.AGENT_TASK: (WorkKind.PAIRWISE,),
}


def work_kinds(task_type: str, work: Sequence[str]) -> tuple[str, ...]:
    """The kinds of work a prompt asked for: its record's own list, else its type's default."""
    return tuple(work) or DEFAULT_WORK.get(task_type, (WorkKind.PAIRWISE,))


# Kinds whose work is on the prompt's candidates; the code kinds are too unless the record
# brought the code to work on.
_ON_CANDIDATES = {WorkKind.PAIRWISE, WorkKind.RANKING}
_ON_CODE = {WorkKind.CODE_REVIEW, WorkKind.BUG_FIX, WorkKind.REFACTORING}


def needs_candidates(task_type: str, work: Sequence[str], *, brings_code: bool) -> bool:
    """Whether a prompt's work needs generated candidates (authoring and reasoning do not, nor
    code work on code the record brought or on a repository task)."""
    kinds = set(work_kinds(task_type, work))
    return bool(kinds & _ON_CANDIDATES) or (bool(kinds & _ON_CODE) and not brings_code)


class Dimension(StrEnum):
    """The five review dimensions, each scored 1-5 on both candidates."""

    CORRECTNESS = "correctness"
    SECURITY = "security"
    READABILITY = "readability"
    EFFICIENCY = "efficiency"
    STYLE = "style"


DIMENSIONS: tuple[Dimension, ...] = tuple(Dimension)
SCORE_MIN, SCORE_MAX = 1, 5

# Preference between a task's candidate A and candidate B, always in the task's canonical order
# (whatever order the reviewer saw): -3 = A much better ... 0 = tie ... +3 = B much better.
PREFERENCE_MIN, PREFERENCE_MAX = -3, 3
PREFERENCE_LABELS: dict[int, str] = {
    -3: "A much better",
    -2: "A better",
    -1: "A slightly better",
    0: "Tie",
    1: "B slightly better",
    2: "B better",
    3: "B much better",
}


class Verdict(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    TIMEOUT = "timeout"
    OUT_OF_MEMORY = "out_of_memory"
    KILLED = "killed"
    # The candidate did not compile (or its compiler ran out of time): no test ran.
    COMPILE_ERROR = "compile_error"
    # The factory's fault, never the candidate's: retried and never counted against it.
    SANDBOX_ERROR = "sandbox_error"


class CandidateSource(StrEnum):
    GENERATED = "generated"  # from an LLM through the OpenAI-compatible client
    REPLAY = "replay"  # from a JSONL file produced elsewhere
    REFERENCE = "reference"  # the prompt's own reference solution


class Role(StrEnum):
    REVIEWER = "reviewer"
    SENIOR = "senior"
    ADMIN = "admin"


class TaskStatus(StrEnum):
    OPEN = "open"  # still needs reviews
    COMPLETE = "complete"  # has its k reviews and they agree well enough
    ADJUDICATION = "adjudication"  # reviews disagree beyond the threshold; waits for a senior
    ADJUDICATED = "adjudicated"  # a senior has decided


class ClaimStatus(StrEnum):
    ACTIVE = "active"
    SUBMITTED = "submitted"
    SKIPPED = "skipped"
    EXPIRED = "expired"


class PromptStatus(StrEnum):
    ACCEPTED = "accepted"
    NOT_GRADABLE = "not_gradable"  # the reference solution fails its own tests
    FLAKY = "flaky"  # a verdict changed between two identical runs


class ReleaseStatus(StrEnum):
    PACKAGED = "packaged"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    FAILED = "failed"
