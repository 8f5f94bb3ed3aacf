"""The environment funnel's three stages, in the stage contract's shape: `run(ctx, key)` where
the key is a repository snapshot (`name@head12`), each returning its report."""

from factory.envs.funnel import (
    FunnelReport,
    ImagesReport,
    MiningReport,
    build_images,
    mine_repository,
    validate_tasks,
)
from factory.envs.inbox import repo_inbox, scan_repo_inbox
from factory.errors import FactoryUserError
from factory.models import RepoSnapshot
from factory.settings import inbox_dir
from factory.stages.context import StageContext


def source_of(ctx: StageContext, snapshot_id: str) -> str:
    """Where the snapshot's history comes from: as mined before, or as the inbox names it."""
    with ctx.session() as session:
        row = session.get(RepoSnapshot, snapshot_id)
    if row is not None:
        return row.source
    folder = repo_inbox(inbox_dir())
    for repository in scan_repo_inbox(folder)[0]:
        if repository.snapshot_id == snapshot_id:
            return repository.source
    raise FactoryUserError(
        f"repository snapshot {snapshot_id!r}: no bundle or list in {folder} names it; put the "
        "bundle (or a list with its URL) back, or delete the partition"
    )


def mine(ctx: StageContext, snapshot_id: str) -> MiningReport:
    return mine_repository(ctx, source_of(ctx, snapshot_id), expected_id=snapshot_id)


def images(ctx: StageContext, snapshot_id: str) -> ImagesReport:
    return build_images(ctx, snapshot_id)


def validate(ctx: StageContext, snapshot_id: str) -> FunnelReport:
    return validate_tasks(ctx, snapshot_id)
