"""Simulated reviewers, clearly labelled, for demonstrations and load tests.

They claim and submit through the same queue as people, admitted into the pools of the batch's
tasks without gold answers (those memberships are marked simulated). Their judgements are
derived from the automatic evidence (test verdicts and findings per dimension) with seeded
noise, so they look plausible but carry no human judgement: every reviewer, annotation and
adjudication they make is flagged `simulated`, and packaging refuses such work unless
explicitly allowed. Disputed tasks
are decided by a simulated senior that follows the safety veto and never overrides it.
Work of other kinds (ranking, code review, bug fixes, ...) is answered by the simulated
annotators of factory.tasktypes.simulate, through the same queue, in the same run.
"""

import hashlib
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from factory.db import session_scope
from factory.models import Annotation, ExecutionRun, Finding, Reviewer, ReviewTask
from factory.packaging.safety import candidate_flaws, flaws_of
from factory.review.adjudication import adjudicate, adjudication_queue
from factory.review.completion import batch_progress
from factory.review.pools import PoolRules, admit_simulated
from factory.review.queue import claim_next, submit_review
from factory.sandbox import Sandbox
from factory.settings import ReviewSettings, SandboxSettings
from factory.vocab import DIMENSIONS, PREFERENCE_LABELS, Dimension, Role, Verdict, WorkKind

SIMULATED_PREFIX = "sim-"
SIMULATED_SENIOR = "sim-senior"
NOISE_PROBABILITY = 0.15
# How far below its evidence-based score a candidate's hidden quality sits, and how often. Every
# simulated reviewer sees the same hidden quality (as a panel of experts largely would), so their
# scores vary across candidates together; without it most clean candidates score 5 everywhere and
# the little noise left is all the variance agreement statistics see.
QUALITY_SHIFTS = ((0, 0.5), (1, 0.35), (2, 0.15))

CORRECTNESS_BY_VERDICT: dict[str | None, int] = {Verdict.PASSED: 5, Verdict.FAILED: 2}


@dataclass(slots=True)
class SimulationCounts:
    reviewers: int = 0
    annotations: int = 0
    adjudications: int = 0
    tasks: int = 0
    tasks_done: int = 0
    work_submissions: int = 0  # answers to work beyond pairs
    work_left_for_people: int = 0  # tasks of it nothing honest could answer
    work_refused: int = 0  # tasks whose simulated answer the submit path refused


@dataclass(frozen=True, slots=True)
class Evidence:
    """What a simulated reviewer looks at for one candidate."""

    candidate_id: int
    verdict: str | None
    findings: Counter[str]  # dimension -> number of issues


def ensure_simulated_reviewers(
    engine: Engine,
    count: int,
    languages: list[str],
    *,
    role: str = Role.REVIEWER,
    pools: list[tuple[str, str]] | None = None,
) -> list[Reviewer]:
    """`count` simulated reviewers (sim-01, sim-02, ...) covering `languages`, active in `pools`
    (language, task type), marked simulated; reuses existing."""
    names = [f"{SIMULATED_PREFIX}{i:02d}" for i in range(1, count + 1)]
    if role != Role.REVIEWER:
        names = [SIMULATED_SENIOR]
    with session_scope(engine, immediate=True) as session:
        query = select(Reviewer).where(col(Reviewer.username).in_(names))
        found = {r.username: r for r in session.scalars(query)}
        reviewers = []
        for name in names:
            reviewer = found.get(name)
            if reviewer is None:
                reviewer = Reviewer(
                    username=name,
                    display_name=f"Simulated {name.removeprefix(SIMULATED_PREFIX)}",
                    role=role,
                    simulated=True,
                )
                session.add(reviewer)
            if not reviewer.simulated:
                raise ValueError(f"reviewer {name!r} exists and is a real person; not reusing it")
            reviewer.languages = sorted(set(reviewer.languages) | set(languages))
            reviewers.append(reviewer)
        session.flush()
        for reviewer in reviewers:
            assert reviewer.id is not None  # flushed above
            admit_simulated(session, reviewer.id, pools or [])
        return reviewers


