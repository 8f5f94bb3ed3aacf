"""The environment funnel per repository snapshot, for the QA report and the data card: how
many commits were scanned, how many tasks reached each cut, why the others left, and how many
of the release's `swe` rows each snapshot gave."""

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from factory.envs.funnel import CUTS, cut_counts, reasons_text
from factory.models import RepoSnapshot, RepoTask
from factory.stages.report import markdown_table


@dataclass(slots=True)
class RepositoryFunnel:
    snapshot_id: str
    commits_scanned: int
    counts: dict[str, int]
    reasons: dict[str, dict[str, int]] = field(default_factory=dict)
    packaged: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def repository_funnels(
    session: Session, packaged_tasks: list[str] | None = None
) -> list[RepositoryFunnel]:
    """Every snapshot with tasks (or, given the release's task ids, those it packaged)."""
    packaged = Counter[str]()
    if packaged_tasks is not None:
        ids = list(packaged_tasks) or ["-"]
        for snapshot_id in session.scalars(
            select(RepoTask.snapshot_id).where(col(RepoTask.instance_id).in_(ids))
        ):
            packaged[snapshot_id] += 1
    snapshots = session.exec(select(RepoSnapshot).order_by(col(RepoSnapshot.id))).all()
    funnels = []
    for snapshot in snapshots:
        if packaged_tasks is not None and snapshot.id not in packaged:
            continue
        counts = cut_counts(
            Counter(
                session.scalars(select(RepoTask.status).where(RepoTask.snapshot_id == snapshot.id))
            )
        )
        reasons = {"mined": dict(snapshot.funnel.get("mining_rejections", {}))}
        reasons |= {cut: dict(r) for cut, r in snapshot.funnel.get("reasons", {}).items()}
        funnels.append(
            RepositoryFunnel(
                snapshot.id, snapshot.commits_scanned, counts, reasons, packaged[snapshot.id]
            )  # fmt: skip
        )
    return funnels


def repositories_markdown(funnels: list[RepositoryFunnel]) -> str:
    if not funnels:
        return "No repository tasks."
    rows = [
        [f.snapshot_id, f.commits_scanned, *(f.counts.get(cut, 0) for cut in CUTS), f.packaged]
        for f in funnels
    ]
    table = markdown_table(["repository", "commits scanned", *CUTS, "in this release"], rows)
    lines = [table, ""]
    for funnel in funnels:
        for cut in CUTS:
            left = funnel.reasons.get(cut, {})
            if left:
                shown = reasons_text(left)
                lines.append(f"- `{funnel.snapshot_id}`, left before `{cut}`: {shown}")
    return "\n".join(lines).strip()
