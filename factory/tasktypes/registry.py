"""Every kind of work other than pairwise comparison, by its vocab.WorkKind value."""

from factory.tasktypes.authoring import AuthoringWork
from factory.tasktypes.base import WorkType
from factory.tasktypes.bug_fix import BugFixWork
from factory.tasktypes.code_review import CodeReviewWork
from factory.tasktypes.ranking import RankingWork
from factory.tasktypes.reasoning import ReasoningWork
from factory.tasktypes.refactoring import RefactoringWork
from factory.vocab import WorkKind

WORK_TYPES: dict[str, WorkType] = {
    plugin.kind: plugin
    for plugin in (
        RankingWork(),
        CodeReviewWork(),
        BugFixWork(),
        AuthoringWork(),
        RefactoringWork(),
        ReasoningWork(),
    )
}


def work_type(kind: str) -> WorkType:
    try:
        return WORK_TYPES[kind]
    except KeyError:
        known = sorted(WORK_TYPES)
        raise ValueError(f"no work plug-in for kind {kind!r}; known: {known}") from None


def pool_type(kind: str, task_type: str) -> str:
    """A task's pool type: pairwise work keeps the prompt's task type, the rest are their kind."""
    return task_type if kind == WorkKind.PAIRWISE else kind
