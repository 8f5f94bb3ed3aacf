"""Sandbox output of any bytes is stored on SQLite and PostgreSQL, escaped and marked, with its
verdict; output the database still refuses never costs the verdict or the rest of the chunk."""

import pytest
from generation_builder import add_candidate, add_humaneval_batch
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from factory.execution import stage
from factory.execution.stage import run_execution
from factory.models import ExecutionRun, QuarantinedRecord, TestResult
from factory.sandbox import ExecutionJob, ExecutionOutcome, open_sandbox
from factory.sandbox.job import TestOutcome as Outcome  # a Test* name pytest would collect
from factory.settings import SandboxSettings
from factory.vocab import Verdict

BATCH = "batch-bytes"
IMAGE = "factory-sandbox:test"
NOISY = "def f():\n    return 1  # noisy\n"
QUIET = "def f():\n    return 1\n"
# What a candidate can make the sandbox report: NUL, undecodable bytes (already replaced),
# terminal escapes, and lone surrogates from a JSON test report.
NOISY_STDOUT = "nul\x00 bad\ufffd\ufffd esc\x1b[31m bell\x07"
NOISY_STDERR = "err\x00\n"
NOISY_MESSAGE = "AssertionError: 'x\x00y' != '\ud800'"
CLEAN_ERROR = "AssertionError"  # and no stderr: only the hostile part under test is hostile


class NoisySandbox:
    """Fails candidates marked '# noisy' with hostile output; passes everything else quietly."""

    backend = "scripted"

    def __init__(
        self,
        stdout: str = NOISY_STDOUT,
        test_name: str = "test_f",
        error_type: str = "Assertion\x00Error",
    ) -> None:
        self.stdout = stdout
        self.test_name = test_name
        self.error_type = error_type
        self.jobs = 0

    def run_many(self, jobs: list[ExecutionJob]) -> list[ExecutionOutcome]:
        self.jobs += len(jobs)
        return [self._run(job) for job in jobs]

    def _run(self, job: ExecutionJob) -> ExecutionOutcome:
        if "# noisy" not in job.code:
            return ExecutionOutcome(
                verdict=Verdict.PASSED,
                tests=[Outcome("test_f", "passed", "", 0.01)],
                stdout="fine\n",
                backend=self.backend,
                image=IMAGE,
            )
        return ExecutionOutcome(
            verdict=Verdict.FAILED,
            tests=[Outcome(self.test_name, "failed", NOISY_MESSAGE, 0.01)],
            error_type=self.error_type,
            stdout=self.stdout,
            stderr=NOISY_STDERR if self.error_type != CLEAN_ERROR else "",
            backend=self.backend,
            image=IMAGE,
        )

    def close(self) -> None:
        pass


def _execute(engine: Engine, sandbox: object) -> stage.ExecutionReport:
    return run_execution(
        engine=engine,
        batch_id=BATCH,
        settings=SandboxSettings(stability_sample_rate=0.0),
        open_sandbox=lambda: sandbox,  # type: ignore[arg-type,return-value]
        image=IMAGE,
    )


def _runs(engine: Engine) -> dict[int, ExecutionRun]:
    with Session(engine) as session:
        rows = session.exec(select(ExecutionRun).order_by(col(ExecutionRun.id))).all()
    return {row.candidate_id: row for row in rows if row.attempt == 1}


def _tests(engine: Engine, run: ExecutionRun) -> list[TestResult]:
    with Session(engine) as session:
        return list(
            session.exec(select(TestResult).where(TestResult.execution_run_id == run.id)).all()
        )


def _quarantined(engine: Engine) -> list[QuarantinedRecord]:
    with Session(engine) as session:
        return list(session.exec(select(QuarantinedRecord)).all())


def test_output_of_any_characters_is_stored_escaped_with_its_verdict(engine: Engine) -> None:
    (prompt,) = add_humaneval_batch(engine, BATCH, [0])
    noisy = add_candidate(engine, prompt, NOISY, model="a")
    quiet = add_candidate(engine, prompt, QUIET, model="b")

    report = _execute(engine, NoisySandbox())

    runs = _runs(engine)
    loud = runs[noisy.id]
    assert loud.verdict == Verdict.FAILED and loud.output_escaped
    assert loud.stdout == "nul\\x00 bad\ufffd\ufffd esc\\x1b[31m bell\\x07"
    assert (loud.stderr, loud.error_type) == ("err\\x00\n", "Assertion\\x00Error")
    (test,) = _tests(engine, loud)
    assert test.output_escaped and test.message == "AssertionError: 'x\\x00y' != '\\ud800'"
    assert runs[quiet.id].verdict == Verdict.PASSED and not runs[quiet.id].output_escaped
    assert not _tests(engine, runs[quiet.id])[0].output_escaped
    assert report.verdicts == {"failed": 1, "passed": 1} and not _quarantined(engine)

    again = NoisySandbox()
    rerun = _execute(engine, again)
    assert again.jobs == 0 and rerun.executed == 0
    assert {cid: r.id for cid, r in _runs(engine).items()} == {cid: r.id for cid, r in runs.items()}