def load_evidence(session: Session, candidate_ids: list[int]) -> dict[int, Evidence]:
    verdicts: dict[int, str] = {}
    runs = session.execute(
        select(col(ExecutionRun.candidate_id), col(ExecutionRun.verdict))
        .where(col(ExecutionRun.candidate_id).in_(candidate_ids))
        .order_by(col(ExecutionRun.candidate_id), col(ExecutionRun.attempt), col(ExecutionRun.id))
    )
    for candidate_id, verdict in runs:
        if verdict != Verdict.SANDBOX_ERROR:
            verdicts[candidate_id] = verdict
    findings: dict[int, Counter[str]] = {c: Counter() for c in candidate_ids}
    rows = session.execute(
        select(col(Finding.candidate_id), col(Finding.dimension)).where(
            col(Finding.candidate_id).in_(candidate_ids), col(Finding.value).is_(None)
        )
    )
    for candidate_id, dimension in rows:
        findings[candidate_id][dimension] += 1
    return {c: Evidence(c, verdicts.get(c), findings[c]) for c in candidate_ids}


def _noisy(value: int, rng: random.Random | None, low: int, high: int) -> int:
    if rng is not None and rng.random() < NOISE_PROBABILITY:
        value += rng.choice((-1, 1))
    return max(low, min(high, value))


def hidden_quality_shift(candidate_id: int, dimension: str) -> int:
    """The same for every simulated reviewer: a stable draw per candidate and dimension."""
    digest = hashlib.sha256(f"{candidate_id}:{dimension}".encode()).digest()
    draw = int.from_bytes(digest[:8], "big") / 2**64
    for shift, share in QUALITY_SHIFTS:
        if draw < share:
            return shift
        draw -= share
    return QUALITY_SHIFTS[-1][0]


def simulated_scores(evidence: Evidence, rng: random.Random | None) -> dict[str, int]:
    """1-5 per dimension: tests decide correctness, each finding costs a point elsewhere, and a
    hidden quality shared by all simulated reviewers spreads candidates the evidence ties.
    Without `rng`, no noise."""
    scores = {}
    for dimension in DIMENSIONS:
        if dimension == Dimension.CORRECTNESS:
            base = CORRECTNESS_BY_VERDICT.get(evidence.verdict, 1 if evidence.verdict else 3)
            # Passing the tests is not the whole of correctness (edge cases the tests miss).
            base -= min(1, hidden_quality_shift(evidence.candidate_id, dimension.value))
        else:
            base = 5 - min(3, evidence.findings[dimension])
            base -= hidden_quality_shift(evidence.candidate_id, dimension.value)
        scores[dimension.value] = _noisy(max(1, base), rng, 1, 5)
    return scores


def simulated_preference(score_a: dict[str, int], score_b: dict[str, int], rng: random.Random):
    """Canonical preference from the score gap, correctness counting double."""
    return _noisy(round((_total(score_b) - _total(score_a)) / 2), rng, -3, 3)


def _total(scores: dict[str, int]) -> int:
    return sum(scores.values()) + scores[Dimension.CORRECTNESS]


def _rationale(preference: int, a: Evidence, b: Evidence) -> str:
    def describe(name: str, e: Evidence) -> str:
        issues = sum(e.findings.values())
        return f"{name} {e.verdict or 'not run'} with {issues} finding(s)"

    return f"[simulated] {PREFERENCE_LABELS[preference]}: {describe('A', a)}; {describe('B', b)}."


