"""The gate after publishing: what the target holds at the release's tag is the release.

One row per file of the packaged release folder, compared with what the publish target returns
for the tag (read back from the target, not from what the publisher said): `published` when the
tag holds a file at that path, `matches` when its git blob id is the same. Files the tag holds
that the release lacks come as extra rows with `in_release` false. `recorded` repeats on every
row whether the Release row says published, with this target, commit and URL.
"""

from pathlib import Path

import great_expectations as gx
import pandas as pd

from factory.publishing.manifest import read_manifest
from factory.publishing.records import release_for_batch
from factory.settings import FactoryConfig
from factory.stages.context import StageContext
from factory.vocab import ReleaseStatus

SUITE_NAME = "publishing"
DESCRIPTION = (
    "Read back from the publish target at the release's tag: every file of the release is there "
    "with the same content and nothing else is, and the Release row records the publication "
    "(status, target, commit, URL)."
)
COLUMNS = ["path", "in_release", "published", "matches", "recorded"]


def build_suite(config: FactoryConfig) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name=SUITE_NAME,
        expectations=[
            gx.expectations.ExpectTableRowCountToBeBetween(min_value=1),
            gx.expectations.ExpectColumnValuesToBeInSet(column="in_release", value_set=[True]),
            gx.expectations.ExpectColumnValuesToBeInSet(column="published", value_set=[True]),
            gx.expectations.ExpectColumnValuesToBeInSet(column="matches", value_set=[True]),
            gx.expectations.ExpectColumnValuesToBeInSet(column="recorded", value_set=[True]),
        ],
    )


def load_frame(ctx: StageContext, batch_id: str) -> pd.DataFrame:
    with ctx.session() as session:
        release = release_for_batch(session, batch_id)
        folder, version, repo_id = Path(release.path), release.version, release.repo_id
        recorded = bool(
            release.status == ReleaseStatus.PUBLISHED
            and release.target == ctx.config.publishing.target
            and release.commit_id
            and release.url
        )
    local = read_manifest(folder).blob_ids()
    remote = ctx.publisher().published_blob_ids(repo_id or ctx.config.publishing.repo_id, version)
    remote = remote or {}
    rows = [
        {
            "path": path,
            "in_release": path in local,
            "published": path in remote,
            "matches": local.get(path) == remote.get(path),
            "recorded": recorded,
        }
        for path in sorted(set(local) | set(remote))
    ]
    return pd.DataFrame.from_records(rows, columns=COLUMNS)
