"""Reading a batch's prompts, candidates and resolved pairs from the database as plain records.

Candidate scores are the mean reviewer score per dimension over the annotations that scored the
candidate (a flagged reviewer's annotations left out when configured); the verdict is the latest
sandbox run that was not the sandbox's own fault.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlmodel import Session, col

from factory.errors import FactoryUserError
from factory.models import (
    Adjudication,
    Annotation,
    Candidate,
    DimensionScore,
    ExecutionRun,
    Prompt,
    Reviewer,
    ReviewTask,
    Submission,
)
from factory.packaging.records import CandidateInfo, PairRecord, PromptInfo
from factory.packaging.rlvr import is_verifiable
from factory.packaging.safety import high_severity_findings
from factory.packaging.selection import SelectedPair
from factory.packaging.splits import PromptKey
from factory.vocab import CandidateSource, Verdict


@dataclass(slots=True)
class PromptSet:
    """The batches' prompts, and which of them a release may use for what."""

    prompts: dict[int, PromptInfo] = field(default_factory=dict)
    keys: dict[int, PromptKey] = field(default_factory=dict)
    verifiable: set[int] = field(default_factory=set)
    contaminated: set[int] = field(default_factory=set)
    references: dict[int, int] = field(default_factory=dict)  # prompt id -> reference candidate


def load_prompts(session: Session, batch_ids: list[str]) -> PromptSet:
    found = PromptSet()
    query = select(Prompt).where(col(Prompt.batch_id).in_(batch_ids)).order_by(col(Prompt.id))
    for prompt in session.scalars(query):
        assert prompt.id is not None
        found.prompts[prompt.id] = PromptInfo(
            prompt_id=prompt.id,
            external_id=prompt.external_id,
            batch_id=prompt.batch_id,
            language=prompt.language,
            task_type=prompt.task_type,
            prompt=prompt.prompt,
            tests=prompt.tests,
            entry_point=prompt.entry_point,
            test_style=prompt.test_style,
            reference_solution=prompt.reference_solution,
            licence=prompt.licence,
            source=prompt.source,
            subject_code=prompt.subject_code,
        )
        found.keys[prompt.id] = PromptKey(prompt.id, prompt.normalized_sha256, prompt.minhash)
        if is_verifiable(prompt.status, prompt.gradable, prompt.stable):
            found.verifiable.add(prompt.id)
        if prompt.contaminated:
            found.contaminated.add(prompt.id)
    references = select(col(Candidate.prompt_id), func.min(col(Candidate.id))).where(
        col(Candidate.batch_id).in_(batch_ids), col(Candidate.source) == CandidateSource.REFERENCE
    )
    found.references = dict(session.execute(references.group_by(col(Candidate.prompt_id))).all())
    return found


def simulated_review_counts(session: Session, batch_ids: list[str]) -> dict[str, int]:
    """batch id -> annotations, adjudications and submissions (work beyond pairs) made by
    simulated reviewers (omitted when 0): one policy, `packaging.allow_simulated`, for all."""
    counts: dict[str, int] = defaultdict(int)
    annotations = (
        select(col(ReviewTask.batch_id), func.count(col(Annotation.id)))
        .join(ReviewTask, col(ReviewTask.id) == Annotation.task_id)
        .join(Reviewer, col(Reviewer.id) == Annotation.reviewer_id)
        .where(
            col(ReviewTask.batch_id).in_(batch_ids),
            or_(col(Annotation.simulated).is_(True), col(Reviewer.simulated).is_(True)),
        )
        .group_by(col(ReviewTask.batch_id))
    )
    adjudications = (
        select(col(ReviewTask.batch_id), func.count(col(Adjudication.id)))
        .join(ReviewTask, col(ReviewTask.id) == Adjudication.task_id)
        .join(Reviewer, col(Reviewer.id) == Adjudication.reviewer_id)
        .where(col(ReviewTask.batch_id).in_(batch_ids), col(Reviewer.simulated).is_(True))
        .group_by(col(ReviewTask.batch_id))
    )
    submissions = (
        select(col(ReviewTask.batch_id), func.count(col(Submission.id)))
        .join(ReviewTask, col(ReviewTask.id) == Submission.task_id)
        .join(Reviewer, col(Reviewer.id) == Submission.reviewer_id)
        .where(
            col(ReviewTask.batch_id).in_(batch_ids),
            or_(col(Submission.simulated).is_(True), col(Reviewer.simulated).is_(True)),
        )
        .group_by(col(ReviewTask.batch_id))
    )
    for query in (annotations, adjudications, submissions):
        for batch_id, n in session.execute(query):
            counts[batch_id] += int(n)
    return dict(counts)


