"""The stage contract: every stage of the chain is `run(ctx: StageContext, batch_id) -> report`.

A stage module (`factory/<stage>/stage.py`) exposes exactly that one entry. The context carries
the settings, the database and the way to each outside thing (sandbox, model server, publish
target); the report says what happened and renders its own metadata (`factory.stages.report`),
which the Dagster layer shows as it is. Nothing here knows about Dagster.
"""

from factory.stages.context import StageContext, StageLog
from factory.stages.report import FilePath, Markdown, Metadata, StageReport, Url

__all__ = [
    "FilePath",
    "Markdown",
    "Metadata",
    "StageContext",
    "StageLog",
    "StageReport",
    "Url",
]
