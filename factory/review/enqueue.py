"""Turn a batch's candidates into review tasks: pairs, overlap (k > 1) and attention checks,
idempotently. Each task carries its prompt's language and task type: together, its pool.

Which tasks get k > 1 reviews and which pairs become attention checks (automatic
pass-versus-fail gold, `review.gold_rate`) is decided by a hash of the seed,
batch and pair, so a rerun makes exactly the same decisions and only adds missing tasks.
Tasks are never deleted here: once a reviewer has worked on one, it is part of the record.
"""

import hashlib
from dataclasses import asdict, dataclass, field

from sqlmodel import Session, select

from factory.models import Prompt, ReviewTask
from factory.review.gold import gold_count
from factory.review.pairs import PairChoice, choose_pairs, contrast_pairs, load_candidate_views
from factory.settings import ReviewSettings
from factory.vocab import WorkKind, work_kinds


@dataclass(slots=True)
class EnqueueCounts:
    prompts: int = 0  # prompts with at least two reviewable candidates
    prompts_without_pairs: int = 0
    created: int = 0
    already_queued: int = 0
    gold: int = 0  # attention checks
    overlap: int = 0  # tasks needing more than one review
    by_strategy: dict[str, int] = field(default_factory=dict)

    def metadata(self) -> dict[str, int]:
        flat = {k: v for k, v in asdict(self).items() if isinstance(v, int)}
        flat.update({f"strategy_{k}": v for k, v in self.by_strategy.items()})
        return flat


def _unit(seed: int, batch_id: str, pair: PairChoice, purpose: str) -> float:
    """A reproducible number in [0, 1) for one decision about one pair."""
    key = f"{seed}:{batch_id}:{pair.candidate_a_id}:{pair.candidate_b_id}:{purpose}"
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") / 2**64


def plan_tasks(
    batch_id: str,
    pairs: list[PairChoice],
    gold_pool: list[PairChoice],
    settings: ReviewSettings,
    *,
    seed: int = 0,
) -> dict[tuple[int, int], tuple[PairChoice, int, bool]]:
    """(a, b) -> (pair, required reviews, is gold) for a batch, before touching the database."""
    plan: dict[tuple[int, int], tuple[PairChoice, int, bool]] = {}
    for pair in pairs:
        overlap = _unit(seed, batch_id, pair, "overlap") < settings.overlap_fraction
        k = settings.overlap_reviews if overlap else 1
        plan[(pair.candidate_a_id, pair.candidate_b_id)] = (pair, k, False)
    n_gold = gold_count(len(pairs), settings.gold_rate, len(gold_pool))
    for pair in sorted(gold_pool, key=lambda p: _unit(seed, batch_id, p, "gold"))[:n_gold]:
        key = (pair.candidate_a_id, pair.candidate_b_id)
        k = plan[key][1] if key in plan else 1
        plan[key] = (pair, k, True)
    return plan


def enqueue_batch(
    session: Session, batch_id: str, settings: ReviewSettings, *, seed: int = 0
) -> EnqueueCounts:
    """Create the review tasks of a batch that do not exist yet (the caller commits)."""
    counts = EnqueueCounts()
    views = load_candidate_views(session, batch_id)
    # Only prompts whose work includes comparing pairs (vocab.work_kinds); the other kinds
    # are queued by factory.tasktypes.enqueue.
    pools = {
        prompt_id: (language, task_type)
        for prompt_id, language, task_type, work in session.exec(
            select(Prompt.id, Prompt.language, Prompt.task_type, Prompt.work).where(
                Prompt.batch_id == batch_id
            )
        )
        if WorkKind.PAIRWISE in work_kinds(task_type, work)
    }
    pairs: list[PairChoice] = []
    gold_pool: list[PairChoice] = []
    for prompt_id, candidates in sorted(views.items()):
        if prompt_id not in pools:
            continue
        chosen = choose_pairs(
            candidates, strategy=settings.pair_strategy, max_pairs=settings.max_pairs_per_prompt
        )
        if chosen:
            counts.prompts += 1
        else:
            counts.prompts_without_pairs += 1
        pairs.extend(chosen)
        gold_pool.extend(contrast_pairs(candidates))
    existing = {
        (a, b)
        for a, b in session.exec(
            select(ReviewTask.candidate_a_id, ReviewTask.candidate_b_id).where(
                ReviewTask.batch_id == batch_id, ReviewTask.kind == WorkKind.PAIRWISE
            )
        )
    }
    for key, (pair, k, gold) in plan_tasks(batch_id, pairs, gold_pool, settings, seed=seed).items():
        counts.gold += gold
        counts.overlap += k > 1
        counts.by_strategy[pair.strategy] = counts.by_strategy.get(pair.strategy, 0) + 1
        if key in existing:
            counts.already_queued += 1
            continue
        session.add(
            ReviewTask(
                batch_id=batch_id,
                prompt_id=pair.prompt_id,
                candidate_a_id=pair.candidate_a_id,
                candidate_b_id=pair.candidate_b_id,
                language=pools[pair.prompt_id][0],
                task_type=pools[pair.prompt_id][1],
                pair_strategy=pair.strategy,
                required_reviews=k,
                is_gold=gold,
                gold_preference=pair.known_preference if gold else None,
            )
        )
        counts.created += 1
    session.flush()
    return counts
