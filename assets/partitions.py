"""Partitions, declared once: one dynamic partition per batch file that intake receives, and one
per repository snapshot that the environment funnel mines."""

from dagster import DynamicPartitionsDefinition

BATCH_PARTITIONS_NAME = "batches"
batch_partitions = DynamicPartitionsDefinition(name=BATCH_PARTITIONS_NAME)

# One dynamic partition per repository snapshot (`name@head12`) that the repository inbox names.
REPO_PARTITIONS_NAME = "repositories"
repo_partitions = DynamicPartitionsDefinition(name=REPO_PARTITIONS_NAME)
