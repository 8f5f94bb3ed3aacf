"""The execution stage's logic on both databases, with a scripted stand-in sandbox: references
first and twice, the gradable and stable cuts, caching by key, sandbox errors never cached,
funnel counts, and the gate's frame.
"""

from collections import Counter

import pytest
from generation_builder import add_candidate, add_humaneval_batch
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from expectations.execution import build_suite, load_frame
from expectations.gate import run_suite
from factory.execution.stage import run_execution
from factory.models import Candidate, ExecutionRun, Prompt, QuarantinedRecord, TestResult
from factory.sandbox import ExecutionJob, ExecutionOutcome, TestOutcome
from factory.settings import FactoryConfig, SandboxSettings
from factory.stages import StageContext
from factory.vocab import PromptStatus, Verdict

BATCH = "batch-exec"
IMAGE = "factory-sandbox:test"


class ScriptedSandbox:
    """Decides by markers in the code: '# fails', '# flaky' (alternates), '# sandbox-error'."""

    backend = "scripted"
    image = IMAGE

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.closed = False

    def run(self, job: ExecutionJob) -> ExecutionOutcome:
        self.calls[job.code] += 1
        verdict = Verdict.PASSED
        if "# fails" in job.code:
            verdict = Verdict.FAILED
        elif "# sandbox-error" in job.code:
            verdict = Verdict.SANDBOX_ERROR
        elif "# flaky" in job.code and self.calls[job.code] % 2 == 0:
            verdict = Verdict.FAILED
        outcome = "passed" if verdict == Verdict.PASSED else "failed"
        return ExecutionOutcome(
            verdict=verdict,
            tests=[TestOutcome("line 3", outcome, "", 0.01)],
            backend=self.backend,
            image=IMAGE,
        )

    def run_many(self, jobs: list[ExecutionJob]) -> list[ExecutionOutcome]:
        return [self.run(job) for job in jobs]

    def close(self) -> None:
        self.closed = True


def execute(engine: Engine, sandbox: ScriptedSandbox, **settings: object):  # type: ignore[no-untyped-def]
    opened: list[int] = []

    def opener() -> ScriptedSandbox:
        opened.append(1)
        return sandbox

    report = run_execution(
        engine=engine,
        batch_id=BATCH,
        settings=SandboxSettings(**{"stability_sample_rate": 0.0, **settings}),
        open_sandbox=opener,
        image=IMAGE,
    )
    return report, bool(opened)


def set_reference(engine: Engine, prompt: Prompt, code: str) -> None:
    with Session(engine) as session:
        row = session.get(Prompt, prompt.id)
        assert row is not None
        row.reference_solution = code
        session.add(row)
        session.commit()


def runs(engine: Engine) -> list[ExecutionRun]:
    with Session(engine) as session:
        return list(session.exec(select(ExecutionRun).order_by(col(ExecutionRun.id))).all())


def prompt_row(engine: Engine, prompt: Prompt) -> Prompt:
    with Session(engine) as session:
        row = session.get(Prompt, prompt.id)
        assert row is not None
        return row


def test_references_run_twice_and_candidates_of_gradable_prompts_once(engine: Engine) -> None:
    good, bad, wobbly = add_humaneval_batch(engine, BATCH, [0, 2, 4])
    set_reference(engine, bad, bad.reference_solution + "\n# fails\n")
    set_reference(engine, wobbly, wobbly.reference_solution + "\n# flaky\n")
    add_candidate(engine, good, "def f():\n    return 1\n", model="a")
    add_candidate(engine, good, "def f():\n    return 2  # fails\n", model="b")
    add_candidate(engine, bad, "def g():\n    return 3\n", model="a")
    sandbox = ScriptedSandbox()

    report, _ = execute(engine, sandbox)

    with Session(engine) as session:
        references = session.exec(select(Candidate).where(Candidate.source == "reference")).all()
        quarantined = session.exec(select(QuarantinedRecord)).all()
        tests = session.exec(select(TestResult)).all()
    assert sorted(r.prompt_id for r in references) == sorted([good.id, bad.id, wobbly.id])
    assert all(r.model == "reference" for r in references)
    assert (prompt_row(engine, good).gradable, prompt_row(engine, good).stable) == (True, True)
    bad_row = prompt_row(engine, bad)
    assert (bad_row.status, bad_row.gradable) == (PromptStatus.NOT_GRADABLE, False)
    assert [(q.prompt_id, q.stage, q.reason_code) for q in quarantined] == [
        (bad.id, "execution", "not_gradable")
    ]
    assert "HumanEval/2" in quarantined[0].reason
    wobbly_row = prompt_row(engine, wobbly)
    assert (wobbly_row.status, wobbly_row.stable) == (PromptStatus.FLAKY, False)
    # 3 references x 2 attempts, + 2 candidates of the gradable prompt (+0 of the flaky one);
    # the candidate of the non-gradable prompt never runs.
    assert report.executed == 8 and len(tests) == 8
    assert sandbox.calls["def g():\n    return 3\n"] == 0
    assert report.metadata()["verdicts"] == {"failed": 1, "passed": 1}
    assert (report.accepted, report.gradable, report.stable) == (3, 2, 1)
    assert (report.not_gradable, report.flaky) == (1, 1)
    assert sandbox.closed


