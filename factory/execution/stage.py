"""Run one batch's candidates in the sandbox: references first, the gradable and stable cuts.

1. Every prompt gets a reference Candidate (source and model "reference", code = the prompt's
   reference solution).
2. References run twice. A prompt whose reference does not pass is quarantined as
   `not_gradable`; a reference whose two verdicts differ makes the prompt `flaky` (stable=False,
   kept out of releases). A reference that only met sandbox errors leaves the prompt undecided.
3. The other candidates of gradable prompts run once; a seeded sample
   (`stability_sample_rate`) runs twice, and a verdict that changes makes the prompt flaky.

A run is reused, never repeated, when a run with a verdict exists for the same candidate and
attempt, or (first attempts) for the same cache key in any batch. Sandbox errors are not reused:
they are replaced by the next run. Results are written in chunks, so an interrupted run keeps
what it finished, and each outcome in its own SAVEPOINT: output of any bytes is stored escaped
(`output_escaped`), and output the database still refuses is dropped with the candidate
quarantined (`output_not_stored`), its verdict kept and the rest of the chunk stored.
"""

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from sqlalchemy import Engine
from sqlmodel import Session, col, delete, select

from factory.db import session_scope
from factory.execution.cache_key import execution_cache_key
from factory.execution.sampling import in_stability_sample
from factory.languages import supported_languages
from factory.models import (
    Batch,
    Candidate,
    ExecutionRun,
    Prompt,
    QuarantinedRecord,
    TestResult,
    stored_id,
)
from factory.models.generation import code_sha256
from factory.models.storable_text import WRITE_REFUSALS, database_reason, escape_unstorable
from factory.sandbox import ExecutionJob, ExecutionOutcome, Sandbox
from factory.sandbox.job import TestStyle
from factory.settings import SandboxSettings
from factory.stages.context import StageContext
from factory.stages.report import Markdown, Metadata, StageReport, markdown_table
from factory.vocab import CandidateSource, PromptStatus, Verdict

log = logging.getLogger(__name__)

STAGE = "execution"
REFERENCE_MODEL = "reference"
NOT_GRADABLE = "not_gradable"
UNSUPPORTED_LANGUAGE = "unsupported_language"
OUTPUT_NOT_STORED = "output_not_stored"
CHUNK = 64


@dataclass
class ExecutionReport(StageReport):
    batch_id: str
    received: int = 0
    accepted: int = 0
    gradable: int = 0
    stable: int = 0
    not_gradable: int = 0
    flaky: int = 0
    undecided: int = 0
    candidates: int = 0
    executed: int = 0
    reused: int = 0
    sandbox_errors: int = 0
    backend: str = ""
    image: str = ""
    verdicts: Counter[str] = field(default_factory=Counter)
    reference_verdicts: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        return (
            f"batch {self.batch_id}: {self.gradable}/{self.accepted} prompts gradable, "
            f"{self.stable} stable; {self.executed} runs executed, {self.reused} reused"
        )

    def row_count(self) -> int:
        return self.candidates

    def metadata(self) -> Metadata:
        funnel = [[self.received, self.accepted, self.gradable, self.stable]]
        return {
            "funnel": Markdown(
                markdown_table(["received", "accepted", "gradable", "stable"], funnel)
            ),
            "funnel_received": self.received,
            "funnel_accepted": self.accepted,
            "funnel_gradable": self.gradable,
            "funnel_stable": self.stable,
            "not_gradable": self.not_gradable,
            "flaky": self.flaky,
            "undecided": self.undecided,
            "candidates": self.candidates,
            "executed": self.executed,
            "reused": self.reused,
            "sandbox_errors": self.sandbox_errors,
            "backend": self.backend or "none (everything reused)",
            "image": self.image,
            "verdicts": dict(sorted(self.verdicts.items())),
            "reference_verdicts": dict(sorted(self.reference_verdicts.items())),
        }


@dataclass(frozen=True)
class _Pending:
    candidate_id: int
    prompt_id: int
    attempt: int
    job: ExecutionJob
    cache_key: str


