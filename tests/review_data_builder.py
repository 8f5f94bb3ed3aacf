"""Builds review data directly in the database for agreement and packaging tests.

Importable from any test module (pytest puts `tests/` on sys.path for its conftest).
"""

import hashlib
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from factory.models import (
    Adjudication,
    Annotation,
    Batch,
    Candidate,
    ContaminationFlag,
    DimensionScore,
    ExecutionRun,
    Finding,
    Prompt,
    Reviewer,
    ReviewTask,
    TaskClaim,
)
from factory.vocab import DIMENSIONS


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def add_batch(session: Session, batch_id: str = "batch-1", **counts: int) -> Batch:
    batch = Batch(
        id=batch_id,
        source_path=f"/inbox/{batch_id}.jsonl",
        content_sha256=sha(batch_id),
        format="factory",
        **counts,
    )
    session.add(batch)
    session.flush()
    return batch


def add_prompt(
    session: Session,
    batch_id: str,
    external_id: str,
    *,
    language: str = "python",
    task_type: str = "code_generation",
    text: str | None = None,
    status: str = "accepted",
    gradable: bool | None = True,
    stable: bool | None = True,
    contaminated: bool = False,
    minhash: list[int] | None = None,
    line_no: int = 1,
) -> Prompt:
    body = text or f"Write a function solve_{external_id} that returns its argument doubled."
    prompt = Prompt(
        batch_id=batch_id,
        external_id=external_id,
        line_no=line_no,
        language=language,
        task_type=task_type,
        prompt=body,
        tests="def check(candidate):\n    assert candidate(2) == 4\n",
        entry_point=f"solve_{external_id}",
        test_style="check",
        reference_solution=f"def solve_{external_id}(x):\n    return 2 * x\n",
        licence="MIT",
        normalized_sha256=sha(body),
        minhash=minhash or [],
        status=status,
        gradable=gradable,
        stable=stable,
        contaminated=contaminated,
    )
    session.add(prompt)
    session.flush()
    if contaminated:
        session.add(
            ContaminationFlag(
                prompt_id=prompt.id,
                benchmark="humaneval",
                benchmark_item_id="HumanEval/0",
                ngram_size=13,
                overlap=0.9,
            )
        )
    return prompt


def add_candidate(
    session: Session,
    prompt: Prompt,
    *,
    model: str = "model-a",
    sample_index: int = 0,
    code: str | None = None,
    verdict: str = "passed",
    source: str = "generated",
    cost_usd: float = 0.001,
    cwe_id: int | None = None,
) -> Candidate:
    code = code or f"def {prompt.entry_point}(x):\n    return x * 2  # {model} {sample_index}\n"
    candidate = Candidate(
        prompt_id=prompt.id,
        batch_id=prompt.batch_id,
        source=source,
        model=model if source != "reference" else "",
        sample_index=sample_index,
        code=code,
        code_sha256=sha(code),
        prompt_tokens=100,
        completion_tokens=50,
        cost_usd=cost_usd,
    )
    session.add(candidate)
    session.flush()
    session.add(
        ExecutionRun(
            candidate_id=candidate.id,
            prompt_id=prompt.id,
            batch_id=prompt.batch_id,
            cache_key=sha(f"{candidate.id}"),
            backend="unsafe-local",
            verdict=verdict,
            tests_total=1,
            tests_passed=1 if verdict == "passed" else 0,
        )
    )
    if cwe_id is not None:
        session.add(
            Finding(
                candidate_id=candidate.id,
                tool="bandit",
                dimension="security",
                rule_id="B602",
                severity="HIGH",
                cwe_id=cwe_id,
                message="subprocess call with shell=True",
            )
        )
    session.flush()
    return candidate


def add_reviewer(session: Session, username: str, *, simulated: bool = False) -> Reviewer:
    reviewer = Reviewer(username=username, languages=["python"], simulated=simulated)
    session.add(reviewer)
    session.flush()
    return reviewer


def add_task(
    session: Session,
    prompt: Prompt,
    a: Candidate,
    b: Candidate,
    *,
    required_reviews: int = 1,
    status: str = "complete",
    is_gold: bool = False,
    gold_preference: int | None = None,
) -> ReviewTask:
    task = ReviewTask(
        batch_id=prompt.batch_id,
        prompt_id=prompt.id,
        candidate_a_id=a.id,
        candidate_b_id=b.id,
        language=prompt.language,
        task_type=prompt.task_type,
        required_reviews=required_reviews,
        is_gold=is_gold,
        gold_preference=gold_preference,
        status=status,
    )
    session.add(task)
    session.flush()
    return task


def add_annotation(
    session: Session,
    task: ReviewTask,
    reviewer: Reviewer,
    preference: int,
    *,
    scores: dict[str, tuple[int, int]] | tuple[int, int] | None = None,
    rationale: str = "",
    simulated: bool = False,
) -> Annotation:
    """One submitted review; `scores` maps dimension -> (score of A, score of B), or one pair
    for every dimension."""
    now = datetime.now(UTC)
    claim = TaskClaim(
        task_id=task.id, reviewer_id=reviewer.id, status="submitted", expires_at=now + timedelta(1)
    )
    session.add(claim)
    session.flush()
    annotation = Annotation(
        task_id=task.id,
        claim_id=claim.id,
        reviewer_id=reviewer.id,
        preference=preference,
        rationale=rationale or f"reviewer {reviewer.username} prefers {preference}",
        simulated=simulated,
    )
    session.add(annotation)
    session.flush()
    if scores is not None:
        per_dimension = scores if isinstance(scores, dict) else dict.fromkeys(DIMENSIONS, scores)
        for dimension, (score_a, score_b) in per_dimension.items():
            session.add(
                DimensionScore(
                    annotation_id=annotation.id,
                    candidate_id=task.candidate_a_id,
                    dimension=dimension,
                    score=score_a,
                )
            )
            session.add(
                DimensionScore(
                    annotation_id=annotation.id,
                    candidate_id=task.candidate_b_id,
                    dimension=dimension,
                    score=score_b,
                )
            )
    task.review_count += 1
    session.flush()
    return annotation


def add_adjudication(
    session: Session, task: ReviewTask, senior: Reviewer, preference: int
) -> Adjudication:
    adjudication = Adjudication(
        task_id=task.id, reviewer_id=senior.id, preference=preference, rationale="senior decision"
    )
    task.status = "adjudicated"
    session.add(adjudication)
    session.flush()
    return adjudication
