"""Publishing one Release row and recording the outcome on it.

No database transaction is held open across the network calls: the row is marked `publishing`,
the publisher runs, then the row is marked `published` (with repository, commit id, URL and time)
or `failed` with the error, which never contains a credential. A rerun picks up any of these
states; publishers are idempotent, so a rerun of a published release changes nothing.
"""

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from factory.db import session_scope
from factory.errors import FactoryUserError
from factory.models._base import utcnow
from factory.models.release import Release, ReleaseItem
from factory.publishing.base import Publisher, PublishError, PublishResult
from factory.vocab import ReleaseStatus

PUBLISHABLE = {
    ReleaseStatus.PACKAGED,
    ReleaseStatus.PUBLISHING,
    ReleaseStatus.FAILED,
    ReleaseStatus.PUBLISHED,
}


class ReleaseNotFoundError(FactoryUserError):
    """No packaged release exists for the batch."""


@dataclass(frozen=True, slots=True)
class PublishedRelease:
    release_id: int
    name: str
    version: str
    items: int  # ReleaseItem rows: the database rows this release contains
    result: PublishResult


def release_for_batch(session: Session, batch_id: str) -> Release:
    """The newest release that contains `batch_id`."""
    releases = session.exec(select(Release).order_by(col(Release.id).desc())).all()
    for release in releases:
        if batch_id in (release.batch_ids or []):
            return release
    raise ReleaseNotFoundError(
        f"no release contains batch {batch_id!r}; materialise release_package for it first"
    )


def commit_message(release: Release) -> str:
    counts = ", ".join(f"{key}={value}" for key, value in sorted((release.counts or {}).items()))
    return (
        f"{release.name} {release.version}"
        + (f" ({counts})" if counts else "")
        + f"; factory config sha256 {release.config_sha256[:12] or 'unknown'}"
    )


def publish_release(
    engine: Engine, release_id: int, publisher: Publisher, *, repo_id: str
) -> PublishedRelease:
    with session_scope(engine) as session:
        release = session.get(Release, release_id)
        if release is None:
            raise ReleaseNotFoundError(f"release {release_id} does not exist")
        if release.status not in PUBLISHABLE:
            raise FactoryUserError(
                f"release {release.name} {release.version} has status {release.status!r}; "
                f"only {sorted(PUBLISHABLE)} can be published"
            )
        if not release.path:
            raise FactoryUserError(f"release {release.name} {release.version} has no folder")
        folder = Path(release.path)
        name, version, message = release.name, release.version, commit_message(release)
        items = session.exec(select(func.count()).where(ReleaseItem.release_id == release_id)).one()
        if release.status != ReleaseStatus.PUBLISHED:
            release.status = ReleaseStatus.PUBLISHING
            release.target = publisher.target
            release.error = ""

    try:
        result = publisher.publish(folder=folder, repo_id=repo_id, version=version, message=message)
    except (PublishError, FactoryUserError) as exc:
        with session_scope(engine) as session:
            release = session.get(Release, release_id)
            assert release is not None
            if release.status != ReleaseStatus.PUBLISHED:
                release.status = ReleaseStatus.FAILED
            release.error = str(exc)
        raise

    with session_scope(engine) as session:
        release = session.get(Release, release_id)
        assert release is not None
        changed = (release.status, release.repo_id, release.commit_id, release.target) != (
            ReleaseStatus.PUBLISHED,
            result.repo_id,
            result.commit_id,
            result.target,
        )
        release.status = ReleaseStatus.PUBLISHED
        release.target = result.target
        release.repo_id = result.repo_id
        release.commit_id = result.commit_id
        release.url = result.url
        release.error = ""
        if changed or release.published_at is None:
            release.published_at = utcnow()
    return PublishedRelease(release_id, name, version, items, result)
