"""Candidates for one batch: generated through the chat client and/or replayed from a file.

Which sources run is decided by the configuration alone (see `sources_for`):
- `base_url` set: every accepted prompt gets `candidates_per_prompt` samples from each model;
- `replay_file` set: its candidates are added (with or without a server);
- neither: the bundled demo replay file, so the demo works with the defaults.
Writes are idempotent: a candidate is keyed by (prompt, source, model, sample index) and updated
in place on a rerun; the batch's failure and quarantine rows from generation are replaced.
"""

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select

from factory.db import session_scope
from factory.errors import ConfigError
from factory.generation.client import ChatClient
from factory.generation.costs import CostLedger, cost_usd
from factory.generation.extraction import NONE, REPLAY, extract_code
from factory.generation.replay import ReplayRejection, demo_replay_path, read_replay
from factory.generation.requests import ChatRequest
from factory.generation.runner import Answer, answer_all
from factory.generation.templates import generation_messages
from factory.models import Candidate, GenerationFailure, Prompt, QuarantinedRecord, stored_id
from factory.models.generation import code_sha256
from factory.settings import GenerationSettings
from factory.vocab import CandidateSource, PromptStatus, needs_candidates

STAGE = "generation"


@dataclass(frozen=True, slots=True)
class Sources:
    generate: bool
    replay_path: Path | None
    demo: bool  # the replay file is the bundled demo file


def sources_for(settings: GenerationSettings) -> Sources:
    if settings.base_url and not settings.models:
        raise ConfigError("generation.base_url is set but generation.models is empty: list them")
    if settings.models and not settings.base_url:
        raise ConfigError(
            "generation.models is set but generation.base_url is empty: name the "
            "OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1"
        )
    if settings.replay_file:
        path = Path(settings.replay_file).expanduser()
        if not path.is_file():
            raise ConfigError(f"generation.replay_file {path} does not exist")
        return Sources(bool(settings.base_url), path, demo=False)
    if settings.base_url:
        return Sources(True, None, demo=False)
    return Sources(False, demo_replay_path(), demo=True)


@dataclass(slots=True)
class GenerationReport:
    batch_id: str
    sources: Sources
    prompts: int = 0
    candidates_written: int = 0
    candidates_updated: int = 0
    candidates_unchanged: int = 0
    failures: int = 0
    failures_by_type: Counter = field(default_factory=Counter)
    extraction: Counter = field(default_factory=Counter)
    replay_lines: int = 0
    replay_lines_other_batches: int = 0
    quarantined: int = 0
    prompts_without_candidates: list[str] = field(default_factory=list)
    ledger: CostLedger = field(default_factory=lambda: CostLedger(prices={}))

    def metadata(self) -> dict[str, Any]:
        return {
            "sources": {
                "generated": self.sources.generate,
                "replay_file": str(self.sources.replay_path or ""),
                "bundled_demo_file": self.sources.demo,
            },
            "prompts": self.prompts,
            "candidates_written": self.candidates_written,
            "candidates_updated": self.candidates_updated,
            "candidates_unchanged": self.candidates_unchanged,
            "failures": self.failures,
            "failures_by_type": dict(self.failures_by_type),
            "extraction": dict(self.extraction),
            "replay_lines_used": self.replay_lines,
            "replay_lines_for_other_batches": self.replay_lines_other_batches,
            "replay_lines_quarantined": self.quarantined,
            "prompts_without_candidates": len(self.prompts_without_candidates),
            "prompts_without_candidates_sample": self.prompts_without_candidates[:20],
            "requests_sent": self.ledger.requests_sent,
            "cost_usd": round(self.ledger.total_cost_usd, 6),
            "usage_by_model": self.ledger.as_dict(),
        }


def run_generation(
    *,
    engine: Engine,
    batch_id: str,
    settings: GenerationSettings,
    client: ChatClient | None,
) -> GenerationReport:
    sources = sources_for(settings)
    report = GenerationReport(batch_id, sources, ledger=CostLedger(prices=settings.prices))
    with Session(engine) as session:
        # Only prompts whose work is on candidates: authoring and reasoning need none, nor does
        # code brought by the record for review, fixing or refactoring (vocab.needs_candidates).
        prompts = [
            prompt
            for prompt in session.exec(
                select(Prompt)
                .where(Prompt.batch_id == batch_id, Prompt.status == PromptStatus.ACCEPTED)
                .order_by(col(Prompt.id))
            )
            if needs_candidates(
                prompt.task_type,
                prompt.work,
                brings_code=bool(prompt.subject_code.strip() or prompt.repo_task),
            )
        ]
    report.prompts = len(prompts)
    drafts: list[Candidate] = []
    failures: list[GenerationFailure] = []
    rejections: list[ReplayRejection] = []
    if sources.generate:
        if client is None:
            raise ConfigError("generation.base_url is set but no chat client was given")
        generated, failures = _generate(engine, prompts, settings, client, report.ledger)
        drafts.extend(generated)
    if sources.replay_path is not None:
        replayed, rejections = _replay(prompts, sources.replay_path, report)
        drafts.extend(replayed)
    with session_scope(engine) as session:
        _replace_failures(session, batch_id, failures, rejections, batch_prompts=prompts)
        for draft in drafts:
            _upsert(session, draft, report)
    report.failures = len(failures)
    report.failures_by_type.update(failure.error_type for failure in failures)
    report.quarantined = len(rejections)
    report.extraction.update(draft.extraction for draft in drafts)
    covered = {draft.prompt_id for draft in drafts if draft.code.strip()}
    report.prompts_without_candidates = [p.external_id for p in prompts if p.id not in covered]
    return report


