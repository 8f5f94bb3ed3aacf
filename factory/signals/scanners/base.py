"""What every scanner shares: a temporary file, a bounded run, and findings about the tool."""

import subprocess
import tempfile
from pathlib import Path

from factory.signals.signal import Signal
from factory.vocab import Dimension

TIMEOUT_S = 30.0
EXTENSIONS = {
    "c": ".c",
    "cpp": ".cpp",
    "javascript": ".js",
    "typescript": ".ts",
    "bash": ".sh",
    "go": ".go",
    "rust": ".rs",
    "java": ".java",
    "ruby": ".rb",
    "php": ".php",
    "sql": ".sql",
}


def run_tool(
    argv: list[str], code: str, language: str, *, cwd: Path | None = None
) -> tuple[subprocess.CompletedProcess[str] | None, str]:
    """Run `argv` with the code's file path appended; (completed process or None, problem)."""
    with tempfile.TemporaryDirectory(prefix="factory-scan-") as folder:
        path = Path(folder) / f"candidate{EXTENSIONS.get(language, '.txt')}"
        path.write_text(code)
        try:
            done = subprocess.run(
                [*argv, str(path)],
                capture_output=True,
                text=True,
                timeout=TIMEOUT_S,
                cwd=cwd or folder,
                check=False,
            )
        except FileNotFoundError:
            return None, f"{argv[0]} is not installed (scripts/setup.sh installs it)"
        except subprocess.TimeoutExpired:
            return None, f"{argv[0]} ran out of time ({TIMEOUT_S:.0f} s)"
        return done, ""


def tool_problem(tool: str, dimension: Dimension, problem: str) -> Signal:
    """A finding that a tool could not give its verdict (recorded as data, never raised)."""
    return Signal(tool=tool, dimension=dimension, rule_id="tool-error", message=problem[:500])


def no_security_scanner(language: str) -> Signal:
    return Signal(
        tool="scanners",
        dimension=Dimension.SECURITY,
        rule_id="no-scanner",
        message=f"no security scanner reads {language}: security is for the reviewer alone",
    )
