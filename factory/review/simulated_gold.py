"""Expert gold in a demonstration: the simulated senior authors it, a simulated newcomer
qualifies on it.

After a batch is reviewed and its disputes settled, the simulated senior makes gold of the
batch's settled hard pairs (both candidates pass), answering from the evidence as it adjudicates
(`evidence_decision`). A simulated newcomer then joins the batch's pools as qualifying and takes
the qualification set through the ordinary queue, exactly as a new person would: it is served
only gold, with its usual seeded noise, until the pool admits or refuses it. Everything is
marked simulated (authors and answerers are simulated reviewers).
"""

import random
from collections import Counter
from dataclasses import asdict, dataclass

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from factory.db import session_scope
from factory.models import Reviewer, ReviewTask
from factory.review.gold import author_gold, proposed_hard_pairs
from factory.review.pools import PoolRules, PoolStatus, enrol, memberships_of
from factory.review.queue import claim_next
from factory.review.simulate import (
    SIMULATED_PREFIX,
    ensure_simulated_reviewers,
    evidence_decision,
    submit_simulated,
)
from factory.settings import ReviewSettings
from factory.vocab import PREFERENCE_LABELS, Role

NEWCOMER = f"{SIMULATED_PREFIX}newcomer"


@dataclass(slots=True)
class GoldCounts:
    gold_authored: int = 0
    qualification_answers: int = 0
    newcomer_status: str = ""


def simulate_expert_gold(
    engine: Engine,
    batch_id: str,
    *,
    items: int | None = None,
    seed: int = 0,
    settings: ReviewSettings | None = None,
) -> dict[str, int | str]:
    """Author up to `items` (default: the qualification set's size) gold items per pool from the
    batch's settled hard pairs, then qualify a simulated newcomer on them in every pool that got
    a full set. Reruns add nothing twice."""
    settings = settings or ReviewSettings()
    items = settings.qualification_items if items is None else items
    counts = GoldCounts()
    with Session(engine) as session:
        languages = sorted(
            set(
                session.scalars(
                    select(col(ReviewTask.language)).where(col(ReviewTask.batch_id) == batch_id)
                )
            )
        )
    if not languages:
        return asdict(counts)
    senior = ensure_simulated_reviewers(engine, 1, languages, role=Role.SENIOR)[0]
    assert senior.id is not None  # flushed by ensure_simulated_reviewers
    with Session(engine) as session:
        pairs = [
            p
            for p in proposed_hard_pairs(session, senior.id, limit=10_000)
            if p.batch_id == batch_id
        ]
    # Each pool (language, task type) qualifies on its own gold, so each gets its own set.
    per_pool: Counter[tuple[str, str]] = Counter()
    for pair in pairs:
        pool = (pair.language, pair.task_type)
        if per_pool[pool] >= items:
            continue
        decision, why = evidence_decision(engine, pair.task_id)
        if decision == 0:
            continue  # gold must prefer one candidate
        author_gold(
            engine,
            pair.task_id,
            senior.id,
            preference=decision,
            reason=f"[simulated] {PREFERENCE_LABELS[decision]}: {why}",
        )
        counts.gold_authored += 1
        per_pool[pool] += 1
    # A pool with fewer gold items than one qualification attempt takes could not admit anyone.
    pools = sorted(pool for pool, count in per_pool.items() if count >= items)
    newcomer_id = _newcomer(engine, languages, pools)
    counts.qualification_answers = _qualify(engine, newcomer_id, seed, settings)
    with Session(engine) as session:
        statuses = {m.status for m in memberships_of(session, newcomer_id)}
    counts.newcomer_status = ",".join(sorted(statuses))
    return asdict(counts)


def _newcomer(engine: Engine, languages: list[str], pools: list[tuple[str, str]]) -> int:
    """The simulated newcomer, enrolled as qualifying in `pools` (pools it is in stay as they
    are)."""
    with session_scope(engine, immediate=True) as session:
        reviewer = session.scalars(
            select(Reviewer).where(col(Reviewer.username) == NEWCOMER)
        ).first()
        if reviewer is None:
            reviewer = Reviewer(
                username=NEWCOMER, display_name="Simulated newcomer", simulated=True
            )
            session.add(reviewer)
        if not reviewer.simulated:
            raise ValueError(f"reviewer {NEWCOMER!r} exists and is a real person; not reusing it")
        reviewer.languages = sorted(set(reviewer.languages) | set(languages))
        session.flush()
        assert reviewer.id is not None  # flushed above
        enrol(session, reviewer.id, pools)
        return reviewer.id


def _qualify(engine: Engine, reviewer_id: int, seed: int, settings: ReviewSettings) -> int:
    """Answer qualification gold through the queue until no pool is still qualifying."""
    rng = random.Random(seed)
    answers = 0
    while True:
        with Session(engine) as session:
            qualifying = any(
                m.status == PoolStatus.QUALIFYING for m in memberships_of(session, reviewer_id)
            )
        if not qualifying:
            return answers
        claim = claim_next(
            engine,
            reviewer_id,
            lease_seconds=settings.lease_seconds,
            gold_needs_confirmation=settings.gold_needs_confirmation,
            rng=rng,
        )
        if claim is None:
            return answers  # not enough gold yet, or waiting to retake
        assert claim.id is not None and claim.gold_item_id is not None  # qualifying: only gold
        rules = PoolRules.from_settings(settings)
        submit_simulated(engine, claim.id, claim.task_id, reviewer_id, rng, settings, rules)
        answers += 1