def test_a_rerun_executes_nothing_and_duplicates_nothing(engine: Engine) -> None:
    (prompt,) = add_humaneval_batch(engine, BATCH, [0])
    set_reference(engine, prompt, prompt.reference_solution + "\n# fails\n")
    add_candidate(engine, prompt, "def f():\n    return 1\n")
    execute(engine, ScriptedSandbox())
    before = [(r.id, r.verdict) for r in runs(engine)]

    report, opened = execute(engine, ScriptedSandbox())

    assert not opened  # everything had a verdict: no sandbox was even started
    assert report.executed == 0 and report.reused == 2
    assert [(r.id, r.verdict) for r in runs(engine)] == before
    with Session(engine) as session:
        assert len(session.exec(select(QuarantinedRecord)).all()) == 1
        assert len(session.exec(select(Candidate)).all()) == 2


def test_identical_code_runs_once_and_the_verdict_is_copied(engine: Engine) -> None:
    (prompt,) = add_humaneval_batch(engine, BATCH, [0])
    same = "def f():\n    return 1  # fails\n"
    first = add_candidate(engine, prompt, same, model="a")
    second = add_candidate(engine, prompt, same, model="b")
    sandbox = ScriptedSandbox()

    report, _ = execute(engine, sandbox)

    assert sandbox.calls[same] == 1 and report.reused == 1
    by_candidate = {r.candidate_id: r for r in runs(engine)}
    assert by_candidate[first.id].cache_key == by_candidate[second.id].cache_key
    assert by_candidate[second.id].verdict == Verdict.FAILED
    with Session(engine) as session:
        copied = session.exec(
            select(TestResult).where(TestResult.execution_run_id == by_candidate[second.id].id)
        ).all()
    assert [t.outcome for t in copied] == ["failed"]


def test_sandbox_errors_are_not_cached_and_are_replaced_on_rerun(engine: Engine) -> None:
    (prompt,) = add_humaneval_batch(engine, BATCH, [0])
    broken_env = "def f():\n    return 1  # sandbox-error\n"
    candidate = add_candidate(engine, prompt, broken_env)
    report, _ = execute(engine, ScriptedSandbox())
    assert report.sandbox_errors == 1

    fixed = ScriptedSandbox()
    fixed.run = lambda job: ExecutionOutcome(verdict=Verdict.PASSED, backend="scripted")  # type: ignore[method-assign]
    report, _ = execute(engine, fixed)

    assert report.executed == 1 and report.sandbox_errors == 0
    own = [r for r in runs(engine) if r.candidate_id == candidate.id]
    assert [r.verdict for r in own] == [Verdict.PASSED]


def test_a_sampled_candidate_whose_verdict_changes_makes_its_prompt_flaky(
    engine: Engine,
) -> None:
    (prompt,) = add_humaneval_batch(engine, BATCH, [0])
    add_candidate(engine, prompt, "def f():\n    return 1  # flaky\n")

    report, _ = execute(engine, ScriptedSandbox(), stability_sample_rate=1.0)

    row = prompt_row(engine, prompt)
    assert (row.status, row.gradable, row.stable) == (PromptStatus.FLAKY, True, False)
    assert sorted(r.attempt for r in runs(engine)) == [1, 1, 2, 2]
    assert report.flaky == 1 and report.stable == 0


@pytest.mark.parametrize(
    ("candidate_code", "max_rate", "passes"),
    [
        ("def f():\n    return 1\n", 0.02, True),
        ("def f():\n    return 1  # sandbox-error\n", 0.02, False),
        ("def f():\n    return 1  # sandbox-error\n", 0.6, True),
    ],
)
def test_the_gate_needs_verdicts_and_few_sandbox_errors(
    engine: Engine, candidate_code: str, max_rate: float, passes: bool
) -> None:
    (prompt,) = add_humaneval_batch(engine, BATCH, [0])
    add_candidate(engine, prompt, candidate_code)
    execute(engine, ScriptedSandbox())
    config = FactoryConfig.model_validate({"sandbox": {"max_sandbox_error_rate": max_rate}})

    frame = load_frame(StageContext(config, engine), BATCH)
    result = run_suite(build_suite(config), frame)

    assert len(frame) == 2  # the reference and the candidate
    assert result.success is passes


def test_the_gate_fails_when_a_candidate_never_ran(engine: Engine) -> None:
    (prompt,) = add_humaneval_batch(engine, BATCH, [0])
    execute(engine, ScriptedSandbox())
    add_candidate(engine, prompt, "def f():\n    return 1\n")  # arrived after the run
    config = FactoryConfig()

    result = run_suite(build_suite(config), load_frame(StageContext(config, engine), BATCH))

    assert not result.success
    assert "expect_column_values_to_not_be_null(verdict)" in result.summary()
