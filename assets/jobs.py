"""The two jobs of the chain, selected by asset group so stages added later join them.

`pre_review_job` (intake to review queues) is started by the inbox sensor; `post_review_job`
(agreement to publishing) by the review-completion sensor; `environments_job` (a repository's
funnel) by the repository inbox sensor.
"""

from dagster import AssetSelection, define_asset_job

from assets.environments import ENVIRONMENTS
from assets.partitions import batch_partitions, repo_partitions
from assets.stage import POST_REVIEW as POST_REVIEW_GROUP
from assets.stage import PRE_REVIEW as PRE_REVIEW_GROUP

pre_review_job = define_asset_job(
    name="pre_review_job",
    selection=AssetSelection.groups(PRE_REVIEW_GROUP),
    partitions_def=batch_partitions,
    description="Intake, generation, sandbox runs, signals and review queues for one batch.",
)

post_review_job = define_asset_job(
    name="post_review_job",
    selection=AssetSelection.groups(POST_REVIEW_GROUP),
    partitions_def=batch_partitions,
    description="Agreement, packaging and publishing for one reviewed batch.",
)

environments_job = define_asset_job(
    name="environments_job",
    selection=AssetSelection.groups(ENVIRONMENTS),
    partitions_def=repo_partitions,
    description="The environment funnel for one repository snapshot: mine, build, validate.",
)

JOBS = [pre_review_job, post_review_job, environments_job]
