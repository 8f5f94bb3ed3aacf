"""The `reasoning` config: the notes a person wrote while working a claim, in order, then the
answer they submitted, for chain-of-thought training.

The assistant turn is the notes inside a think block, then the answer:

    <think>
    first note

    second note
    </think>

    answer

The answer is the kind's own (`WorkType.answer_text`): code for reasoning and authoring
(fenced as ```<language>), the order and rationale for a ranking, the marked spans for a code
review, the cause, search, fix and test for a bug fix, the steps for a refactoring; for a
pairwise review, its preference label and rationale. Only claims with notes give rows.
"""

from typing import Any

from factory.packaging.submissions import NoteInfo, ReviewNotes, SubmissionInfo
from factory.packaging.work_text import (
    compare_request,
    conversation,
    fenced,
    preference_answer,
    request,
)
from factory.tasktypes.registry import work_type
from factory.vocab import WorkKind

REASONING = "reasoning"
CODE_ANSWERS = {WorkKind.REASONING, WorkKind.AUTHORING}  # answers that are code alone


def think(notes: tuple[NoteInfo, ...], answer: str) -> str:
    return f"<think>\n{_reasoning(notes)}\n</think>\n\n{answer}"


def _reasoning(notes: tuple[NoteInfo, ...]) -> str:
    return "\n\n".join(note.text.strip() for note in notes)


def _notes(notes: tuple[NoteInfo, ...]) -> list[dict[str, Any]]:
    return [{"seconds_in": note.seconds_in, "text": note.text} for note in notes]


def answer_of(submission: SubmissionInfo) -> str:
    text = work_type(submission.kind).answer_text(submission.payload)
    if submission.kind in CODE_ANSWERS:
        return fenced(text, submission.prompt.language)
    return text


def submission_row(submission: SubmissionInfo, candidates: list[tuple[int, str]]) -> dict[str, Any]:
    """A submission's reasoning row (ranking: `candidates` as the task showed them)."""
    user = request(submission, candidates)
    answer = answer_of(submission)
    prompt = submission.prompt
    return {
        "id": f"submission-{submission.submission_id}",
        "messages": conversation(user, think(submission.notes, answer)),
        "request": user,
        "notes": _notes(submission.notes),
        "reasoning": _reasoning(submission.notes),
        "answer": answer,
        "kind": submission.kind,
        "approach": str(submission.payload.get("approach", "")),
        "prompt_id": prompt.prompt_id,
        "task_id": submission.task_id,
        "submission_id": submission.submission_id,
        "annotation_id": None,
        "candidate_id": submission.candidate_id,
        "seconds_spent": submission.seconds_spent,
        "language": prompt.language,
        "task_type": prompt.task_type,
        "rubric_version": submission.rubric_version,
        "simulated_labels": submission.simulated,
    }


def review_row(review: ReviewNotes) -> dict[str, Any]:
    """A pairwise review's reasoning row: the notes, then the preference and rationale."""
    user = compare_request(review)
    answer = preference_answer(review)
    return {
        "id": f"annotation-{review.annotation_id}",
        "messages": conversation(user, think(review.notes, answer)),
        "request": user,
        "notes": _notes(review.notes),
        "reasoning": _reasoning(review.notes),
        "answer": answer,
        "kind": WorkKind.PAIRWISE.value,
        "approach": "",
        "prompt_id": review.prompt.prompt_id,
        "task_id": review.task_id,
        "submission_id": None,
        "annotation_id": review.annotation_id,
        "candidate_id": None,
        "seconds_spent": review.seconds_spent,
        "language": review.prompt.language,
        "task_type": review.prompt.task_type,
        "rubric_version": "",
        "simulated_labels": review.simulated,
    }
