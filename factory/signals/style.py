"""Style signals from ruff: one finding per rule hit, run once per batch over temp files.

The candidate's own configuration and `# noqa` comments are ignored (`--isolated`,
`--ignore-noqa`): the rules are the factory's (`signals.ruff_select`), the same for everyone.
"""

import json
import subprocess
from collections.abc import Mapping

from ruff.__main__ import find_ruff_bin

from factory.signals.signal import Signal
from factory.signals.workspace import Workspace, candidate_files
from factory.vocab import Dimension

TOOL = "ruff"
TIMEOUT_S = 300


class RuffError(RuntimeError):
    pass


def ruff_signals(codes: Mapping[int, str], *, select: list[str]) -> dict[int, list[Signal]]:
    if not codes:
        return {}
    with candidate_files(codes, prefix="factory-ruff-") as workspace:
        return ruff_workspace_signals(workspace, select=select)


def ruff_workspace_signals(workspace: Workspace, *, select: list[str]) -> dict[int, list[Signal]]:
    """Ruff's rule hits per candidate of a workspace: one ruff process over all its files."""
    results: dict[int, list[Signal]] = {candidate_id: [] for candidate_id in workspace.paths}
    if not workspace.paths:
        return results
    command = [
        find_ruff_bin(),
        "check",
        "--isolated",
        "--ignore-noqa",
        "--no-cache",
        "--no-fix",
        "--output-format",
        "json",
        "--select",
        ",".join(select),
        str(workspace.folder),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S)
    if done.returncode not in (0, 1):  # 1 means "violations found"
        raise RuffError(f"ruff failed ({done.returncode}): {done.stderr.strip()[:500]}")
    for item in json.loads(done.stdout or "[]"):
        results[workspace.candidate_id(item["filename"])].append(
            Signal(
                tool=TOOL,
                dimension=Dimension.STYLE,
                rule_id=item.get("code") or "invalid-syntax",
                severity="",
                line=(item.get("location") or {}).get("row"),
                message=item.get("message", ""),
            )
        )
    return results
