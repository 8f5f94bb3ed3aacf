"""Signals for a whole batch, stored as Finding rows: every tool, no crash, reruns replace."""

import subprocess
import sys

from generation_builder import add_candidate, add_execution_run, add_humaneval_batch
from sqlalchemy import Engine
from sqlmodel import Session, select

from factory.models import Finding, Prompt
from factory.settings import FactoryConfig
from factory.signals.collect import run_signals

BATCH = "batch-signals"
INSECURE_STRLEN = """\
import subprocess

ADMIN_PASSWORD = "correct-horse-battery"


def strlen(string: str) -> int:
    out = subprocess.run("printf %s '" + string + "' | wc -c", shell=True, capture_output=True)
    return int(out.stdout)
"""
QUADRATIC_UNIQUE = (
    "def unique(l: list):\n    seen = []\n    for x in l:\n        if x not in seen:\n"
    "            seen.append(x)\n    return sorted(seen)\n"
)


def trusted_local_runner(program: str, timeout_s: float) -> str:
    """Stands in for the sandbox: the timed code is this test's own, not a candidate's."""
    return subprocess.run(
        [sys.executable, "-I", "-c", program],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=True,
    ).stdout


def findings_of(engine: Engine, candidate_id: int) -> list[Finding]:
    with Session(engine) as session:
        return list(session.exec(select(Finding).where(Finding.candidate_id == candidate_id)))


def test_every_candidate_gets_its_signals_and_a_rerun_replaces_them(engine: Engine) -> None:
    other, unique = add_humaneval_batch(engine, BATCH, [31, 34])  # 31: no scaled input
    with Session(engine) as session:
        prompt = session.get(Prompt, unique.id)
        prompt.scaled_input = "list(range(n))"
        session.add(prompt)
        session.commit()
    insecure = add_candidate(engine, other, INSECURE_STRLEN, model="a")
    broken = add_candidate(engine, other, "def strlen(s):\n    return len(s\n", model="b")
    empty = add_candidate(engine, other, "", model="c")
    slow = add_candidate(engine, unique, QUADRATIC_UNIQUE, model="d")
    add_execution_run(engine, insecure, verdict="passed", wall_time_s=0.4)
    add_execution_run(engine, broken, verdict="error", tests_passed=0)
    add_execution_run(engine, slow, verdict="passed")
    config = FactoryConfig.model_validate(
        {"signals": {"growth_sizes": [1000, 2000, 4000], "growth_repeats": 3}}
    )

    report = run_signals(engine=engine, batch_id=BATCH, config=config, runner=trusted_local_runner)

    insecure_rows = findings_of(engine, insecure.id)
    cwe = {(f.rule_id, f.cwe_id) for f in insecure_rows if f.tool == "bandit"}
    assert {("B602", 78), ("B105", 259)} <= cwe
    tools = {f.tool for f in insecure_rows}
    assert tools == {"bandit", "ruff", "radon", "sandbox"}
    assert {f.rule_id for f in insecure_rows if f.tool == "sandbox"} == {
        "passed",
        "wall_time_s",
        "peak_memory_kb",
    }
    assert [(f.tool, f.rule_id) for f in findings_of(engine, broken.id)] == [
        ("parser", "syntax_error"),
        ("sandbox", "error"),
        ("sandbox", "wall_time_s"),
        ("sandbox", "peak_memory_kb"),
    ]
    assert [(f.tool, f.rule_id) for f in findings_of(engine, empty.id)] == [("parser", "no_code")]
    [growth] = [f for f in findings_of(engine, slow.id) if f.rule_id == "growth"]
    assert growth.value is not None and growth.value > 1.3, growth.message  # ~2: quadratic
    metadata = report.metadata()
    assert metadata["candidates"] == 4
    assert metadata["candidates_unparseable"] == 2
    assert metadata["candidates_without_execution"] == 1
    assert metadata["growth_measured"] == 1
    assert metadata["cwe_ids"]["78"] >= 2 and metadata["cwe_ids"]["259"] == 1
    assert metadata["candidates_with_high_severity_security_issue"] == 1

    total = report.findings
    again = run_signals(engine=engine, batch_id=BATCH, config=config, runner=None)
    with Session(engine) as session:
        stored = len(session.exec(select(Finding)).all())
    assert stored == again.findings == total - 1  # no growth without a sandbox, nothing doubled
    assert again.metadata()["growth_skipped"] == {"no_sandbox": 1}