def test_a_real_candidate_printing_nul_and_raw_bytes_gets_its_verdict(engine: Engine) -> None:
    (prompt,) = add_humaneval_batch(engine, BATCH, [0])
    code = (
        "import sys\n"
        "def has_close_elements(numbers, threshold):\n"
        "    sys.stdout.buffer.write(b'nul\\x00 raw\\xff\\xfe esc\\x1b[0m')\n"
        "    sys.stdout.flush()\n"
        "    sys.stderr.write('err\\x00\\n')\n"
        "    return 'x\\x00y'\n"
    )
    candidate = add_candidate(engine, prompt, code)
    settings = SandboxSettings(backend="unsafe-local", pool_size=1, stability_sample_rate=0.0)
    report = run_execution(
        engine=engine,
        batch_id=BATCH,
        settings=settings,
        open_sandbox=lambda: open_sandbox(settings),
        image=IMAGE,
    )
    run = _runs(engine)[candidate.id]
    assert run.verdict == Verdict.FAILED and report.verdicts == {"failed": 1}
    assert run.output_escaped and "nul\\x00 raw" in run.stdout and "\x00" not in run.stdout
    assert "err\\x00" in run.stderr


def test_output_the_database_refuses_is_dropped_and_the_verdict_kept(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With escaping off, the lone surrogate reaches the driver, which cannot encode it on
    # either database: only that candidate's output is lost, and it is quarantined.
    monkeypatch.setattr(stage, "escape_unstorable", lambda text: (text, False))
    (prompt,) = add_humaneval_batch(engine, BATCH, [0])
    noisy = add_candidate(engine, prompt, NOISY, model="a")
    quiet = add_candidate(engine, prompt, QUIET, model="b")

    _execute(engine, NoisySandbox(stdout="surrogate \udc80 here", error_type=CLEAN_ERROR))

    runs = _runs(engine)
    loud = runs[noisy.id]
    assert loud.verdict == Verdict.FAILED and loud.tests_total == 1
    assert loud.stdout == "" and loud.stderr.startswith("the output could not be stored: ")
    assert [t.outcome for t in _tests(engine, loud)] == ["failed"]
    assert runs[quiet.id].verdict == Verdict.PASSED and runs[quiet.id].stdout == "fine\n"
    (row,) = _quarantined(engine)
    assert (row.stage, row.reason_code, row.prompt_id) == (
        "execution",
        "output_not_stored",
        prompt.id,
    )
    assert row.reason.startswith(f"candidate {noisy.id} (model 'a'), attempt 1: the database")
    assert (
        "UnicodeEncodeError" in row.reason and "verdict and test outcomes were stored" in row.reason
    )

    again = NoisySandbox()
    assert _execute(engine, again).executed == 0 and again.jobs == 0
    assert len(_quarantined(engine)) == 1


def test_a_run_that_cannot_be_stored_at_all_runs_again_later(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stage, "escape_unstorable", lambda text: (text, False))
    (prompt,) = add_humaneval_batch(engine, BATCH, [0])
    noisy = add_candidate(engine, prompt, NOISY, model="a")
    quiet = add_candidate(engine, prompt, QUIET, model="b")

    _execute(engine, NoisySandbox(test_name="test_\ud800", error_type=CLEAN_ERROR))

    runs = _runs(engine)
    assert noisy.id not in runs and runs[quiet.id].verdict == Verdict.PASSED
    (row,) = _quarantined(engine)
    assert "it runs again at the next materialisation" in row.reason

    monkeypatch.undo()
    again = NoisySandbox(test_name="test_\ud800", error_type=CLEAN_ERROR)
    _execute(engine, again)
    assert again.jobs == 1 and _runs(engine)[noisy.id].verdict == Verdict.FAILED
    assert len(_quarantined(engine)) == 1


@pytest.mark.postgres
def test_postgres_refuses_a_nul_that_escaping_would_have_saved(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stage, "escape_unstorable", lambda text: (text, False))
    (prompt,) = add_humaneval_batch(pg_engine, BATCH, [0])
    noisy = add_candidate(pg_engine, prompt, NOISY)

    _execute(pg_engine, NoisySandbox(stdout="nul\x00", error_type=CLEAN_ERROR))

    assert _runs(pg_engine)[noisy.id].verdict == Verdict.FAILED
    (row,) = _quarantined(pg_engine)
    assert "cannot contain NUL" in row.reason
