"""Stage reports render their own Dagster-free metadata; Markdown tables cannot be broken."""

from factory.stages.report import markdown_table


def test_markdown_cells_escape_pipes_fold_newlines_and_are_bounded() -> None:
    table = markdown_table(["id", "text"], [[1, "a | b\nc"], [2, "x" * 50]], limit=10)
    lines = table.splitlines()
    assert lines[:2] == ["| id | text |", "|---|---|"]
    assert lines[2] == "| 1 | a \\| b c |"
    assert lines[3] == "| 2 | xxxxxxxxxx |"