class _LazySandbox:
    """Opens the sandbox only when something really has to run (a cached rerun needs none)."""

    def __init__(self, opener: Callable[[], Sandbox]) -> None:
        self._opener = opener
        self.sandbox: Sandbox | None = None

    def get(self) -> Sandbox:
        if self.sandbox is None:
            self.sandbox = self._opener()
        return self.sandbox

    def close(self) -> None:
        if self.sandbox is not None:
            self.sandbox.close()


def run(ctx: StageContext, batch_id: str) -> ExecutionReport:
    """Execute batch `batch_id` in the sandbox `config.sandbox` names."""
    return run_execution(
        engine=ctx.engine,
        batch_id=batch_id,
        settings=ctx.config.sandbox,
        open_sandbox=ctx.open_sandbox,
        image=ctx.sandbox_image(),
    )


def run_execution(
    *,
    engine: Engine,
    batch_id: str,
    settings: SandboxSettings,
    open_sandbox: Callable[[], Sandbox],
    image: str,
) -> ExecutionReport:
    """Execute batch `batch_id`; `image` is the sandbox image tag that goes into cache keys."""
    report = ExecutionReport(batch_id=batch_id, image=image)
    lazy = _LazySandbox(open_sandbox)
    try:
        with session_scope(engine) as session:
            prompts = _prompts(session, batch_id)
            _refuse_unsupported(session, prompts)
            references = _ensure_references(session, prompts)
        runnable = {stored_id(p): p for p in prompts if p.language in supported_languages()}
        ref_work = [
            (cand, runnable[cand.prompt_id], attempt)
            for cand in references
            if cand.prompt_id in runnable
            for attempt in (1, 2)
        ]
        _execute(engine, batch_id, ref_work, settings, lazy, image, report)
        with session_scope(engine) as session:
            gradable_ids = _decide_gradable(session, batch_id, list(runnable))
        with session_scope(engine) as session:
            others = session.exec(
                select(Candidate)
                .where(Candidate.batch_id == batch_id)
                .where(col(Candidate.prompt_id).in_(gradable_ids or [-1]))
                .where(Candidate.source != CandidateSource.REFERENCE)
                .order_by(col(Candidate.id))
            ).all()
        rate = settings.stability_sample_rate
        work = [
            (cand, runnable[cand.prompt_id], attempt)
            for cand in others
            for attempt in (
                (1, 2) if in_stability_sample(stored_id(cand), cand.code_sha256, rate) else (1,)
            )
        ]
        _execute(engine, batch_id, work, settings, lazy, image, report)
        with session_scope(engine) as session:
            _mark_unstable_candidates(session, batch_id)
            _fill_funnel(session, batch_id, report)
    finally:
        if lazy.sandbox is not None:
            report.backend = lazy.sandbox.backend
        lazy.close()
    return report


def _prompts(session: Session, batch_id: str) -> list[Prompt]:
    """The prompts there is something to run for: a reference solution and tests. A prompt
    brought for authoring has neither yet; its authored solution is checked on submit."""
    return list(
        session.exec(
            select(Prompt)
            .where(Prompt.batch_id == batch_id, Prompt.reference_solution != "", Prompt.tests != "")
            .order_by(col(Prompt.line_no))
        ).all()
    )


def _quarantine_row(prompt: Prompt, code: str, reason: str, raw_text: str) -> QuarantinedRecord:
    """The execution stage's quarantine row for a prompt."""
    return QuarantinedRecord(
        batch_id=prompt.batch_id,
        stage=STAGE,
        line_no=prompt.line_no,
        external_id=prompt.external_id,
        prompt_id=stored_id(prompt),
        reason_code=code,
        reason=reason,
        raw_text=raw_text,
    )


def _quarantine(session: Session, prompt: Prompt, code: str, reason: str) -> None:
    """One quarantine row per prompt and reason, however often the stage reruns."""
    exists = session.exec(
        select(QuarantinedRecord.id)
        .where(QuarantinedRecord.prompt_id == prompt.id)
        .where(QuarantinedRecord.stage == STAGE)
        .where(QuarantinedRecord.reason_code == code)
    ).first()
    if exists is None:
        session.add(_quarantine_row(prompt, code, reason, prompt.reference_solution))


