"""What a stage returns: a report with a one-line summary and metadata it renders itself.

Metadata values are plain JSON values (bool, int, float, str, None, and dicts and lists of them,
shown as JSON) or one of three small wrappers that say how a text is meant to be read
(Markdown, FilePath, Url). The Dagster layer translates them into its own metadata types in one
place; the core never imports Dagster.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Markdown:
    text: str


@dataclass(frozen=True, slots=True)
class FilePath:
    path: str


@dataclass(frozen=True, slots=True)
class Url:
    url: str


JsonValue = bool | int | float | str | None | dict[str, Any] | list[Any]
MetadataValue = JsonValue | Markdown | FilePath | Url
Metadata = dict[str, MetadataValue]


class StageReport(ABC):
    """Every stage's report: `summary()` for the run log, `metadata()` for the asset view."""

    @abstractmethod
    def summary(self) -> str: ...

    @abstractmethod
    def metadata(self) -> Metadata: ...

    def row_count(self) -> int | None:
        """How many rows the stage's output has (shown as the asset's row count), if it says."""
        return None


def markdown_table(header: list[str], rows: list[list[Any]], *, limit: int = 200) -> str:
    """A Markdown table whose cells cannot break it (pipes escaped, newlines folded, each cell
    at most `limit` characters)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(table_cell(value, limit) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def table_cell(value: Any, limit: int = 200) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")[:limit]
