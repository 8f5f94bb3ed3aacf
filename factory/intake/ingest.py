"""Ingest one batch file: every line ends up accepted, quarantined or recorded as a duplicate.

All rows of a batch are written in one transaction, so a batch is never half-written; inside it,
each record's rows go in their own SAVEPOINT, so a record the database refuses is quarantined
with the database's reason instead of aborting the others. The batch is identified by the sha256
of the file's bytes: ingesting the same content again writes nothing and returns the report of
the first ingestion.
"""

import hashlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from factory.db import session_scope
from factory.errors import FactoryUserError, RecordError
from factory.intake.batch_id import batch_id_for
from factory.intake.decontam import check_benchmarks, find_contamination
from factory.intake.dedup import DuplicateIndex, exact_key, signature, stored_signature
from factory.intake.formats import UnreadableFileError, parse_line, read_lines
from factory.intake.records import IntakeRecord, RawLine
from factory.intake.scrub import scrub_python_comments, scrub_text
from factory.intake.validate import validate
from factory.models import (
    Batch,
    ContaminationFlag,
    DuplicateRecord,
    Prompt,
    QuarantinedRecord,
    RepoTask,
    ScrubEvent,
    stored_id,
)
from factory.models.storable_text import WRITE_REFUSALS, database_reason, escape_unstorable
from factory.settings import FactoryConfig
from factory.stages.report import Markdown, Metadata, StageReport, markdown_table
from factory.vocab import Language

REJECTION_ROWS = 50  # rejections listed in the metadata table (all are in the quarantine table)


@dataclass(frozen=True, slots=True)
class Rejection:
    line_no: int | None
    external_id: str | None
    reason_code: str
    reason: str


@dataclass(slots=True)
class IntakeReport(StageReport):
    """What happened to a batch; received == accepted + quarantined + duplicates."""

    batch_id: str
    source_path: str
    content_sha256: str
    format: str
    received: int
    accepted: int
    quarantined: int
    duplicates: int
    contaminated: int
    scrubbed_prompts: int
    scrub_events: int
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)
    duplicates_by_kind: dict[str, int] = field(default_factory=dict)
    rejections: list[Rejection] = field(default_factory=list)
    already_ingested: bool = False
    preview: str = ""  # a Markdown table of the first accepted prompts

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        return (
            f"batch {self.batch_id}: {self.received} received, {self.accepted} accepted, "
            f"{self.quarantined} quarantined, {self.duplicates} duplicates"
            + (" (already ingested)" if self.already_ingested else "")
        )

    def row_count(self) -> int:
        return self.accepted

    def metadata(self) -> Metadata:
        rows = [
            [r.line_no, r.external_id or "", r.reason_code, r.reason]
            for r in self.rejections[:REJECTION_ROWS]
        ]
        return {
            "source_path": self.source_path,
            "format": self.format,
            "received": self.received,
            "accepted": self.accepted,
            "quarantined": self.quarantined,
            "duplicates": self.duplicates,
            "scrubbed": self.scrubbed_prompts,
            "scrub_events": self.scrub_events,
            "contaminated": self.contaminated,
            "already_ingested": self.already_ingested,
            "quarantined_by_reason": self.quarantined_by_reason,
            "duplicates_by_kind": self.duplicates_by_kind,
            "rejections": Markdown(
                markdown_table(["line", "id", "code", "reason"], rows) if rows else "none"
            ),
            "preview": Markdown(self.preview or "no prompt accepted"),
        }


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def ingest_batch(
    session_or_engine: Session | Engine,
    path: str | Path,
    config: FactoryConfig,
    *,
    batch_id: str | None = None,
) -> IntakeReport:
    """Ingest the batch file at `path`; with a Session, the caller commits."""
    path = Path(path)
    if not path.is_file():
        raise FactoryUserError(f"batch file {path} does not exist or is not a file")
    check_benchmarks(config.intake)
    sha = file_sha256(path)
    with _session(session_or_engine) as session:
        existing = session.exec(select(Batch).where(Batch.content_sha256 == sha)).first()
        if existing is not None:
            report = build_report(session, existing)
            report.already_ingested = True
            return report
        batch = Batch(
            id=batch_id or batch_id_for(path.name, sha),
            source_path=str(path.resolve()),
            content_sha256=sha,
            format="unknown",
            config=config.intake.model_dump(mode="json"),
        )
        session.add(batch)
        session.flush()
        _BatchIngestion(session, batch, config).run(path)
        session.flush()
        return build_report(session, batch)


@contextmanager
def _session(session_or_engine: Session | Engine) -> Iterator[Session]:
    if isinstance(session_or_engine, Session):
        yield session_or_engine
    else:
        with session_scope(session_or_engine) as session:
            yield session