def _refuse_unsupported(session: Session, prompts: list[Prompt]) -> None:
    for prompt in prompts:
        if prompt.language not in supported_languages():
            prompt.status, prompt.gradable = PromptStatus.NOT_GRADABLE, False
            session.add(prompt)
            _quarantine(
                session,
                prompt,
                UNSUPPORTED_LANGUAGE,
                f"prompt {prompt.external_id!r}: the sandbox has no runner for "
                f"{prompt.language!r} (it runs {', '.join(supported_languages())}); remove it "
                "from the batch or add a language plug-in",
            )


def _ensure_references(session: Session, prompts: list[Prompt]) -> list[Candidate]:
    existing = {
        cand.prompt_id: cand
        for cand in session.exec(
            select(Candidate)
            .where(col(Candidate.prompt_id).in_([p.id for p in prompts] or [-1]))
            .where(Candidate.source == CandidateSource.REFERENCE)
        ).all()
    }
    references = []
    for prompt in prompts:
        code = prompt.reference_solution
        cand = existing.get(stored_id(prompt))
        if cand is None:
            cand = Candidate(
                prompt_id=stored_id(prompt),
                batch_id=prompt.batch_id,
                source=CandidateSource.REFERENCE,
                model=REFERENCE_MODEL,
                sample_index=0,
                code=code,
                code_sha256=code_sha256(code),
                extraction="reference",  # not extracted from a reply: taken as is
                provenance="the prompt's reference solution",
            )
            session.add(cand)
        elif cand.code != code:  # the prompt's reference was corrected: follow it
            cand.code, cand.code_sha256 = code, code_sha256(code)
            session.add(cand)
        references.append(cand)
    session.flush()
    return references


def _job(prompt: Prompt, code: str, settings: SandboxSettings) -> ExecutionJob:
    return ExecutionJob(
        code=code,
        tests=prompt.tests,
        entry_point=prompt.entry_point,
        test_style=job_test_style(prompt.language, prompt.test_style),
        timeout_s=settings.timeout_s,
        compile_timeout_s=settings.compile_timeout_s,
        memory_mb=settings.memory_mb,
        language=prompt.language,
    )


def job_test_style(language: str, test_style: str) -> TestStyle:
    """The sandbox's test style for a prompt's: Python's are check or pytest (the default);
    every other language's are native (the default) or program."""
    if language == "python":
        return "check" if test_style == "check" else "pytest"
    return "program" if test_style == "program" else "native"


def _execute(
    engine: Engine,
    batch_id: str,
    work: Iterable[tuple[Candidate, Prompt, int]],
    settings: SandboxSettings,
    lazy: _LazySandbox,
    image: str,
    report: ExecutionReport,
) -> None:
    pending: list[_Pending] = []
    pending_keys: set[str] = set()
    duplicates: list[tuple[Candidate, str]] = []  # same key as a pending first attempt
    with session_scope(engine) as session:
        for cand, prompt, attempt in work:
            problem = ""
            try:
                job = _job(prompt, cand.code, settings)
            except ValueError as exc:
                # e.g. a HumanEval-style prompt without an entry point: the prompt's fault.
                job, problem = None, f"prompt {prompt.external_id!r} cannot run: {exc}"
                log.warning(problem)
            key = execution_cache_key(job, image=image) if job else "invalid-" + "0" * 56
            if _have_verdict(session, stored_id(cand), attempt):
                report.reused += 1
                continue
            if job is None:
                _save(session, cand, batch_id, attempt, key, _invalid_outcome(problem, image))
                continue
            if attempt == 1 and _copy_cached(session, cand, batch_id, key):
                report.reused += 1
                continue
            if attempt == 1 and key in pending_keys:
                duplicates.append((cand, key))
                continue
            if attempt == 1:
                pending_keys.add(key)
            pending.append(_Pending(stored_id(cand), cand.prompt_id, attempt, job, key))
    if pending:
        _run_pending(engine, batch_id, pending, lazy, report)
    with session_scope(engine) as session:
        for cand, key in duplicates:
            if _copy_cached(session, cand, batch_id, key):
                report.reused += 1
            else:  # its twin met a sandbox error: it runs at the next materialisation
                _save(session, cand, batch_id, 1, key, _unrun_outcome(image))


