"""Growth timings of a batch: one job per candidate, as many at once as the sandbox pool has
sandboxes, each outcome (measured or failed) kept with its own candidate."""

import threading

from generation_builder import add_candidate, add_execution_run, add_humaneval_batch
from sqlalchemy import Engine
from sqlmodel import Session, select

from factory.models import Finding, Prompt
from factory.settings import FactoryConfig
from factory.signals.collect import run_signals
from factory.signals.growth import MARKER

BATCH = "batch-growth-timing"
CONFIG = FactoryConfig.model_validate({"signals": {"growth_sizes": [10, 20], "growth_repeats": 1}})


def unique_candidates(engine: Engine, codes: list[str]) -> list[int]:
    """Passing candidates of HumanEval/34 (`unique`), whose prompt has a scaled input."""
    [prompt] = add_humaneval_batch(engine, BATCH, [34])
    with Session(engine) as session:
        stored = session.get(Prompt, prompt.id)
        assert stored is not None
        stored.scaled_input = "(list(range(n)),)"
        session.add(stored)
        session.commit()
    ids = []
    for index, code in enumerate(codes):
        candidate = add_candidate(engine, prompt, code, model=f"m{index}")
        add_execution_run(engine, candidate, verdict="passed")
        ids.append(candidate.id)
    return ids


def growth_findings(engine: Engine) -> dict[int, Finding]:
    with Session(engine) as session:
        rows = session.exec(select(Finding).where(Finding.rule_id == "growth")).all()
    return {row.candidate_id: row for row in rows}


def code(marker: int) -> str:
    return f"def unique(l):\n    return sorted(set(l))  # {marker}\n"


def test_timings_run_as_many_at_once_as_the_pool_has_sandboxes(sqlite_engine: Engine) -> None:
    ids = unique_candidates(sqlite_engine, [code(i) for i in range(4)])
    both_waiting = threading.Barrier(2, timeout=60)  # passes only with two timings in flight
    programs: list[str] = []

    def runner(program: str, timeout_s: float) -> str:
        programs.append(program)
        both_waiting.wait()
        return f"{MARKER}[[10, 0.001], [20, 0.002]]\n"

    report = run_signals(
        engine=sqlite_engine, batch_id=BATCH, config=CONFIG, runner=runner, concurrency=2
    )

    assert report.growth_measured == 4 and report.growth_failed == 0
    # One job per candidate (its code, every size), never one per size.
    assert len(programs) == 4
    assert all("[10, 20]" in program for program in programs)
    found = growth_findings(sqlite_engine)
    assert set(found) == set(ids)
    assert {row.value for row in found.values()} == {1.0}
    assert all(row.created_at is not None for row in found.values())


def test_a_failed_timing_is_its_own_candidates_finding_only(sqlite_engine: Engine) -> None:
    ids = unique_candidates(sqlite_engine, [code(0), code(1), code(2)])

    def runner(program: str, timeout_s: float) -> str:
        if "# 1" in program:
            raise RuntimeError("timing run ended with timeout")
        if "# 2" in program:
            return "no result line\n"
        return f"{MARKER}[[10, 0.001], [20, 0.004]]\n"

    report = run_signals(
        engine=sqlite_engine, batch_id=BATCH, config=CONFIG, runner=runner, concurrency=2
    )

    assert (report.growth_measured, report.growth_failed) == (1, 2)
    found = growth_findings(sqlite_engine)
    assert found[ids[0]].value == 2.0
    assert found[ids[1]].value is None
    assert found[ids[1]].message == (
        "growth not measured: RuntimeError: timing run ended with timeout"
    )
    assert found[ids[2]].message.startswith("growth not measured: ValueError: the growth harness")