def build_request(
    prompt: Prompt, settings: GenerationSettings, model: str, index: int
) -> ChatRequest:
    messages = generation_messages(
        task_type=prompt.task_type,
        language=prompt.language,
        prompt=prompt.prompt,
        entry_point=prompt.entry_point,
    )
    return ChatRequest(
        model=model,
        messages=messages,
        temperature=settings.temperature,
        top_p=settings.top_p,
        max_tokens=settings.max_tokens,
        sample_index=index,
    )


def _generate(
    engine: Engine,
    prompts: list[Prompt],
    settings: GenerationSettings,
    client: ChatClient,
    ledger: CostLedger,
) -> tuple[list[Candidate], list[GenerationFailure]]:
    planned = [
        (prompt, build_request(prompt, settings, model, index))
        for prompt in prompts
        for model in settings.models
        for index in range(settings.candidates_per_prompt)
    ]
    answers = answer_all(
        engine=engine,
        client=client,
        requests=[request for _, request in planned],
        concurrency=settings.concurrency,
        ledger=ledger,
    )
    candidates, failures = [], []
    for (prompt, _request), answer in zip(planned, answers, strict=True):
        if answer.completion is None:
            failures.append(_failure(prompt, answer))
        else:
            candidates.append(_generated_candidate(prompt, answer, settings))
    return candidates, failures


def _generated_candidate(prompt: Prompt, answer: Answer, settings: GenerationSettings) -> Candidate:
    completion = answer.completion
    assert completion is not None
    extraction = extract_code(
        completion.text, language=prompt.language, entry_point=prompt.entry_point
    )
    request = answer.request
    return Candidate(
        prompt_id=stored_id(prompt),
        batch_id=prompt.batch_id,
        source=CandidateSource.GENERATED,
        model=request.model,
        sample_index=request.sample_index,
        request_sha256=request.sha256(),
        raw_reply=completion.text,
        code=extraction.code,
        code_sha256=code_sha256(extraction.code),
        extraction=extraction.method,
        prompt_tokens=completion.prompt_tokens,
        completion_tokens=completion.completion_tokens,
        cost_usd=cost_usd(
            settings.prices, request.model, completion.prompt_tokens, completion.completion_tokens
        ),
        provenance=f"generated by {request.model} (sample {request.sample_index})",
    )


def _failure(prompt: Prompt, answer: Answer) -> GenerationFailure:
    error = answer.error
    assert error is not None
    return GenerationFailure(
        prompt_id=prompt.id,  # type: ignore[arg-type]
        batch_id=prompt.batch_id,
        model=answer.request.model,
        sample_index=answer.request.sample_index,
        request_sha256=answer.request.sha256(),
        attempts=error.attempts,
        error_type=error.error_type,
        error=str(error),
    )


def _replay(
    prompts: list[Prompt], path: Path, report: GenerationReport
) -> tuple[list[Candidate], list[ReplayRejection]]:
    records, rejections = read_replay(path)
    by_external_id = {prompt.external_id: prompt for prompt in prompts}
    candidates = []
    for record in records:
        prompt = by_external_id.get(record.prompt_external_id)
        if prompt is None:
            report.replay_lines_other_batches += 1
            continue
        report.replay_lines += 1
        candidates.append(
            Candidate(
                prompt_id=stored_id(prompt),
                batch_id=prompt.batch_id,
                source=CandidateSource.REPLAY,
                model=record.model,
                sample_index=record.sample_index,
                raw_reply=record.code,
                code=record.code,
                code_sha256=code_sha256(record.code),
                extraction=REPLAY,
                provenance=record.provenance,
            )
        )
    return candidates, rejections


def _replace_failures(
    session: Session,
    batch_id: str,
    failures: list[GenerationFailure],
    rejections: list[ReplayRejection],
    *,
    batch_prompts: list[Prompt],
) -> None:
    session.exec(delete(GenerationFailure).where(col(GenerationFailure.batch_id) == batch_id))
    session.exec(
        delete(QuarantinedRecord).where(
            col(QuarantinedRecord.batch_id) == batch_id, col(QuarantinedRecord.stage) == STAGE
        )
    )
    session.add_all(failures)
    by_external_id = {prompt.external_id: prompt for prompt in batch_prompts}
    for rejection in rejections:
        prompt = by_external_id.get(rejection.error.record_id or "")
        session.add(
            QuarantinedRecord(
                batch_id=batch_id,
                stage=STAGE,
                line_no=rejection.line_no,
                external_id=(rejection.error.record_id or None),
                prompt_id=prompt.id if prompt else None,
                reason_code=rejection.error.code,
                reason=f"replay file: {rejection.error.reason}",
                raw_text=rejection.raw_text,
            )
        )


_UPDATABLE = (
    "batch_id",
    "request_sha256",
    "raw_reply",
    "code",
    "code_sha256",
    "extraction",
    "prompt_tokens",
    "completion_tokens",
    "cost_usd",
    "provenance",
)


def _upsert(session: Session, draft: Candidate, report: GenerationReport) -> None:
    existing = session.exec(
        select(Candidate).where(
            Candidate.prompt_id == draft.prompt_id,
            Candidate.source == draft.source,
            Candidate.model == draft.model,
            Candidate.sample_index == draft.sample_index,
        )
    ).first()
    if existing is None:
        session.add(draft)
        report.candidates_written += 1
        return
    changed = [name for name in _UPDATABLE if getattr(existing, name) != getattr(draft, name)]
    for name in changed:
        setattr(existing, name, getattr(draft, name))
    if changed:
        session.add(existing)
        report.candidates_updated += 1
    else:
        report.candidates_unchanged += 1


def has_code(candidate: Candidate) -> bool:
    return candidate.extraction != NONE and bool(candidate.code.strip())