def _unrun_outcome(image: str) -> ExecutionOutcome:
    return ExecutionOutcome(
        verdict=Verdict.SANDBOX_ERROR,
        error_type="NotRun",
        stderr="an identical job met a sandbox error; it runs again at the next materialisation",
        image=image,
    )


def _run_pending(
    engine: Engine,
    batch_id: str,
    pending: list[_Pending],
    lazy: _LazySandbox,
    report: ExecutionReport,
) -> None:
    sandbox = lazy.get()
    for start in range(0, len(pending), CHUNK):
        chunk = pending[start : start + CHUNK]
        outcomes = sandbox.run_many([p.job for p in chunk])
        with session_scope(engine) as session:
            for item, outcome in zip(chunk, outcomes, strict=True):
                cand = session.get(Candidate, item.candidate_id)
                assert cand is not None
                _save(session, cand, batch_id, item.attempt, item.cache_key, outcome)
                report.executed += 1


def _invalid_outcome(reason: str, image: str) -> ExecutionOutcome:
    return ExecutionOutcome(
        verdict=Verdict.ERROR, error_type="TestCodeError", stderr=reason, image=image
    )


def _have_verdict(session: Session, candidate_id: int, attempt: int) -> bool:
    return (
        session.exec(
            select(ExecutionRun.id)
            .where(ExecutionRun.candidate_id == candidate_id)
            .where(ExecutionRun.attempt == attempt)
            .where(ExecutionRun.verdict != Verdict.SANDBOX_ERROR)
        ).first()
        is not None
    )


def _copy_cached(session: Session, cand: Candidate, batch_id: str, key: str) -> bool:
    """Reuse a first-attempt verdict for the same key (another candidate or batch)."""
    cached = session.exec(
        select(ExecutionRun)
        .where(ExecutionRun.cache_key == key)
        .where(ExecutionRun.attempt == 1)
        .where(ExecutionRun.verdict != Verdict.SANDBOX_ERROR)
        .order_by(col(ExecutionRun.id))
    ).first()
    if cached is None:
        return False
    tests = session.exec(
        select(TestResult)
        .where(TestResult.execution_run_id == cached.id)
        .order_by(col(TestResult.id))
    ).all()
    _drop_sandbox_errors(session, stored_id(cand), 1)
    run = ExecutionRun(
        **cached.model_dump(exclude={"id", "candidate_id", "prompt_id", "batch_id", "created_at"}),
        candidate_id=stored_id(cand),
        prompt_id=cand.prompt_id,
        batch_id=batch_id,
    )
    session.add(run)
    session.flush()
    for test in tests:
        session.add(
            TestResult(
                **test.model_dump(exclude={"id", "execution_run_id"}),
                execution_run_id=stored_id(run),
            )
        )
    return True


def _drop_sandbox_errors(session: Session, candidate_id: int, attempt: int) -> None:
    stale = session.exec(
        select(ExecutionRun.id)
        .where(ExecutionRun.candidate_id == candidate_id)
        .where(ExecutionRun.attempt == attempt)
        .where(ExecutionRun.verdict == Verdict.SANDBOX_ERROR)
    ).all()
    if stale:
        session.exec(delete(TestResult).where(col(TestResult.execution_run_id).in_(stale)))
        session.exec(delete(ExecutionRun).where(col(ExecutionRun.id).in_(stale)))


def _save(
    session: Session,
    cand: Candidate,
    batch_id: str,
    attempt: int,
    key: str,
    outcome: ExecutionOutcome,
) -> None:
    """Store one outcome in its own SAVEPOINT, so one candidate's output never aborts the rest.

    Output the database still refuses (after escaping) is dropped and the candidate quarantined
    with the database's reason; the verdict and test outcomes are stored all the same.
    """
    refusal = _isolated(session, lambda: _write_run(session, cand, batch_id, attempt, key, outcome))
    if refusal is None:
        return
    log.warning("candidate %s: output not stored: %s", cand.id, refusal)
    bare = replace(
        outcome,
        stdout="",
        compile_output="",
        stderr=f"the output could not be stored: {refusal}",
        tests=[test._replace(message="") for test in outcome.tests],
    )
    stored = _isolated(session, lambda: _write_run(session, cand, batch_id, attempt, key, bare))
    _quarantine_output(session, cand, attempt, refusal, verdict_kept=stored is None)


