"""Reward-model rows: each reviewed candidate with its mean per-dimension reviewer scores."""

from typing import Any

from factory.packaging.dpo import completion_text
from factory.packaging.records import CandidateInfo, PromptInfo
from factory.vocab import DIMENSIONS


def reward_row(prompt: PromptInfo, candidate: CandidateInfo) -> dict[str, Any]:
    scores = [candidate.scores[d] for d in DIMENSIONS if d in candidate.scores]
    row: dict[str, Any] = {
        "id": f"candidate-{candidate.candidate_id}",
        "prompt": prompt.prompt,
        "completion": completion_text(candidate, prompt.language),
        "prompt_id": prompt.prompt_id,
        "candidate_id": candidate.candidate_id,
        "model": candidate.model,
        "origin": candidate.origin,
        "language": prompt.language,
        "task_type": prompt.task_type,
        "verdict": candidate.verdict,
        "n_reviews": candidate.n_reviews,
        "score": sum(scores) / len(scores) if scores else None,
    }
    for dimension in DIMENSIONS:
        row[dimension] = candidate.scores.get(dimension)
    return row
