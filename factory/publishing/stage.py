"""The publishing stage: the batch's packaged release, published in one commit tagged with its
version (the local folder by default, or the Hugging Face Hub). Rerunning publishes nothing new.
"""

from dataclasses import dataclass

from factory.publishing.records import PublishedRelease, publish_release, release_for_batch
from factory.stages.context import StageContext
from factory.stages.report import Metadata, StageReport, Url


@dataclass(frozen=True, slots=True)
class PublishingReport(StageReport):
    published: PublishedRelease
    config_sha256: str
    counts: dict[str, int]

    def summary(self) -> str:
        published, result = self.published, self.published.result
        if result.new_commit or result.new_tag:
            what = "new commit" if result.new_commit else "existing commit, new tag"
            return (
                f"published {published.name} {published.version} to {result.target} "
                f"{result.repo_id} ({what} {result.commit_id[:12]}): {result.url}"
            )
        return (
            f"{published.name} {published.version} is already published at {result.url}; "
            "nothing new to publish"
        )

    def metadata(self) -> Metadata:
        published, result = self.published, self.published.result
        return {
            "release": f"{published.name} {published.version}",
            "release_id": published.release_id,
            "target": result.target,
            "repo_id": result.repo_id,
            "tag": result.version,
            "commit_id": result.commit_id,
            "url": Url(result.url),
            "new_commit": result.new_commit,
            "new_tag": result.new_tag,
            "files": result.files,
            "bytes": result.bytes,
            "content_sha256": result.content_sha256,
            "config_sha256": self.config_sha256,
            "release_items": published.items,
            "counts": self.counts,
        }


def run(ctx: StageContext, batch_id: str) -> PublishingReport:
    with ctx.session() as session:
        release = release_for_batch(session, batch_id)
        release_id = release.id
        config_sha256, counts = release.config_sha256, dict(release.counts or {})
    assert release_id is not None  # a stored row
    published = publish_release(
        ctx.engine, release_id, ctx.publisher(), repo_id=ctx.config.publishing.repo_id
    )
    return PublishingReport(published, config_sha256, counts)