def _isolated(session: Session, write: Callable[[], None]) -> str | None:
    """Run `write` in a SAVEPOINT; None when it was stored, else the database's reason."""
    try:
        with session.begin_nested():
            write()
            session.flush()
    except WRITE_REFUSALS as exc:
        return database_reason(exc)
    return None


def _write_run(
    session: Session,
    cand: Candidate,
    batch_id: str,
    attempt: int,
    key: str,
    outcome: ExecutionOutcome,
) -> None:
    # Candidates print anything (NUL, bytes decoded with replacement, lone surrogates from JSON
    # test reports): such characters are stored escaped, and the row says so.
    stdout, stdout_escaped = escape_unstorable(outcome.stdout)
    stderr, stderr_escaped = escape_unstorable(outcome.stderr)
    compile_output, compile_escaped = escape_unstorable(outcome.compile_output)
    error_type, type_escaped = escape_unstorable(outcome.error_type or "")
    _drop_sandbox_errors(session, stored_id(cand), attempt)
    run = ExecutionRun(
        candidate_id=stored_id(cand),
        prompt_id=cand.prompt_id,
        batch_id=batch_id,
        cache_key=key,
        attempt=attempt,
        backend=outcome.backend,
        image=outcome.image,
        verdict=outcome.verdict,
        error_type=error_type[:200] if outcome.error_type is not None else None,
        tests_total=outcome.tests_total,
        tests_passed=outcome.tests_passed,
        wall_time_s=outcome.wall_time_s,
        peak_memory_kb=outcome.peak_memory_kb,
        stdout=stdout,
        stderr=stderr,
        compile_output=compile_output,
        compile_time_s=outcome.compile_time_s,
        output_escaped=stdout_escaped or stderr_escaped or type_escaped or compile_escaped,
    )
    session.add(run)
    session.flush()
    for test in outcome.tests:
        name, name_escaped = escape_unstorable(test.name)
        message, message_escaped = escape_unstorable(test.message)
        session.add(
            TestResult(
                execution_run_id=stored_id(run),
                name=name[:300],
                outcome=test.outcome,
                message=message,
                duration_s=test.duration_s,
                output_escaped=name_escaped or message_escaped,
            )
        )


def _quarantine_output(
    session: Session, cand: Candidate, attempt: int, refusal: str, *, verdict_kept: bool
) -> None:
    """One row per candidate and attempt whose output the database refused."""
    prompt = session.get(Prompt, cand.prompt_id)
    assert prompt is not None
    where = f"candidate {cand.id} (model {cand.model!r}), attempt {attempt}"
    exists = session.exec(
        select(QuarantinedRecord.id)
        .where(QuarantinedRecord.prompt_id == prompt.id)
        .where(QuarantinedRecord.stage == STAGE)
        .where(QuarantinedRecord.reason_code == OUTPUT_NOT_STORED)
        .where(col(QuarantinedRecord.reason).startswith(where + ":"))
    ).first()
    if exists is not None:
        return
    kept = (
        "its verdict and test outcomes were stored without the output"
        if verdict_kept
        else "nothing of the run could be stored; it runs again at the next materialisation"
    )
    reason = f"{where}: the database refused its output ({refusal}); {kept}"
    session.add(_quarantine_row(prompt, OUTPUT_NOT_STORED, reason, escape_unstorable(cand.code)[0]))
    session.flush()