class _BatchIngestion:
    """The state of one batch while its lines are processed in file order.

    Each record's rows are written in their own SAVEPOINT: a record the database still refuses
    (PostgreSQL and SQLite differ in what they hold) is rolled back alone and quarantined with
    the database's reason, and the rest of the batch is committed with it.
    """

    def __init__(self, session: Session, batch: Batch, config: FactoryConfig) -> None:
        self.session = session
        self.batch = batch
        self.settings = config.intake
        self.seen_ids: dict[str, int] = {}  # external id -> line it was first seen on
        self.formats: Counter[str] = Counter()
        # received, accepted, quarantined, duplicates, contaminated: kept here, not on the batch
        # row, so that a rolled-back savepoint cannot reload them from the database.
        self.counts: Counter[str] = Counter()
        self.index = DuplicateIndex(self.settings)
        earlier = session.exec(
            select(Prompt.id, Prompt.normalized_sha256, Prompt.minhash).where(
                Prompt.batch_id != batch.id
            )
        ).all()
        self.index.add_stored(
            (pid, sha, list(values)) for pid, sha, values in earlier if pid is not None
        )

    def run(self, path: Path) -> None:
        try:
            for raw in read_lines(path, max_line_bytes=self.settings.max_line_bytes):
                self.counts["received"] += 1
                self._one_line(raw)
        except UnreadableFileError as exc:
            self.counts["received"] += 1
            self._quarantine(
                RawLine(exc.line_no, b""), RecordError("unreadable_file", str(exc)), None
            )
        for name in ("received", "accepted", "quarantined", "duplicates", "contaminated"):
            setattr(self.batch, name, self.counts[name])
        self.batch.format = "+".join(sorted(self.formats)) if self.formats else "unknown"
        self.session.add(self.batch)

    def _one_line(self, raw: RawLine) -> None:
        record: IntakeRecord | None = None
        try:
            record = parse_line(raw, max_line_bytes=self.settings.max_line_bytes)
            self.formats[record.format] += 1
            validate(record, self.settings)
            first_line = self.seen_ids.get(record.external_id)
            if first_line is not None:
                raise RecordError(
                    "duplicate_id",
                    f"id {record.external_id!r} was already used on line {first_line} of this "
                    "batch; ids must be unique within a batch",
                    record_id=record.external_id,
                )
            if record.repo_task and self.session.get(RepoTask, record.repo_task) is None:
                raise RecordError(
                    "unknown_repo_task",
                    f"repo_task {record.repo_task!r} is not a repository task of this factory; "
                    "run `factory envs build REPO` on its repository first",
                    record_id=record.external_id,
                )
        except RecordError as error:
            self._quarantine(raw, error, record)
            return
        self._accept_or_dedup(raw, record)

    def _isolated(self, write: Callable[[], None]) -> str | None:
        """Run `write` in a SAVEPOINT; None when it was stored, else the database's reason."""
        try:
            with self.session.begin_nested():
                write()
                self.session.flush()
        except WRITE_REFUSALS as exc:
            return database_reason(exc)
        return None

    def _refused(self, raw: RawLine, record: IntakeRecord, reason: str) -> None:
        self._quarantine(
            raw,
            RecordError(
                "database_rejected",
                f"the database refused the record: {reason}",
                record_id=record.external_id,
            ),
            record,
        )

    def _quarantine(self, raw: RawLine, error: RecordError, record: IntakeRecord | None) -> None:
        self.counts["quarantined"] += 1
        external_id = error.record_id or (record.external_id if record else None)
        safe_id, id_escaped = escape_unstorable(external_id[:300]) if external_id else (None, False)
        reason, _ = escape_unstorable(f"line {raw.line_no}: {error.reason}")
        raw_text, raw_escaped = escape_unstorable(raw.text())

        def row(text: str, note: str = "") -> Callable[[], None]:
            return lambda: self.session.add(
                QuarantinedRecord(
                    batch_id=self.batch.id,
                    stage="intake",
                    line_no=raw.line_no,
                    external_id=safe_id[:300] if safe_id else None,
                    reason_code=error.code,
                    reason=reason + note,
                    raw_text=text,
                    raw_escaped=raw_escaped or id_escaped,
                )
            )

        refusal = self._isolated(row(raw_text))
        if refusal is not None:  # keep the verdict on the record even if its text cannot go in
            note = f" (its text could not be stored: {refusal})"
            if self._isolated(row("", note)) is not None:
                raise FactoryUserError(
                    f"line {raw.line_no}: the database refused even the quarantine row of this "
                    f"record ({refusal}); nothing of the batch was written"
                )

    def _accept_or_dedup(self, raw: RawLine, record: IntakeRecord) -> None:
        prompt_text, removals = scrub_text(record.prompt, "prompt")
        tests = record.tests
        if record.language == Language.PYTHON:
            tests, test_removals = scrub_python_comments(tests, "tests")
            removals += test_removals
        sha = exact_key(record.language, prompt_text)
        minhash = signature(prompt_text, self.settings, language=record.language)
        match = self.index.find(sha, minhash)
        if match is not None:
            refusal = self._isolated(
                lambda: self.session.add(
                    DuplicateRecord(
                        batch_id=self.batch.id,
                        line_no=raw.line_no,
                        external_id=record.external_id,
                        kind=match.kind,
                        similarity=match.similarity,
                        duplicate_of_prompt_id=match.prompt_id,
                        raw_text=raw.text(),
                    )
                )
            )
            if refusal is not None:
                self._refused(raw, record, refusal)
                return
            self.seen_ids[record.external_id] = raw.line_no
            self.counts["duplicates"] += 1
            return
        contamination = find_contamination(
            prompt_text, self.settings, solution=record.reference_solution, tests=tests
        )
        prompt = Prompt(
            batch_id=self.batch.id,
            external_id=record.external_id,
            line_no=raw.line_no,
            language=record.language,
            task_type=record.task_type,
            prompt=prompt_text,
            tests=tests,
            entry_point=record.entry_point,
            test_style=record.test_style,
            reference_solution=record.reference_solution,
            work=record.work,
            subject_code=record.code,
            repo_task=record.repo_task or None,
            scaled_input=record.scaled_input,
            licence=record.licence[:200],
            source=record.source[:500],
            metadata_=record.metadata,
            normalized_sha256=sha,
            minhash=stored_signature(minhash),
            contaminated=bool(contamination),
        )

        def write() -> None:
            self.session.add(prompt)
            self.session.flush()  # the id links scrub events, flags and later duplicates to it
            prompt_id = stored_id(prompt)
            for removal in removals:
                self.session.add(
                    ScrubEvent(
                        prompt_id=prompt_id,
                        field_name=removal.field_name,
                        kind=removal.kind,
                        matched=removal.matched,
                        replacement=removal.replacement,
                    )
                )
            for hit in contamination:
                self.session.add(
                    ContaminationFlag(
                        prompt_id=prompt_id,
                        benchmark=hit.benchmark,
                        benchmark_item_id=hit.item_id,
                        ngram_size=hit.ngram_size,
                        overlap=hit.overlap,
                    )
                )

        refusal = self._isolated(write)
        if refusal is not None:
            self._refused(raw, record, refusal)
            return
        self.seen_ids[record.external_id] = raw.line_no
        self.counts["accepted"] += 1
        self.counts["contaminated"] += bool(contamination)
        self.index.add(stored_id(prompt), sha, minhash)


