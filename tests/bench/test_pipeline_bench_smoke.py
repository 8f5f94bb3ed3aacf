"""bench/pipeline_bench.py: its synthetic batch is what it says, and its quick mode runs the
whole pre-review job, and the same jobs through the sandbox service, and prints its figures (no
timing is asserted)."""

import importlib.util
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "bench" / "pipeline_bench.py"
STAGES = ("prompts", "candidates", "executions", "signals", "review_tasks")


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pipeline_bench", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["pipeline_bench"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_the_batch_has_unique_tests_failing_candidates_and_growth_in_every_family() -> None:
    bench = load_bench()

    batch = bench.build_batch(prompts=64, candidates=5, growth_share=0.25)

    assert len(batch.records) == 64 and len(batch.replay) == 64 * 5
    # No two prompts share tests, and no candidate is its reference: every verdict is run.
    assert len({record["tests"] for record in batch.records}) == 64
    references = {record["id"]: record["reference_solution"] for record in batch.records}
    assert all(row["code"] != references[row["prompt_external_id"]] for row in batch.replay)
    assert (batch.expected["passing"], batch.expected["failing"]) == (64 * 4, 64)
    scaled = [record for record in batch.records if "scaled_input" in record]
    assert len(scaled) == batch.expected["prompts_with_scaled_input"] == 16
    assert Counter(record["entry_point"] for record in scaled) == {
        family.entry_point: 4 for family in bench.FAMILIES
    }
    # Candidates of one prompt and model are told apart by their sample index.
    keys = {(r["prompt_external_id"], r["model"], r["sample_index"]) for r in batch.replay}
    assert len(keys) == len(batch.replay)


def run_quick(*options: str) -> str:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--backend", "bwrap", *options],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    # A target missed on a busy machine is exit status 1; anything else is a broken benchmark.
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def assert_figures(out: str, database: str) -> None:
    assert f"== {database}: 24 prompts x 4 candidates (96 candidates" in out, out
    for stage in STAGES:
        assert re.search(rf"^{stage}\s+\d+\.\d+\s+\d+\.\d+\s+\d+\.\d+\s+\d+\.\d+\s", out, re.M), out
    for row in ("stages", "gates", "dagster", "job wall"):
        assert re.search(rf"^{row}\s+\d+\.\d+", out, re.M), out
    assert re.search(r"outside the stages' own work: \d+\.\d+% of the job's wall time", out)
    assert re.search(r"target orchestration and gates <= 10% of wall time: \S+% (MET|MISSED)", out)
    assert re.search(r"target no stage slower than 3x execution per candidate: slowest", out)
    # The run itself is checked: every gate passes and growth is timed where it should be.
    assert "target the job succeeds, every gate passing MET" in out
    assert "growth measured for 32, failed for 0" in out  # 8 prompts: 3 passing + reference
    assert re.search(r"^signals per growth-timed candidate: \d+ ms \(32 timed;", out, re.M), out
    assert "96 candidates written" in out and "24/24 prompts gradable" in out


@pytest.mark.slow
@pytest.mark.bwrap
def test_the_quick_mode_prints_its_figures_on_sqlite() -> None:
    assert_figures(run_quick("--database", "sqlite", "--no-service"), "sqlite")


@pytest.mark.slow
@pytest.mark.bwrap
@pytest.mark.postgres
def test_the_quick_mode_prints_its_figures_on_postgres() -> None:
    assert_figures(run_quick("--database", "postgres", "--no-service"), "postgres")


def test_the_service_jobs_are_the_batch_candidates_with_their_tests() -> None:
    bench = load_bench()
    batch = bench.build_batch(prompts=3, candidates=4, growth_share=0)

    bodies = bench.service_jobs(batch, 10)

    assert [body["id"] for body in bodies] == [f"job-{n}" for n in range(10)]
    assert [body["code"] for body in bodies] == [row["code"] for row in batch.replay[:10]]
    tests = {record["id"]: record["tests"] for record in batch.records}
    assert [body["tests"] for body in bodies] == [
        tests[row["prompt_external_id"]] for row in batch.replay[:10]
    ]


@pytest.mark.slow
@pytest.mark.bwrap
def test_the_quick_mode_compares_the_service_with_the_in_process_pool() -> None:
    out = run_quick("--database", "none")

    assert re.search(r"^== sandbox service: 96 judged test jobs, bwrap pool of \d+", out, re.M), out
    assert re.search(r"^in-process pool \(run_many\)\s+\d+\.\d+ s\s+\d+\.\d+ jobs/s", out, re.M)
    assert re.search(r"^service, 64 clients on /v1/jobs\s+\d+\.\d+ s\s+\d+\.\d+ jobs/s", out, re.M)
    assert re.search(r"latency at 64 concurrent clients: p50 \d+ ms, p95 \d+ ms, max \d+ ms", out)
    # Every job answered, with the verdict the in-process pool gave it.
    assert "verdicts agree job for job" in out, out
    assert re.search(
        r"target service >= 90% of the in-process pool's throughput: \S+% (MET|MISSED)", out
    )
