"""All signals for one batch's candidates, written as `Finding` rows.

Static tools (bandit, ruff, radon) apply to Python candidates whose code parses; code that does
not parse, or no code at all, gets a parser finding instead (never a crash). Other languages are
read by the scanners of factory.signals.scanners (flawfinder, cppcheck, eslint, shellcheck,
semgrep, lizard), one language's candidates at a time, with an explicit finding where no security
scanner reads the language. Sandbox signals come from each candidate's run of record, and growth
from timing runs in the sandbox. Rerunning replaces a candidate's findings: delete-then-insert in
one transaction, the rows written in one statement rather than one object each.

Bandit and ruff read the Python candidates from one set of files, written once; ruff's process
runs while bandit and radon read in this one. Growth timings come after every static tool, so
no scanner competes with them for a CPU: each candidate's timing is one sandbox job of its own
(all its sizes and repeats), and as many run at once as the sandbox pool has sandboxes
(`sandbox.pool_size`; with `sandbox.pin_cpus`, each on a CPU of its own).
"""

from collections import Counter, defaultdict
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy import Engine, delete, insert
from sqlmodel import Session, col, select

from factory.db import session_scope
from factory.models import Candidate, ExecutionRun, Finding, Prompt
from factory.models._base import utcnow
from factory.models.queries import batch_candidates
from factory.settings import FactoryConfig
from factory.signals.execution import execution_signals, run_of_record
from factory.signals.growth import (
    GrowthPlan,
    ProgramRunner,
    ScaledInputError,
    growth_program,
    growth_signal,
    parse_growth_output,
    scaled_input_for,
)
from factory.signals.parsing import parse_finding
from factory.signals.readability import radon_signals
from factory.signals.scanners import scan_batch
from factory.signals.security import bandit_workspace_signals
from factory.signals.signal import Signal
from factory.signals.style import ruff_workspace_signals
from factory.signals.workspace import candidate_files
from factory.stages.report import Metadata, StageReport
from factory.vocab import Dimension, Verdict

PYTHON = "python"


@dataclass(slots=True)
class SignalsReport(StageReport):
    candidates: int = 0
    findings: int = 0
    by_tool: Counter = field(default_factory=Counter)
    by_dimension: Counter = field(default_factory=Counter)
    unparseable: int = 0
    static_skipped_language: int = 0
    without_execution: int = 0
    growth_measured: int = 0
    growth_failed: int = 0
    growth_skipped: Counter = field(default_factory=Counter)
    cwe_ids: Counter = field(default_factory=Counter)
    ruff_rules: Counter = field(default_factory=Counter)
    high_severity_security: int = 0

    def summary(self) -> str:
        return (
            f"{self.findings} findings on {self.candidates} candidates; growth measured for "
            f"{self.growth_measured}, failed for {self.growth_failed}"
        )

    def row_count(self) -> int:
        return self.findings

    def metadata(self) -> Metadata:
        return {
            "candidates": self.candidates,
            "findings": self.findings,
            "findings_by_tool": dict(self.by_tool),
            "findings_by_dimension": dict(self.by_dimension),
            "candidates_unparseable": self.unparseable,
            "candidates_not_python": self.static_skipped_language,  # read by the scanners
            "candidates_without_execution": self.without_execution,
            "candidates_with_high_severity_security_issue": self.high_severity_security,
            "cwe_ids": {str(cwe): count for cwe, count in sorted(self.cwe_ids.items())},
            "top_ruff_rules": dict(self.ruff_rules.most_common(10)),
            "growth_measured": self.growth_measured,
            "growth_failed": self.growth_failed,
            "growth_skipped": dict(self.growth_skipped),
        }


def run_signals(
    *,
    engine: Engine,
    batch_id: str,
    config: FactoryConfig,
    runner: ProgramRunner | None,
    concurrency: int = 1,
) -> SignalsReport:
    """Compute and store every candidate's findings; `runner` runs growth timing in the sandbox,
    `concurrency` timings at once (one per sandbox of the pool)."""
    with Session(engine) as session:
        rows = batch_candidates(session, batch_id)
        runs_by_candidate: defaultdict[int, list[ExecutionRun]] = defaultdict(list)
        for run in session.exec(select(ExecutionRun).where(ExecutionRun.batch_id == batch_id)):
            runs_by_candidate[run.candidate_id].append(run)

    report = SignalsReport(candidates=len(rows))
    signals: dict[int, list[Signal]] = {candidate.id: [] for candidate, _ in rows}  # type: ignore[misc]
    parseable: dict[int, str] = {}
    other_languages: defaultdict[str, dict[int, str]] = defaultdict(dict)
    for candidate, prompt in rows:
        if prompt.language != PYTHON:
            report.static_skipped_language += 1
            if not candidate.code.strip():
                signals[candidate.id].append(parse_finding(""))  # type: ignore[arg-type,index]
            else:
                other_languages[prompt.language][candidate.id] = candidate.code  # type: ignore[index]
            continue
        problem = parse_finding(candidate.code)
        if problem is not None:
            report.unparseable += 1
            signals[candidate.id].append(problem)  # type: ignore[index]
        else:
            parseable[candidate.id] = candidate.code  # type: ignore[index]

    for language, codes in other_languages.items():  # each tool runs once per language's chunk
        for candidate_id, found in scan_batch(codes, language).items():
            signals[candidate_id].extend(found)
    for candidate_id, found in _python_static(parseable, config.signals.ruff_select).items():
        signals[candidate_id].extend(found)

    plan = GrowthPlan(
        sizes=config.signals.growth_sizes,
        repeats=config.signals.growth_repeats,
        budget_s=config.signals.growth_budget_s,
    )
    programs: dict[int, str] = {}  # candidate id -> its growth timing program
    for candidate, prompt in rows:
        runs = runs_by_candidate.get(candidate.id, [])  # type: ignore[arg-type]
        if run_of_record(runs) is None:
            report.without_execution += 1
        signals[candidate.id].extend(execution_signals(runs))  # type: ignore[index]
        growth = _growth_program(candidate, prompt, runs, parseable, plan, runner, report)
        if isinstance(growth, Signal):
            signals[candidate.id].append(growth)  # type: ignore[index]
        elif growth is not None:
            programs[candidate.id] = growth  # type: ignore[index]
    if runner is not None:
        for candidate_id, signal in _time_growth(programs, plan, runner, concurrency, report):
            signals[candidate_id].append(signal)

    _count(report, signals)
    with session_scope(engine) as session:
        _replace_findings(session, signals)
    return report


