"""What every scanner shares: the plug-in shape, temporary files, a bounded run, and findings
about the tool itself (missing, failed, out of time) or about a language no tool reads."""

import json
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from factory.signals.signal import Signal
from factory.signals.workspace import Workspace
from factory.vocab import Dimension

TIMEOUT_S = 30.0
TIMEOUT_PER_FILE_S = 1.0  # a run over many candidates gets this much more per file
CHUNK = 200  # files per tool run: bounds the command line and the loss when one run fails
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
Findings = dict[int, list[Signal]]  # candidate id -> its findings
ScanMany = Callable[[Mapping[int, str], str], Findings]


@dataclass(frozen=True, slots=True)
class Scanner:
    """One tool: its name as findings and the README give it, the languages it reads, the
    dimensions it gives (a language none of whose scanners gives security says so), and how it
    reads many candidates of one language at once."""

    name: str
    languages: frozenset[str]
    dimensions: frozenset[Dimension]
    scan_many: ScanMany

    def scan(self, code: str, language: str) -> list[Signal]:
        return self.scan_many({0: code}, language)[0]


def chunked(scan_chunk: ScanMany) -> ScanMany:
    """`scan_chunk` applied to at most CHUNK candidates at a time; every candidate gets a list."""

    def scan_many(codes: Mapping[int, str], language: str) -> Findings:
        results: Findings = {candidate_id: [] for candidate_id in codes}
        items = list(codes.items())
        for start in range(0, len(items), CHUNK):
            for candidate_id, found in scan_chunk(
                dict(items[start : start + CHUNK]), language
            ).items():
                results[candidate_id].extend(found)
        return results

    return scan_many


@contextmanager
def code_files(codes: Mapping[int, str], language: str) -> Iterator[Workspace]:
    """Each candidate's code in `candidate_<id><extension>` of a fresh temporary folder: the file
    name is the factory's, so a report maps back to its candidate by name alone."""
    suffix = EXTENSIONS.get(language, ".txt")
    with tempfile.TemporaryDirectory(prefix="factory-scan-") as folder:
        paths = {}
        for candidate_id, code in codes.items():
            path = Path(folder) / f"candidate_{candidate_id}{suffix}"
            path.write_text(code, encoding="utf-8", errors="replace")  # lone surrogates
            paths[candidate_id] = path
        yield Workspace(Path(folder), paths)


def owner(workspace: Workspace, filename: str | None) -> int | None:
    """The candidate a reported file belongs to, or None for a file that is not a candidate's."""
    try:
        return workspace.candidate_id(filename or "")
    except KeyError:
        return None


def run_tool(
    argv: list[str], workspace: Workspace, *, cwd: Path | None = None
) -> tuple[subprocess.CompletedProcess[str] | None, str]:
    """Run `argv` with every candidate file appended: (completed process or None, problem)."""
    files = [str(path) for path in workspace.paths.values()]
    timeout = TIMEOUT_S + TIMEOUT_PER_FILE_S * len(files)
    try:
        done = subprocess.run(
            [*argv, *files],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=cwd or workspace.folder,
            check=False,
        )
    except FileNotFoundError:
        return None, f"{argv[0]} is not installed (scripts/setup.sh installs it)"
    except subprocess.TimeoutExpired:
        return None, f"{argv[0]} ran out of time ({timeout:.0f} s)"
    except OSError as exc:
        return None, f"{argv[0]} could not start: {exc}"
    return done, ""


def tool_problem(tool: str, dimension: Dimension, problem: str) -> Signal:
    """A finding that a tool could not give its verdict (recorded as data, never raised)."""
    return Signal(tool=tool, dimension=dimension, rule_id="tool-error", message=problem[:500])


def problem_for_all(codes: Mapping[int, str], signal: Signal) -> Findings:
    return {candidate_id: [signal] for candidate_id in codes}


def no_scanner(language: str, dimension: Dimension) -> Signal:
    """The explicit record that no tool reads `dimension` for `language`, so that an empty list
    of findings always means "scanned, nothing found"."""
    who = "the reviewer alone" if dimension == Dimension.SECURITY else "the reviewer"
    return Signal(
        tool="scanners",
        dimension=dimension,
        rule_id="no-scanner",
        message=f"no {_WHAT[dimension]} scanner for {language}: {dimension} is for {who}",
    )


_WHAT = {Dimension.SECURITY: "security", Dimension.READABILITY: "complexity"}


# What a JSON report yields: (the file a finding is in, the finding), for each finding.
JsonFindings = Callable[[Any], Iterable[tuple[str | None, Signal]]]


def scan_with_json_tool(
    tool: str, argv: list[str], codes: Mapping[int, str], language: str, findings: JsonFindings
) -> Findings:
    """Run a tool that prints a JSON report over the candidates' files; its findings per
    candidate, or the tool's problem as every candidate's finding when it fails."""
    results: Findings = {candidate_id: [] for candidate_id in codes}
    with code_files(codes, language) as workspace:
        done, problem = run_tool(argv, workspace)
        if done is None:
            return problem_for_all(codes, tool_problem(tool, Dimension.SECURITY, problem))
        try:
            report = json.loads(done.stdout)
        except ValueError:
            failure = f"{tool} failed ({done.returncode}): {done.stderr[-300:]}"
            return problem_for_all(codes, tool_problem(tool, Dimension.SECURITY, failure))
        for path, signal in findings(report):
            candidate_id = owner(workspace, path)
            if candidate_id is not None:
                results[candidate_id].append(signal)
    return results
