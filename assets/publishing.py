"""Publishing stage: the `published_release` asset, after packaging's final gate.

Publishes the batch's packaged release to the target the settings name (the local folder by
default, or the Hugging Face Hub), as one commit tagged with the release version, and records
repository, commit id, URL and time on the Release row. Rerunning publishes nothing new.
"""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from assets.partitions import batch_partitions
from factory.publishing.records import publish_release, release_for_batch
from resources.database import DatabaseResource
from resources.hub import HubResource
from resources.settings import FactorySettingsResource

RELEASE_PACKAGE = AssetKey("release_package")


@asset(
    partitions_def=batch_partitions,
    group_name="post_review",
    deps=[RELEASE_PACKAGE],
    kinds={"huggingface"},
    description="The batch's release, published in one commit tagged with its version "
    "(local folder by default, or the Hugging Face Hub). Unchanged content makes no new commit.",
)
def published_release(
    context: AssetExecutionContext,
    database: DatabaseResource,
    settings: FactorySettingsResource,
    hub: HubResource,
) -> MaterializeResult:
    config = settings.load()
    with database.session() as session:
        release = release_for_batch(session, context.partition_key)
        release_id = release.id
        config_sha256, counts = release.config_sha256, dict(release.counts or {})
    assert release_id is not None
    publisher = hub.publisher(config.publishing)
    published = publish_release(
        database.get_engine(), release_id, publisher, repo_id=config.publishing.repo_id
    )
    result = published.result
    if result.new_commit or result.new_tag:
        what = "new commit" if result.new_commit else "existing commit, new tag"
        context.log.info(
            f"published {published.name} {published.version} to {result.target} "
            f"{result.repo_id} ({what} {result.commit_id[:12]}): {result.url}"
        )
    else:
        context.log.info(
            f"{published.name} {published.version} is already published at {result.url}; "
            "nothing new to publish"
        )
    return MaterializeResult(
        metadata={
            "release": f"{published.name} {published.version}",
            "release_id": published.release_id,
            "target": result.target,
            "repo_id": result.repo_id,
            "tag": result.version,
            "commit_id": result.commit_id,
            "url": MetadataValue.url(result.url),
            "new_commit": result.new_commit,
            "new_tag": result.new_tag,
            "files": result.files,
            "bytes": result.bytes,
            "content_sha256": result.content_sha256,
            "config_sha256": config_sha256,
            "release_items": published.items,
            "counts": MetadataValue.json(counts),
        }
    )
