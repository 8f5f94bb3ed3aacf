"""Queue a batch's work beyond pairs: for each prompt, the kinds it asks for (its record's
`work`, else its task type's default), planned by each kind's plug-in, idempotently.

Overlap (k > 1 people on one task) follows `review.overlap_fraction`, drawn from a hash of the
batch and the work key, so a rerun makes the same decisions and only adds missing tasks.
"""

import hashlib
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from factory.models import Prompt, ReviewTask, TaskCandidate, stored_id
from factory.settings import ReviewSettings
from factory.tasktypes.registry import WORK_TYPES, pool_type
from factory.vocab import PromptStatus, WorkKind, work_kinds


@dataclass(slots=True)
class WorkCounts:
    created: int = 0
    already_queued: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)  # tasks planned, new or not
    prompts_without_subject: dict[str, int] = field(default_factory=dict)

    def metadata(self) -> dict[str, int]:
        flat = {"work_created": self.created, "work_already_queued": self.already_queued}
        flat.update({f"work_{kind}": n for kind, n in sorted(self.by_kind.items())})
        return flat


def _unit(seed: int, batch_id: str, kind: str, key: str) -> float:
    digest = hashlib.sha256(f"{seed}:{batch_id}:{kind}:{key}:overlap".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def enqueue_work(
    session: Session, batch_id: str, settings: ReviewSettings, *, seed: int = 0
) -> WorkCounts:
    """Create the batch's missing tasks of kinds other than pairwise (the caller commits)."""
    counts = WorkCounts()
    existing = {
        (kind, key)
        for kind, key in session.exec(
            select(ReviewTask.kind, ReviewTask.work_key).where(
                ReviewTask.batch_id == batch_id, ReviewTask.kind != WorkKind.PAIRWISE
            )
        )
    }
    prompts = session.scalars(
        select(Prompt)
        .where(Prompt.batch_id == batch_id, Prompt.status == PromptStatus.ACCEPTED)
        .order_by(col(Prompt.id))
    ).all()
    for prompt in prompts:
        for kind in work_kinds(prompt.task_type, prompt.work):
            plugin = WORK_TYPES.get(kind)
            if plugin is None:
                continue  # pairwise: factory.review.enqueue
            planned = plugin.plan(session, prompt, settings)
            if not planned:
                counts.prompts_without_subject[kind] = (
                    counts.prompts_without_subject.get(kind, 0) + 1
                )
            for work in planned:
                key = f"{work.prompt_id}:{work.work_key}"
                counts.by_kind[kind] = counts.by_kind.get(kind, 0) + 1
                if (kind, key) in existing:
                    counts.already_queued += 1
                    continue
                overlap = _unit(seed, batch_id, kind, key) < settings.overlap_fraction
                task = ReviewTask(
                    batch_id=batch_id,
                    prompt_id=work.prompt_id,
                    candidate_a_id=work.candidate_id,
                    language=prompt.language,
                    task_type=pool_type(kind, prompt.task_type),
                    kind=kind,
                    subject=work.subject,
                    work_key=key,
                    pair_strategy=kind,
                    required_reviews=settings.overlap_reviews if overlap else 1,
                )
                session.add(task)
                session.flush()
                for position, candidate_id in enumerate(work.candidates):
                    session.add(
                        TaskCandidate(
                            task_id=stored_id(task), candidate_id=candidate_id, position=position
                        )
                    )
                existing.add((kind, key))
                counts.created += 1
    session.flush()
    return counts
