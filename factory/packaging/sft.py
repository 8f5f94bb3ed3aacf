"""SFT rows: `messages` from reference solutions and from the best reviewed passing candidates."""

from collections.abc import Iterable
from typing import Any

from factory.packaging.dpo import completion_text
from factory.packaging.records import CandidateInfo, PromptInfo
from factory.vocab import Verdict


def reference_row(prompt: PromptInfo) -> dict[str, Any]:
    reference = CandidateInfo(0, "reference", "", prompt.reference_solution, Verdict.PASSED)
    return _row(f"reference-{prompt.prompt_id}", prompt, reference, "reference", None)


def candidate_row(prompt: PromptInfo, candidate: CandidateInfo) -> dict[str, Any]:
    return _row(
        f"candidate-{candidate.candidate_id}",
        prompt,
        candidate,
        "reviewed_candidate",
        candidate.candidate_id,
    )


def best_candidate(candidates: Iterable[CandidateInfo]) -> CandidateInfo | None:
    """The passing, reviewed candidate with the highest mean reviewer score (lowest id on ties)."""
    eligible = [c for c in candidates if c.verdict == Verdict.PASSED and c.scores]
    if not eligible:
        return None
    return max(eligible, key=lambda c: (sum(c.scores.values()) / len(c.scores), -c.candidate_id))


def _row(
    row_id: str, prompt: PromptInfo, candidate: CandidateInfo, source: str, candidate_id: int | None
) -> dict[str, Any]:
    return {
        "id": row_id,
        "messages": [
            {"role": "user", "content": prompt.prompt},
            {"role": "assistant", "content": completion_text(candidate, prompt.language)},
        ],
        "prompt_id": prompt.prompt_id,
        "candidate_id": candidate_id,
        "source": source,
        "model": candidate.model,
        "language": prompt.language,
        "task_type": prompt.task_type,
    }
