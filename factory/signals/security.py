"""Security signals from bandit's Python API: it parses the code and never runs it.

`# nosec` comments in a candidate are ignored: a candidate must not be able to silence its scan.
"""

import logging
from collections.abc import Mapping

from bandit.core.config import BanditConfig
from bandit.core.manager import BanditManager

from factory.signals.signal import Signal
from factory.signals.workspace import Workspace, candidate_files
from factory.vocab import Dimension

TOOL = "bandit"


def bandit_signals(codes: Mapping[int, str]) -> dict[int, list[Signal]]:
    """Bandit issues per candidate id, for candidates whose code parses."""
    if not codes:
        return {}
    with candidate_files(codes, prefix="factory-bandit-") as workspace:
        return bandit_workspace_signals(workspace)


def bandit_workspace_signals(workspace: Workspace) -> dict[int, list[Signal]]:
    """Bandit issues per candidate of a workspace whose files other tools may read too."""
    results: dict[int, list[Signal]] = {candidate_id: [] for candidate_id in workspace.paths}
    if not workspace.paths:
        return results
    # Bandit logs every file it scans at INFO; the findings are what matters here.
    logging.getLogger("bandit").setLevel(logging.WARNING)
    manager = BanditManager(BanditConfig(), "file", quiet=True, ignore_nosec=True)
    manager.discover_files([str(path) for path in workspace.paths.values()], recursive=False)
    manager.run_tests()
    for issue in manager.get_issue_list():
        cwe = getattr(issue.cwe, "id", None) or None
        results[workspace.candidate_id(issue.fname)].append(
            Signal(
                tool=TOOL,
                dimension=Dimension.SECURITY,
                rule_id=issue.test_id,
                severity=str(issue.severity),
                confidence=str(issue.confidence),
                cwe_id=int(cwe) if cwe else None,
                line=issue.lineno,
                message=f"{issue.test}: {issue.text}",
            )
        )
    return results
