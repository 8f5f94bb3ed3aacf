"""What the user turn of a released conversation says for each kind of work: the task the
person was given, in words a model can be asked the same thing with.

Code is fenced as in the `dpo` config (```<language>); a longer fence is used when the code
itself holds a fence.
"""

from factory.packaging.submissions import ReviewNotes, SubmissionInfo
from factory.vocab import PREFERENCE_LABELS, WorkKind

DEFAULT_REFACTORING_GOAL = (
    "Improve this code for the next reader in small steps, each keeping its behaviour: the tests "
    "must pass after every step."
)


def conversation(user: str, assistant: str) -> list[dict[str, str]]:
    """TRL's conversational format: one user turn, one assistant turn."""
    return [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]


def fenced(code: str, language: str) -> str:
    fence = "````" if "```" in code else "```"
    return f"{fence}{language}\n{code.rstrip()}\n{fence}"


def review_request(prompt: str, code: str, language: str) -> str:
    return (
        f"Review this {language} code, written for the task below. Mark each problem by its "
        "lines (numbered from 1) with a category, a severity, a CWE for security findings, a "
        "comment and a suggested fix; say so when you find none.\n\n"
        f"Task:\n{prompt}\n\nCode:\n{fenced(code, language)}"
    )


def fix_request(prompt: str, code: str, language: str) -> str:
    return (
        f"This {language} code was written for the task below and has a bug. Find the root "
        "cause, say how you found it, fix it with the smallest change, and write a regression "
        "test that fails on the buggy code and passes on the fix.\n\n"
        f"Task:\n{prompt}\n\nCode:\n{fenced(code, language)}"
    )


def refactor_request(prompt: str, code: str, language: str, goal: str) -> str:
    return (
        f"{goal}\n\nThe code ({language}) was written for this task:\n{prompt}\n\n"
        f"Code:\n{fenced(code, language)}"
    )


def refactoring_goal(submission: SubmissionInfo) -> str:
    return str(submission.payload.get("goal") or DEFAULT_REFACTORING_GOAL)


def rank_request(prompt: str, candidates: list[tuple[int, str]], language: str) -> str:
    shown = "\n\n".join(f"Candidate {cid}:\n{fenced(code, language)}" for cid, code in candidates)
    return (
        "Rank these candidate solutions to the task below, best first, and score each on "
        "correctness, security, readability, efficiency and style (1-5).\n\n"
        f"Task:\n{prompt}\n\n{shown}"
    )


def compare_request(review: ReviewNotes) -> str:
    language = review.prompt.language
    return (
        "Which of these two candidate solutions to the task below is better, and by how much "
        "(-3 = A much better ... 0 = tie ... +3 = B much better)?\n\n"
        f"Task:\n{review.prompt.prompt}\n\n"
        f"Candidate A:\n{fenced(review.a.code, language)}\n\n"
        f"Candidate B:\n{fenced(review.b.code, language)}"
    )


def preference_answer(review: ReviewNotes) -> str:
    """A pairwise review's answer: its label and its rationale."""
    label = f"Preference: {PREFERENCE_LABELS[review.preference]} ({review.preference:+d})."
    rationale = review.rationale.strip()
    return f"{label}\n\n{rationale}" if rationale else label


def request(submission: SubmissionInfo, candidates: list[tuple[int, str]]) -> str:
    """The user turn for a submission of any kind (ranking: `candidates` in canonical order)."""
    prompt, language = submission.prompt.prompt, submission.prompt.language
    kind = submission.kind
    if kind == WorkKind.RANKING:
        return rank_request(prompt, candidates, language)
    if kind == WorkKind.CODE_REVIEW:
        return review_request(prompt, submission.code, language)
    if kind == WorkKind.BUG_FIX:
        return fix_request(prompt, submission.code, language)
    if kind == WorkKind.REFACTORING:
        return refactor_request(prompt, submission.code, language, refactoring_goal(submission))
    return prompt  # authoring and reasoning: the prompt itself
