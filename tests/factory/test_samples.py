"""The bundled sample batch: HumanEval plus problems written for this project in other
languages, then records asking for every kind of work beyond pairs, and their replayed
candidates in the demo replay file.

The problems and the work records must be accepted by intake as they are, and in the real
sandbox (both backends) every reference solution and every candidate labelled correct must
pass, every "subtly wrong" one must fail its tests and every "does not compile" one must be a
compile error. (The work records' demonstration answers are checked by submitting them:
tests/factory/tasktypes/test_simulated_work.py.)
"""

import gzip
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from factory.errors import SandboxUnavailableError
from factory.execution.stage import job_test_style
from factory.generation.replay import ReplayRecord, demo_replay_path, read_replay
from factory.intake.formats import parse_line
from factory.intake.records import IntakeRecord, RawLine
from factory.intake.validate import validate
from factory.samples import (
    drop_sample_batch,
    humaneval_path,
    multilang_path,
    sample_languages,
    sample_lines,
    work_path,
)
from factory.sandbox import ExecutionJob, open_sandbox
from factory.sandbox.pool import PooledSandbox
from factory.settings import IntakeSettings, SandboxSettings
from factory.vocab import Verdict, WorkKind, work_kinds

PREFIX = "hand-written for the factory demo; "
WRONG, NOT_COMPILING = "subtly wrong", "does not compile"
COMPILED = {"c", "cpp", "go", "rust", "java", "typescript", "sql"}


def _problems(path: Path | None = None) -> list[IntakeRecord]:
    lines = (path or multilang_path()).read_bytes().splitlines(keepends=True)
    return [
        parse_line(RawLine(line_no=n, data=line), max_line_bytes=1 << 20)
        for n, line in enumerate(lines, 1)
    ]


PROBLEMS = {problem.external_id: problem for problem in _problems()}
WORK = {record.external_id: record for record in _problems(work_path())}
REPLAY, REPLAY_REJECTIONS = read_replay(demo_replay_path())
CANDIDATES = [record for record in REPLAY if record.prompt_external_id in PROBLEMS]
WORK_CANDIDATES = [record for record in REPLAY if record.prompt_external_id in WORK]
# Kinds answered from the record's demonstration (metadata.demo) by the simulated annotators,
# and the answer each must hold.
DEMONSTRATED = {"bug_fix": "fixed_code", "authoring": "solution", "refactoring": "steps"}
DEMONSTRATED["reasoning"] = "answer"


def kind_of(record: ReplayRecord) -> str:
    assert record.provenance.startswith(PREFIX), record.provenance
    return record.provenance.removeprefix(PREFIX).split(":")[0]


def expected_verdict(kind: str) -> Verdict:
    if kind == WRONG:
        return Verdict.FAILED
    if kind == NOT_COMPILING:
        return Verdict.COMPILE_ERROR
    assert kind.startswith("correct"), kind
    return Verdict.PASSED


def test_the_problems_are_ours_and_accepted_by_intake() -> None:
    settings = IntakeSettings()
    assert len(PROBLEMS) == len(_problems())  # ids are unique
    for problem in PROBLEMS.values():
        validate(problem, settings)  # raises for anything intake would quarantine
        assert problem.format == "factory" and problem.licence == "MIT"
        assert problem.source == "factory" and problem.task_type == "code_generation"
    per_language = Counter(problem.language for problem in PROBLEMS.values())
    assert "python" not in per_language and len(per_language) >= 6
    assert all(count >= 4 for count in per_language.values()), per_language


def test_every_problem_has_passing_candidates_that_differ_and_broken_ones() -> None:
    assert REPLAY_REJECTIONS == []
    kinds: defaultdict[str, list[str]] = defaultdict(list)
    for record in CANDIDATES:
        kinds[record.prompt_external_id].append(kind_of(record))
    assert set(kinds) == set(PROBLEMS)
    for problem_id, found in kinds.items():
        # Two passing candidates make a pair worth reviewing; a wrong one makes a contrast.
        assert sum(kind.startswith("correct") for kind in found) >= 2, problem_id
        assert WRONG in found, problem_id
    compile_errors = Counter(
        PROBLEMS[r.prompt_external_id].language for r in CANDIDATES if kind_of(r) == NOT_COMPILING
    )
    languages = {problem.language for problem in PROBLEMS.values()}
    assert {language for language in languages if language in COMPILED} <= set(compile_errors)