def build_report(session: Session, batch: Batch) -> IntakeReport:
    """The report of an ingested batch, read back from what was stored."""
    rejections = [
        Rejection(row.line_no, row.external_id, row.reason_code, row.reason)
        for row in session.exec(
            select(QuarantinedRecord)
            .where(QuarantinedRecord.batch_id == batch.id, QuarantinedRecord.stage == "intake")
            .order_by(col(QuarantinedRecord.line_no), col(QuarantinedRecord.id))
        )
    ]
    duplicate_kinds = session.exec(
        select(DuplicateRecord.kind, func.count())
        .where(DuplicateRecord.batch_id == batch.id)
        .group_by(DuplicateRecord.kind)
    ).all()
    scrub_rows = session.exec(
        select(func.count(), func.count(func.distinct(ScrubEvent.prompt_id)))
        .select_from(ScrubEvent)
        .join(Prompt, col(Prompt.id) == ScrubEvent.prompt_id)
        .where(Prompt.batch_id == batch.id)
    ).one()
    return IntakeReport(
        batch_id=batch.id,
        source_path=batch.source_path,
        content_sha256=batch.content_sha256,
        format=batch.format,
        received=batch.received,
        accepted=batch.accepted,
        quarantined=batch.quarantined,
        duplicates=batch.duplicates,
        contaminated=batch.contaminated,
        scrubbed_prompts=int(scrub_rows[1]),
        scrub_events=int(scrub_rows[0]),
        quarantined_by_reason=dict(sorted(Counter(r.reason_code for r in rejections).items())),
        duplicates_by_kind={kind: int(count) for kind, count in sorted(duplicate_kinds)},
        rejections=rejections,
    )