def _python_static(codes: Mapping[int, str], ruff_select: list[str]) -> dict[int, list[Signal]]:
    """Bandit, ruff and radon findings per Python candidate that parses, in that order. The
    candidates' files are written once for both tools that read files, and ruff's own process
    runs while bandit and radon work in this one."""
    if not codes:
        return {}
    with (
        candidate_files(codes, prefix="factory-signals-") as workspace,
        ThreadPoolExecutor(max_workers=1) as background,
    ):
        style = background.submit(ruff_workspace_signals, workspace, select=ruff_select)
        security = bandit_workspace_signals(workspace)
        readability = {candidate_id: radon_signals(code) for candidate_id, code in codes.items()}
        style_found = style.result()
    return {
        candidate_id: security[candidate_id] + style_found[candidate_id] + readability[candidate_id]
        for candidate_id in codes
    }


def _growth_program(
    candidate: Candidate,
    prompt: Prompt,
    runs: list[ExecutionRun],
    parseable: dict[int, str],
    plan: GrowthPlan,
    runner: ProgramRunner | None,
    report: SignalsReport,
) -> str | Signal | None:
    """The candidate's growth timing program; a finding when the prompt's scaled input is not
    valid; None when growth is not measured for it (counted in the report)."""
    scaled_input = scaled_input_for(
        external_id=prompt.external_id,
        entry_point=prompt.entry_point,
        scaled_input=prompt.scaled_input,
    )
    if not scaled_input:
        return None
    record = run_of_record(runs)
    if candidate.id not in parseable:
        report.growth_skipped["does_not_parse"] += 1
        return None
    if record is None or record.verdict != Verdict.PASSED:
        report.growth_skipped["not_passing"] += 1  # timing wrong answers says nothing useful
        return None
    if runner is None:
        report.growth_skipped["no_sandbox"] += 1
        return None
    try:
        return growth_program(
            candidate.code, entry_point=prompt.entry_point, scaled_input=scaled_input, plan=plan
        )
    except ScaledInputError as exc:
        report.growth_skipped["invalid_scaled_input"] += 1
        return _growth_not_measured(f"prompt {prompt.external_id!r}: {exc}")


def _time_growth(
    programs: dict[int, str],
    plan: GrowthPlan,
    runner: ProgramRunner,
    concurrency: int,
    report: SignalsReport,
) -> list[tuple[int, Signal]]:
    """Each program run by `runner`, `concurrency` at once: (candidate id, growth finding)."""

    def measure(program: str) -> Signal | Exception:
        try:
            return growth_signal(parse_growth_output(runner(program, plan.timeout_s)))
        except Exception as exc:  # any failure of the timing run is recorded as data, not raised
            return exc

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        outcomes = list(pool.map(measure, programs.values()))
    found = []
    for candidate_id, outcome in zip(programs, outcomes, strict=True):
        if isinstance(outcome, Exception):
            report.growth_failed += 1
            outcome = _growth_not_measured(f"{type(outcome).__name__}: {outcome}"[:500])
        else:
            report.growth_measured += 1
        found.append((candidate_id, outcome))
    return found


def _growth_not_measured(reason: str) -> Signal:
    return Signal(
        tool="sandbox",
        dimension=Dimension.EFFICIENCY,
        rule_id="growth",
        message=f"growth not measured: {reason}",
    )


def _count(report: SignalsReport, signals: dict[int, list[Signal]]) -> None:
    for found in signals.values():
        report.findings += len(found)
        report.by_tool.update(signal.tool for signal in found)
        report.by_dimension.update(str(signal.dimension) for signal in found)
        security = [signal for signal in found if signal.dimension == Dimension.SECURITY]
        report.cwe_ids.update(signal.cwe_id for signal in security if signal.cwe_id)
        report.ruff_rules.update(signal.rule_id for signal in found if signal.tool == "ruff")
        if any(signal.severity == "HIGH" for signal in security):
            report.high_severity_security += 1


def _replace_findings(session: Session, signals: dict[int, list[Signal]]) -> None:
    candidate_ids = list(signals)
    if not candidate_ids:
        return
    session.exec(delete(Finding).where(col(Finding.candidate_id).in_(candidate_ids)))
    # One executemany of plain rows: building an ORM object per finding cost more than the
    # database's own work on large batches.
    written_at = utcnow()
    rows = [
        signal.finding_row(candidate_id) | {"created_at": written_at}
        for candidate_id, found in signals.items()
        for signal in found
    ]
    if rows:
        session.execute(insert(Finding), rows)