def test_the_sample_batch_is_humaneval_then_the_other_languages_then_the_work(
    tmp_path: Path,
) -> None:
    lines = sample_lines()
    with gzip.open(humaneval_path(), "rt") as handle:
        humaneval = [line for line in handle if line.strip()]
    assert lines[: len(humaneval)] == humaneval
    rest = [json.loads(line)["id"] for line in lines[len(humaneval) :]]
    assert rest == list(PROBLEMS) + list(WORK)
    assert len(lines) == 164 + 32 + 7
    python_work = sum(record.language == "python" for record in WORK.values())
    assert python_work == 6
    assert sample_languages()["python"] == 164 + python_work
    assert sample_languages()["javascript"] == 4 + 1  # the bug fix in JavaScript
    assert sum(sample_languages().values()) == len(lines)
    first = drop_sample_batch(tmp_path)
    content = first.read_bytes()
    assert drop_sample_batch(tmp_path).read_bytes() == content  # same bytes, same batch id
    assert gzip.decompress(content).decode().splitlines(keepends=True) == lines


def test_the_sample_batch_asks_for_every_kind_of_work_and_intake_accepts_it() -> None:
    settings = IntakeSettings()
    asked: dict[str, list[IntakeRecord]] = defaultdict(list)
    for n, line in enumerate(sample_lines(), 1):
        record = parse_line(RawLine(line_no=n, data=line.encode()), max_line_bytes=1 << 20)
        validate(record, settings)  # raises for anything intake would quarantine
        for kind in work_kinds(record.task_type, record.work):
            asked[kind].append(record)
    assert set(asked) == {kind.value for kind in WorkKind}
    beyond_pairs = {r.external_id for kind in asked if kind != "pairwise" for r in asked[kind]}
    assert beyond_pairs == set(WORK)  # the work records, and only they, ask for it
    for record in WORK.values():
        assert record.licence == "MIT" and record.source == "factory" and record.work
        (kind,) = record.work
        if kind in DEMONSTRATED:
            assert record.metadata["demo"][DEMONSTRATED[kind]], record.external_id
        if kind in ("code_review", "bug_fix", "refactoring"):
            assert record.code.strip(), record.external_id  # the code the work is on
    (authoring,) = asked["authoring"]
    assert not authoring.tests and not authoring.reference_solution  # that is the work
    assert {r.language for r in asked["bug_fix"]} >= {"python", "javascript"}
    (ranking,) = asked["ranking"]
    assert ranking.task_type == "pairwise_preference"
    kinds = [kind_of(r) for r in WORK_CANDIDATES]
    assert len(kinds) >= 4 and {r.prompt_external_id for r in WORK_CANDIDATES} == {
        ranking.external_id
    }
    assert WRONG in kinds and sum(kind.startswith("correct") for kind in kinds) >= 2


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("docker", marks=pytest.mark.docker),
        pytest.param("bwrap", marks=pytest.mark.bwrap),
    ],
)
def demo_sandbox(request: pytest.FixtureRequest) -> Iterator[PooledSandbox]:
    """A pool with the settings the demo's execution stage uses."""
    try:
        sandbox = open_sandbox(SandboxSettings(backend=request.param, pool_size=2))
    except SandboxUnavailableError as exc:
        pytest.skip(f"{request.param} backend unavailable here: {exc}")
    with sandbox:
        yield sandbox


def _job(problem: IntakeRecord, code: str) -> ExecutionJob:
    settings = SandboxSettings()
    return ExecutionJob(
        code=code,
        tests=problem.tests,
        entry_point=problem.entry_point,
        test_style=job_test_style(problem.language, problem.test_style),
        timeout_s=settings.timeout_s,
        compile_timeout_s=settings.compile_timeout_s,
        memory_mb=settings.memory_mb,
        language=problem.language,
    )


@pytest.mark.slow
def test_references_pass_and_candidates_get_the_verdict_their_label_says(
    demo_sandbox: PooledSandbox,
) -> None:
    problems = {**PROBLEMS, **{i: r for i, r in WORK.items() if r.reference_solution}}
    candidates = CANDIDATES + WORK_CANDIDATES
    cases = [(problem_id, "reference", Verdict.PASSED) for problem_id in problems]
    cases += [(r.prompt_external_id, r.model, expected_verdict(kind_of(r))) for r in candidates]
    codes = [problems[problem_id].reference_solution for problem_id in problems]
    codes += [record.code for record in candidates]
    jobs = [
        _job(problems[problem_id], code)
        for (problem_id, _, _), code in zip(cases, codes, strict=True)
    ]

    outcomes = demo_sandbox.run_many(jobs)

    mismatches = [
        (problem_id, who, outcome.verdict, outcome.error_type)
        for (problem_id, who, expected), outcome in zip(cases, outcomes, strict=True)
        if outcome.verdict != expected
    ]
    assert mismatches == []
    # Every wrong answer failed a test that ran, not the whole program.
    wrong = [o for (_, _, e), o in zip(cases, outcomes, strict=True) if e == Verdict.FAILED]
    assert all(any(t.outcome == "failed" for t in o.tests) for o in wrong)