def simulate_reviews(
    engine: Engine,
    batch_id: str,
    *,
    reviewers: int = 3,
    seed: int = 0,
    settings: ReviewSettings | None = None,
    sandbox_settings: SandboxSettings | None = None,
    sandbox: Sandbox | None = None,
    report: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Complete every review task of a batch with simulated reviewers (and a simulated senior).

    Work beyond pairs is checked in `sandbox`, else in one opened with `sandbox_settings` when
    the first checked answer is submitted. Each task left for people and each refused answer
    is told to `report` (default: a warning in the log), with the reason.
    Returns counts of reviewers used, annotations and adjudications written, tasks done, and
    answers to work beyond pairs (submitted, tasks left for people, tasks refused).
    """
    # Imported here: the simulated annotators build on this module's evidence and scores.
    from factory.tasktypes.simulate import SimulatedWork

    settings = settings or ReviewSettings()
    rng = random.Random(seed)
    counts = SimulationCounts()
    with Session(engine) as session:
        tasks = list(
            session.scalars(select(ReviewTask).where(col(ReviewTask.batch_id) == batch_id))
        )
    counts.tasks = len(tasks)
    if not tasks:
        return asdict(counts)
    languages = sorted({t.language for t in tasks})
    pools = sorted({(t.language, t.task_type) for t in tasks})
    needed = max(reviewers, max(t.required_reviews for t in tasks))
    team = ensure_simulated_reviewers(engine, needed, languages, pools=pools)
    counts.reviewers = len(team)
    kinds = {t.id: t.kind for t in tasks}
    work = SimulatedWork(engine, sandbox_settings=sandbox_settings, sandbox=sandbox, report=report)
    with work:
        pending = list(team)
        while pending:
            still_working = []
            for reviewer in pending:
                assert reviewer.id is not None  # flushed by ensure_simulated_reviewers
                claim = claim_next(
                    engine,
                    reviewer.id,
                    lease_seconds=settings.lease_seconds,
                    batch_id=batch_id,
                    rng=rng,
                )
                if claim is None:
                    continue
                assert claim.id is not None  # claim_next returns a stored claim
                if kinds.get(claim.task_id, WorkKind.PAIRWISE) != WorkKind.PAIRWISE:
                    work.answer(claim.id, claim.task_id, reviewer.id, rng)
                else:
                    submit_simulated(engine, claim.id, claim.task_id, reviewer.id, rng, settings)
                    counts.annotations += 1
                still_working.append(reviewer)
            pending = still_working
    for name, value in work.outcomes.counts().items():
        setattr(counts, name, value)
    with Session(engine) as session:
        disputed = [t.id for t in adjudication_queue(session, batch_id=batch_id)]
    if disputed:
        senior = ensure_simulated_reviewers(engine, 1, languages, role=Role.SENIOR)[0]
        assert senior.id is not None  # flushed by ensure_simulated_reviewers
        for task_id in disputed:
            assert task_id is not None  # a row read from the database
            _adjudicate_simulated(engine, task_id, senior.id)
            counts.adjudications += 1
    with Session(engine) as session:
        counts.tasks_done = batch_progress(session, batch_id).done
    return asdict(counts)


def submit_simulated(
    engine: Engine,
    claim_id: int,
    task_id: int,
    reviewer_id: int,
    rng: random.Random,
    settings: ReviewSettings,
    pool_rules: PoolRules | None = None,
) -> None:
    """A simulated review of the claim's pair (an ordinary task or expert gold), with noise."""
    with Session(engine) as session:
        task = session.get(ReviewTask, task_id)
        assert task is not None
        a, b = task.pair
        evidence = load_evidence(session, [a, b])
    score_a = simulated_scores(evidence[a], rng)
    score_b = simulated_scores(evidence[b], rng)
    preference = simulated_preference(score_a, score_b, rng)
    submit_review(
        engine,
        claim_id,
        reviewer_id,
        preference=preference,
        scores={a: score_a, b: score_b},
        rationale=_rationale(preference, evidence[a], evidence[b]),
        disagreement_threshold=settings.disagreement_threshold,
        opposite_direction=settings.opposite_direction,
        pool_rules=pool_rules,
    )


def evidence_decision(engine: Engine, task_id: int) -> tuple[int, str]:
    """A senior's decision from the evidence alone, as the safety veto would take it: a
    candidate that passes clean beats one with a high-severity security finding or failing
    tests; else the evidence-based scores decide, without noise. (preference, why)."""
    with Session(engine) as session:
        task = session.get(ReviewTask, task_id)
        assert task is not None
        a, b = task.pair
        evidence = load_evidence(session, [a, b])
        flaws = candidate_flaws(session, candidate_ids=[a, b])
    clean = {c: flaws_of(flaws, c).clean for c in (a, b)}
    if clean[a] != clean[b]:
        decision = -2 if clean[a] else 2
        return (
            decision,
            f"only {'A' if clean[a] else 'B'} passes its tests without a high-severity finding",
        )
    scores = {c: simulated_scores(evidence[c], None) for c in (a, b)}  # without noise
    decision = max(-3, min(3, round((_total(scores[b]) - _total(scores[a])) / 2)))
    return decision, "decided on the evidence-based scores"


def _adjudicate_simulated(engine: Engine, task_id: int, senior_id: int) -> None:
    """The simulated senior decides from the evidence (`evidence_decision`); it never
    overrides the veto."""
    decision, why = evidence_decision(engine, task_id)
    with Session(engine) as session:
        preferences = list(
            session.scalars(
                select(col(Annotation.preference)).where(col(Annotation.task_id) == task_id)
            )
        )
    adjudicate(
        engine,
        task_id,
        senior_id,
        preference=decision,
        rationale=(
            f"[simulated] {PREFERENCE_LABELS[decision]}: {why} "
            f"(reviews: {', '.join(map(str, preferences))})"
        ),
    )