def _verdicts_by_candidate(session: Session, batch_id: str) -> dict[int, dict[int, str]]:
    """candidate id -> attempt -> verdict, over the batch's latest run of each attempt."""
    rows = session.exec(
        select(ExecutionRun.candidate_id, ExecutionRun.attempt, ExecutionRun.verdict)
        .where(ExecutionRun.batch_id == batch_id)
        .order_by(col(ExecutionRun.id))
    ).all()
    result: dict[int, dict[int, str]] = {}
    for candidate_id, attempt, verdict in rows:
        result.setdefault(candidate_id, {})[attempt] = verdict
    return result


def _decide_gradable(session: Session, batch_id: str, prompt_ids: list[int]) -> list[int]:
    """Set gradable/stable/status from the reference runs; the ids of gradable prompts."""
    verdicts = _verdicts_by_candidate(session, batch_id)
    references = session.exec(
        select(Candidate)
        .where(col(Candidate.prompt_id).in_(prompt_ids or [-1]))
        .where(Candidate.source == CandidateSource.REFERENCE)
    ).all()
    gradable = []
    for ref in references:
        prompt = session.get(Prompt, ref.prompt_id)
        assert prompt is not None
        first, second = (verdicts.get(stored_id(ref), {}).get(a) for a in (1, 2))
        if Verdict.SANDBOX_ERROR in (first, second) or first is None or second is None:
            prompt.gradable = prompt.stable = None  # undecided: the factory's fault
        elif first != Verdict.PASSED and second != Verdict.PASSED:
            prompt.status, prompt.gradable, prompt.stable = PromptStatus.NOT_GRADABLE, False, None
            _quarantine(
                session,
                prompt,
                NOT_GRADABLE,
                f"prompt {prompt.external_id!r}: its reference solution does not pass its own "
                f"tests (verdict {first}); fix the reference or the tests and resubmit",
            )
        elif first != second:
            prompt.status, prompt.gradable, prompt.stable = PromptStatus.FLAKY, True, False
            gradable.append(stored_id(prompt))
        else:
            prompt.status, prompt.gradable, prompt.stable = PromptStatus.ACCEPTED, True, True
            gradable.append(stored_id(prompt))
        session.add(prompt)
    return gradable


def _mark_unstable_candidates(session: Session, batch_id: str) -> None:
    """A sampled candidate whose two verdicts differ makes its prompt flaky."""
    verdicts = _verdicts_by_candidate(session, batch_id)
    changed = [
        cid
        for cid, runs in verdicts.items()
        if 1 in runs
        and 2 in runs
        and Verdict.SANDBOX_ERROR not in (runs[1], runs[2])
        and runs[1] != runs[2]
    ]
    if not changed:
        return
    prompt_ids = set(
        session.exec(select(Candidate.prompt_id).where(col(Candidate.id).in_(changed))).all()
    )
    for prompt_id in prompt_ids:
        prompt = session.get(Prompt, prompt_id)
        if prompt is not None and prompt.gradable:
            prompt.status, prompt.stable = PromptStatus.FLAKY, False
            session.add(prompt)


def _fill_funnel(session: Session, batch_id: str, report: ExecutionReport) -> None:
    batch = session.get(Batch, batch_id)
    prompts = _prompts(session, batch_id)
    report.received = batch.received if batch is not None else len(prompts)
    report.accepted = len(prompts)
    report.gradable = sum(1 for p in prompts if p.gradable)
    report.stable = sum(1 for p in prompts if p.gradable and p.stable)
    report.not_gradable = sum(1 for p in prompts if p.gradable is False)
    report.flaky = sum(1 for p in prompts if p.status == PromptStatus.FLAKY)
    report.undecided = sum(1 for p in prompts if p.gradable is None)
    sources = dict(
        session.exec(
            select(Candidate.id, Candidate.source).where(Candidate.batch_id == batch_id)
        ).all()
    )
    report.candidates = sum(1 for s in sources.values() if s != CandidateSource.REFERENCE)
    for candidate_id, runs in _verdicts_by_candidate(session, batch_id).items():
        verdict = runs.get(1)
        if verdict is None:
            continue
        target = (
            report.reference_verdicts
            if sources.get(candidate_id) == CandidateSource.REFERENCE
            else report.verdicts
        )
        target[verdict] += 1
        report.sandbox_errors += sum(1 for v in runs.values() if v == Verdict.SANDBOX_ERROR)
