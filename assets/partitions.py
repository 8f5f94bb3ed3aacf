"""Partitions, declared once: one dynamic partition per batch file that intake receives."""

from dagster import DynamicPartitionsDefinition

BATCH_PARTITIONS_NAME = "batches"
batch_partitions = DynamicPartitionsDefinition(name=BATCH_PARTITIONS_NAME)