@dataclass(slots=True)
class CandidateSet:
    by_id: dict[int, CandidateInfo] = field(default_factory=dict)
    by_prompt: dict[int, list[CandidateInfo]] = field(default_factory=dict)


def load_candidates(
    session: Session, batch_ids: list[str], *, excluded_reviewers: set[int]
) -> CandidateSet:
    """Every non-reference candidate of the batches, with its verdict and reviewer scores."""
    rows = list(
        session.scalars(
            select(Candidate)
            .where(
                col(Candidate.batch_id).in_(batch_ids),
                col(Candidate.source) != CandidateSource.REFERENCE,
            )
            .order_by(col(Candidate.id))
        )
    )
    runs: dict[int, tuple[str, int, int]] = {}
    for candidate_id, verdict, passed, total in session.execute(
        select(
            col(ExecutionRun.candidate_id),
            col(ExecutionRun.verdict),
            col(ExecutionRun.tests_passed),
            col(ExecutionRun.tests_total),
        )
        .where(
            col(ExecutionRun.batch_id).in_(batch_ids),
            col(ExecutionRun.verdict) != Verdict.SANDBOX_ERROR,
        )
        .order_by(col(ExecutionRun.candidate_id), col(ExecutionRun.attempt), col(ExecutionRun.id))
    ):
        runs[candidate_id] = (verdict, passed, total)  # the latest run wins
    sums: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    reviews: dict[int, set[int]] = defaultdict(set)
    score_query = (
        select(
            col(DimensionScore.candidate_id),
            col(DimensionScore.dimension),
            col(DimensionScore.score),
            col(Annotation.id),
            col(Annotation.reviewer_id),
        )  # fmt: skip
        .join(Annotation, col(Annotation.id) == DimensionScore.annotation_id)
        .join(ReviewTask, col(ReviewTask.id) == Annotation.task_id)
        .where(col(ReviewTask.batch_id).in_(batch_ids))
    )
    for candidate_id, dimension, score, annotation_id, reviewer_id in session.execute(score_query):
        if reviewer_id in excluded_reviewers:
            continue
        sums[candidate_id][dimension].append(score)
        reviews[candidate_id].add(annotation_id)
    high = high_severity_findings(session, batch_ids=batch_ids)
    found = CandidateSet()
    for candidate in rows:
        assert candidate.id is not None
        verdict, passed, total = runs.get(candidate.id, ("", 0, 0))
        scores = {d: sum(v) / len(v) for d, v in sorted(sums[candidate.id].items())}
        info = CandidateInfo(
            candidate_id=candidate.id,
            source=candidate.source,
            model=candidate.model,
            code=candidate.code,
            verdict=verdict,
            tests_passed=passed,
            tests_total=total,
            scores=scores,
            n_reviews=len(reviews[candidate.id]),
            high_findings=tuple(high.get(candidate.id, ())),
        )
        found.by_id[candidate.id] = info
        found.by_prompt.setdefault(candidate.prompt_id, []).append(info)
    return found


def pair_record(selected: SelectedPair, prompts: PromptSet, candidates: CandidateSet) -> PairRecord:
    pair = selected.pair
    assert pair.id is not None
    prompt = prompts.prompts.get(pair.prompt_id)
    chosen = candidates.by_id.get(pair.chosen_candidate_id)
    rejected = candidates.by_id.get(pair.rejected_candidate_id)
    if prompt is None or chosen is None or rejected is None:
        raise FactoryUserError(
            f"preference pair {pair.id} (task {pair.task_id}) refers to a prompt or candidate "
            "outside the release's batches; package the batches together"
        )
    return PairRecord(
        pair_id=pair.id,
        task_id=pair.task_id,
        prompt=prompt,
        chosen=chosen,
        rejected=rejected,
        strength=selected.strength,
        label_source=pair.label_source,
        rationale=selected.rationale,
        n_reviews=selected.n_reviews,
        simulated=selected.simulated,
    )
