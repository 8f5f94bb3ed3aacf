"""SFT rows: `messages` from reference solutions and from the best reviewed passing candidates.

Neither may carry a high-severity security finding (the safety veto, `safety.py`), unless a
senior's adjudication overrode the veto for that candidate.
"""

from collections.abc import Iterable
from typing import Any

from factory.packaging.dpo import completion_text
from factory.packaging.records import CandidateInfo, PromptInfo
from factory.vocab import CandidateSource, Verdict


def reference_row(prompt: PromptInfo) -> dict[str, Any]:
    reference = CandidateInfo(
        0, CandidateSource.REFERENCE, "", prompt.reference_solution, Verdict.PASSED
    )
    return _row(f"reference-{prompt.prompt_id}", prompt, reference, "reference", None)


def candidate_row(prompt: PromptInfo, candidate: CandidateInfo) -> dict[str, Any]:
    return _row(
        f"candidate-{candidate.candidate_id}",
        prompt,
        candidate,
        "reviewed_candidate",
        candidate.candidate_id,
    )


def best_candidate(
    candidates: Iterable[CandidateInfo], *, overridden: set[int] | None = None
) -> tuple[CandidateInfo | None, bool]:
    """The SFT answer among reviewed candidates, and whether the safety veto refused a better one.

    The answer is the passing, reviewed candidate with the highest mean reviewer score (lowest id
    on ties) that has no high-severity security finding. A candidate a senior chose with an
    explicit veto override (`overridden`) is eligible whatever its flaws.
    """
    overridden = overridden or set()
    eligible = [
        c
        for c in candidates
        if c.scores and (c.verdict == Verdict.PASSED or c.candidate_id in overridden)
    ]
    eligible.sort(key=lambda c: (-sum(c.scores.values()) / len(c.scores), c.candidate_id))
    refused = False
    for candidate in eligible:
        if candidate.high_findings and candidate.candidate_id not in overridden:
            refused = True
            continue
        return candidate, refused
    return None, refused


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
        "origin": candidate.origin,
        "language": prompt.language,
        "task_type": prompt.task_type,
    }
