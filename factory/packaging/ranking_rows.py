"""Rankings as training rows: every implied pair (TRL DPO's prompt/chosen/rejected) and one
listwise row per ranked task.

Several people may rank one task. Their rankings are aggregated by mean rank (for full rankings
without ties, the Borda count's order): a candidate is chosen over another only when its mean
rank is strictly better, so n candidates give n*(n-1)/2 pairs less one per tied pair. `margin`
is the difference of the two mean ranks. The safety veto (`safety.py`) applies to implied pairs
as to pairwise ones: a flawed candidate is never chosen over one without that flaw.
"""

from collections import Counter
from dataclasses import dataclass
from typing import Any

from factory.errors import FactoryUserError
from factory.packaging.dpo import completion_text
from factory.packaging.loading import CandidateSet
from factory.packaging.records import CandidateInfo, PromptInfo
from factory.packaging.safety import Flaws, veto_reason
from factory.packaging.submissions import SubmissionInfo
from factory.vocab import DIMENSIONS

PAIRS, LISTWISE = "ranking_pairs", "ranking_listwise"


@dataclass(frozen=True, slots=True)
class RankedCandidate:
    candidate: CandidateInfo
    mean_rank: float
    scores: dict[str, float]  # mean 1-5 per dimension over the rankers


@dataclass(frozen=True, slots=True)
class Aggregate:
    task_id: int
    prompt: PromptInfo
    order: tuple[RankedCandidate, ...]  # best first: mean rank, then candidate id
    submissions: tuple[SubmissionInfo, ...]

    @property
    def submission_ids(self) -> list[int]:
        return [s.submission_id for s in self.submissions]

    @property
    def simulated(self) -> bool:
        return any(s.simulated for s in self.submissions)

    @property
    def rationale(self) -> str:
        texts = (str(s.payload.get("rationale", "")).strip() for s in self.submissions)
        return "\n\n".join(text for text in texts if text)

    @property
    def strict(self) -> bool:
        ranks = [c.mean_rank for c in self.order]
        return len(set(ranks)) == len(ranks)


def aggregate(
    task_id: int,
    submissions: list[SubmissionInfo],
    candidate_ids: tuple[int, ...],
    candidates: CandidateSet,
) -> Aggregate:
    """The task's rankings combined; each must rank exactly the task's candidates."""
    ids = list(candidate_ids) or sorted(int(c) for c in submissions[0].payload["ranks"])
    ranked: list[RankedCandidate] = []
    for submission in submissions:
        given = sorted(int(c) for c in submission.payload.get("ranks", {}))
        if given != sorted(ids):
            raise FactoryUserError(
                f"ranking submission {submission.submission_id} (task {task_id}) ranks "
                f"candidates {given}, but the task shows {sorted(ids)}"
            )
    for candidate_id in ids:
        candidate = candidates.by_id.get(candidate_id)
        if candidate is None:
            raise FactoryUserError(
                f"ranking task {task_id} shows candidate {candidate_id}, which is not a "
                "candidate of the release's batches; package the batches together"
            )
        key = str(candidate_id)
        ranks = [s.payload["ranks"][key] for s in submissions]
        scores: dict[str, float] = {}
        for dimension in DIMENSIONS:
            given = [
                s.payload.get("scores", {}).get(key, {}).get(dimension.value) for s in submissions
            ]
            values = [v for v in given if v is not None]
            if values:
                scores[dimension.value] = sum(values) / len(values)
        ranked.append(RankedCandidate(candidate, sum(ranks) / len(ranks), scores))
    ranked.sort(key=lambda c: (c.mean_rank, c.candidate.candidate_id))
    return Aggregate(task_id, submissions[0].prompt, tuple(ranked), tuple(submissions))


def pair_key(task_id: int, chosen: int, rejected: int) -> str:
    return f"ranking-{task_id}-{chosen}-{rejected}"


def pair_rows(agg: Aggregate, vetoes: Counter[str]) -> list[tuple[dict[str, Any], int]]:
    """(row, chosen candidate id) for each strictly ordered pair the safety veto lets through;
    refused pairs are counted in `vetoes` by reason."""
    rows = []
    for i, better in enumerate(agg.order):
        for worse in agg.order[i + 1 :]:
            if better.mean_rank >= worse.mean_rank:
                continue  # tied in aggregate: no preference to teach
            reason = veto_reason(_flaws(better.candidate), _flaws(worse.candidate))
            if reason is not None:
                vetoes[reason] += 1
                continue
            rows.append((_pair_row(agg, better, worse), better.candidate.candidate_id))
    return rows


def _flaws(candidate: CandidateInfo) -> Flaws:
    return Flaws(candidate.verdict, candidate.high_findings)


def _pair_row(agg: Aggregate, chosen: RankedCandidate, rejected: RankedCandidate) -> dict:
    language = agg.prompt.language
    c, r = chosen.candidate, rejected.candidate
    row: dict[str, Any] = {
        "id": pair_key(agg.task_id, c.candidate_id, r.candidate_id),
        "prompt": agg.prompt.prompt,
        "chosen": completion_text(c, language),
        "rejected": completion_text(r, language),
        "prompt_id": agg.prompt.prompt_id,
        "task_id": agg.task_id,
        "chosen_candidate_id": c.candidate_id,
        "rejected_candidate_id": r.candidate_id,
        "submission_ids": agg.submission_ids,
        "language": language,
        "task_type": agg.prompt.task_type,
        "margin": rejected.mean_rank - chosen.mean_rank,
        "chosen_rank": chosen.mean_rank,
        "rejected_rank": rejected.mean_rank,
        "n_rankers": len(agg.submissions),
        "rationale": agg.rationale,
        "simulated_labels": agg.simulated,
        "chosen_model": c.model,
        "rejected_model": r.model,
        "chosen_origin": c.origin,
        "rejected_origin": r.origin,
        "chosen_verdict": c.verdict,
        "rejected_verdict": r.verdict,
    }
    for dimension in DIMENSIONS:
        row[f"chosen_{dimension.value}"] = chosen.scores.get(dimension.value)
        row[f"rejected_{dimension.value}"] = rejected.scores.get(dimension.value)
    return row


def listwise_key(task_id: int) -> str:
    return f"ranking-{task_id}"


def listwise_row(agg: Aggregate) -> dict[str, Any]:
    language = agg.prompt.language
    return {
        "id": listwise_key(agg.task_id),
        "prompt": agg.prompt.prompt,
        "completions": [completion_text(c.candidate, language) for c in agg.order],
        "candidate_ids": [c.candidate.candidate_id for c in agg.order],
        "ranks": [c.mean_rank for c in agg.order],
        "scores": [{d.value: c.scores.get(d.value) for d in DIMENSIONS} for c in agg.order],
        "models": [c.candidate.model for c in agg.order],
        "verdicts": [c.candidate.verdict for c in agg.order],
        "strict": agg.strict,
        "n_rankers": len(agg.submissions),
        "rationale": agg.rationale,
        "prompt_id": agg.prompt.prompt_id,
        "task_id": agg.task_id,
        "submission_ids": agg.submission_ids,
        "language": language,
        "task_type": agg.prompt.task_type,
        "simulated_labels": agg.simulated,
    }
