"""Ingest one batch file: every line ends up accepted, quarantined or recorded as a duplicate.

The file is streamed in chunks of `intake.chunk_records` records: each chunk is parsed,
validated, checked for duplicates against everything stored before it (earlier batches and
earlier chunks of this one, through the database's indexes: exact keys on `Prompt`, LSH band
keys in `PromptBand` and `SharedPromptBand`, and the keys of written chunks still waiting in the
band buffer, factory.intake.band_buffer) and written with one bulk insert per table, so memory
stays flat however long the file. All chunks of a batch are written in one transaction, so a
batch is never half-written; each chunk goes in its own SAVEPOINT, and a chunk the database
refuses is written again one record at a time, so that a record the database refuses is
quarantined with the database's reason instead of aborting the others. Before any record is
read, a file over `intake.max_decompressed_mb` or `intake.max_records` is refused whole. The
batch is identified by the sha256 of the file's bytes: ingesting the same content again writes
nothing and returns the report of the first ingestion.

What needs no database (parsing, validation, scrubbing, MinHash signatures, decontamination) is
done by factory.intake.prepare, for a large batch in worker processes (`intake.workers`) while
this process decides the chunks in file order, so results do not depend on the workers; rows
are written and looked up with multi-row statements (factory.intake.bulk) where the driver is
known, with SQLAlchemy statements otherwise.
"""

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import Engine, Table, func, insert
from sqlmodel import Session, col, select

from factory.db import session_scope
from factory.errors import FactoryUserError, RecordError
from factory.intake.band_buffer import BandBuffer
from factory.intake.batch_id import batch_id_for
from factory.intake.bulk import JSON_TEXT, BulkSQL
from factory.intake.decontam import check_benchmarks
from factory.intake.dedup import Banding, banding_for, similarity
from factory.intake.formats import UnreadableFileError, check_batch_limits, read_lines
from factory.intake.prepare import (
    ENCODED,
    GC_CHUNKS,
    PARALLEL_FILE_BYTES,
    PROMPT_FIELDS,
    Prepared,
    PreparedChunk,
    manual_gc,
    prepared_chunks,
    worker_count,
)
from factory.intake.records import RawLine
from factory.models import (
    Batch,
    BatchBanding,
    ContaminationFlag,
    DuplicateRecord,
    Prompt,
    PromptBand,
    QuarantinedRecord,
    RepoTask,
    ScrubEvent,
    SharedPromptBand,
)
from factory.models._base import utcnow
from factory.models.intake import SHA_PREFIX, SHA_PREFIX_CHARS
from factory.models.storable_text import WRITE_REFUSALS, database_reason, escape_unstorable
from factory.settings import FactoryConfig
from factory.stages.report import Markdown, Metadata, StageReport, markdown_table

# Rejections a report carries, first lines first (all are in the quarantine table).
REJECTION_ROWS = 50


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
    rejections: list[Rejection] = field(default_factory=list)  # the first REJECTION_ROWS
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
        check_batch_limits(
            path,
            max_decompressed_mb=config.intake.max_decompressed_mb,
            max_records=config.intake.max_records,
        )
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


T = TypeVar("T")
IN_LIST = 500  # values per IN (...) query: under every database's parameter limit


def _slices(values: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), IN_LIST):
        yield values[start : start + IN_LIST]


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


DUPLICATE_COLUMNS = (
    "batch_id",
    "line_no",
    "external_id",
    "kind",
    "similarity",
    "duplicate_of_prompt_id",
    "raw_text",
    "created_at",
)
QUARANTINE_COLUMNS = (
    "batch_id",
    "stage",
    "line_no",
    "external_id",
    "prompt_id",
    "reason_code",
    "reason",
    "raw_text",
    "raw_escaped",
    "created_at",
)


@dataclass(slots=True)
class _Item:
    """A line of the chunk being decided: as read, and as prepared (factory.intake.prepare)."""

    raw: RawLine
    prep: Prepared
    hashvalues: np.ndarray | None  # the MinHash signature of a valid record


@dataclass(slots=True)
class _Plan:
    """What one chunk writes; `dup_targets` are stored prompt ids, or -1 - k for the chunk's
    k-th accepted prompt (its id is known only once it is inserted)."""

    prompts: list[_Item] = field(default_factory=list)
    duplicates: list[tuple[_Item, str, float, int]] = field(default_factory=list)
    # (line, why, the record's own id when the line parsed as a record)
    quarantines: list[tuple[RawLine, RecordError, str | None]] = field(default_factory=list)
    formats: Counter[str] = field(default_factory=Counter)
    stored_keys: set[int] = field(default_factory=set)  # band keys of the chunk already stored
    # The band keys its prompts are the first to hold, sorted, and those prompts' ids (for the
    # band buffer); filled when the chunk is written.
    new_bands: tuple[np.ndarray, np.ndarray] = (np.empty(0, np.int64), np.empty(0, np.int64))


class _BatchIngestion:
    """The state of one batch while its chunks are processed in file order."""

    def __init__(self, session: Session, batch: Batch, config: FactoryConfig) -> None:
        self.session = session
        self.batch = batch
        self.settings = config.intake
        self.banding: Banding = banding_for(
            self.settings.near_duplicate_threshold, self.settings.minhash_permutations
        )
        self.bulk = BulkSQL.for_session(session)
        self.formats: Counter[str] = Counter()
        # received, accepted, quarantined, duplicates, contaminated: kept here, not on the batch
        # row, so that a rolled-back savepoint cannot reload them from the database.
        self.counts: Counter[str] = Counter()
        self.buffer = BandBuffer()  # keys of written chunks not yet in PromptBand
        # Whether SharedPromptBand holds any key (rarely): when not, lookups skip it.
        self.any_shared = session.exec(select(SharedPromptBand.id).limit(1)).first() is not None

    def run(self, path: Path) -> None:
        self._index_earlier_prompts()
        with self.bulk.tuned() if self.bulk else nullcontext(), manual_gc(GC_CHUNKS) as tick:
            self._chunks(path, tick)
            self._flush_bands()
        for name in ("received", "accepted", "quarantined", "duplicates", "contaminated"):
            setattr(self.batch, name, self.counts[name])
        self.batch.format = "+".join(sorted(self.formats)) if self.formats else "unknown"
        self.session.add(self.batch)

    def _chunks(self, path: Path, tick: Callable[[], None]) -> None:
        large = path.suffix != ".gz" and path.stat().st_size >= PARALLEL_FILE_BYTES
        chunks = prepared_chunks(
            self._raw_chunks(path),
            self.settings,
            workers=worker_count(self.settings),
            parallel_after=0 if large else None,
        )
        for chunk in chunks:
            if isinstance(chunk, UnreadableFileError):
                self.counts["received"] += 1
                self._store_quarantine(
                    RawLine(chunk.line_no, b""), RecordError("unreadable_file", str(chunk)), None
                )
                continue
            raws, prepared = chunk
            self.counts["received"] += len(raws)
            self._chunk(_items(raws, prepared))
            tick()

    def _raw_chunks(self, path: Path) -> Iterator[list[RawLine] | UnreadableFileError]:
        """The file's lines, `intake.chunk_records` at a time; where the file breaks off, the
        lines before it, then the error."""
        chunk: list[RawLine] = []
        try:
            for raw in read_lines(path, max_line_bytes=self.settings.max_line_bytes):
                chunk.append(raw)
                if len(chunk) >= self.settings.chunk_records:
                    yield chunk
                    chunk = []
        except UnreadableFileError as exc:
            if chunk:
                yield chunk
            yield exc
            return
        if chunk:
            yield chunk

    # -- the near-duplicate index ------------------------------------------------------------

    def _index_earlier_prompts(self) -> None:
        """Give band keys of the current scheme to the prompts of every batch that has none
        (batches of older versions, or of other settings), a slice of prompts at a time; this
        batch is marked too, as its prompts get their keys when they are written."""
        scheme = self.banding.scheme
        marked = (
            select(BatchBanding.batch_id)
            .where(BatchBanding.batch_id == Batch.id, BatchBanding.scheme == scheme)
            .exists()
        )
        batch_ids = self.session.exec(
            select(Batch.id).where(~marked).order_by(col(Batch.created_at), col(Batch.id))
        ).all()
        for batch_id in batch_ids:
            last_id = 0
            while True:
                rows = self.session.exec(
                    select(Prompt.id, Prompt.minhash)
                    .where(Prompt.batch_id == batch_id, col(Prompt.id) > last_id)
                    .order_by(col(Prompt.id))
                    .limit(self.settings.chunk_records)
                ).all()
                if not rows:
                    break
                usable = [
                    (pid, values)
                    for pid, values in rows
                    if pid is not None and len(values) == self.banding.num_perm
                ]
                if usable:  # the keys of the whole slice at once
                    signatures = np.array([values for _, values in usable], dtype=np.uint32)
                    keys = self.banding.keys_of_rows(signatures)
                    self._insert_bands(
                        keys,
                        [pid for pid, _ in usable],
                        self._stored_bands([k for row_keys in keys for k in row_keys]),
                    )
                last_id = max(pid or 0 for pid, _ in rows)
            self.session.add(BatchBanding(batch_id=batch_id, scheme=scheme))
        self.session.flush()

    # -- one chunk ----------------------------------------------------------------------------

    def _chunk(self, items: list[_Item]) -> None:
        """Decide and write a chunk; when the database refuses it, one record at a time."""
        if not items:
            return
        plan = self._plan(items)
        refusal = self._isolated(lambda: self._write(plan))
        if refusal is None:
            self._count(plan)
            self.buffer.add(*plan.new_bands)  # only once its chunk is stored
            if self.buffer.full:
                self._flush_bands()
            return
        if len(items) > 1:
            for item in items:
                self._chunk([item])
            return
        self.formats.update(plan.formats)
        if plan.quarantines:
            self._store_quarantine(*plan.quarantines[0], refusal=refusal)
            return
        external_id = items[0].prep.external_id
        error = RecordError(
            "database_rejected",
            f"the database refused the record: {refusal}",
            record_id=external_id,
        )
        self._store_quarantine(items[0].raw, error, external_id)

    def _count(self, plan: _Plan) -> None:
        self.formats.update(plan.formats)
        self.counts["accepted"] += len(plan.prompts)
        self.counts["contaminated"] += sum(1 for item in plan.prompts if item.prep.contamination)
        self.counts["duplicates"] += len(plan.duplicates)
        self.counts["quarantined"] += len(plan.quarantines)

    def _plan(self, items: list[_Item]) -> _Plan:
        plan = _Plan()
        plan.formats.update(item.prep.format for item in items if item.prep.format is not None)
        valid = [item.prep for item in items if item.prep.failure is None]
        seen_ids = self._stored_ids([prep.external_id or "" for prep in valid])
        stored_exact = self._stored_exact([prep.sha for prep in valid])
        stored_bands = self._stored_bands([k for prep in valid for k in prep.band_keys])
        plan.stored_keys = set(stored_bands)
        signatures = self._stored_signatures({i for ids in stored_bands.values() for i in ids})
        chunk_exact: dict[str, int] = {}  # normalised sha -> chunk target (-1 - k)
        chunk_bands: dict[int, list[int]] = {}
        chunk_signatures: dict[int, np.ndarray] = {}
        for item in items:
            raw, prep = item.raw, item.prep
            failure = prep.error()
            if failure is not None:
                plan.quarantines.append((raw, failure, prep.external_id))
                continue
            external_id = prep.external_id or ""
            problem = self._id_problem(external_id, prep.repo_task, seen_ids)
            if problem is not None:
                plan.quarantines.append((raw, problem, external_id))
                continue
            target = stored_exact.get(prep.sha) or chunk_exact.get(prep.sha)
            if target is not None:
                plan.duplicates.append((item, "exact", 1.0, target))
                seen_ids[external_id] = raw.line_no
                continue
            keys = prep.band_keys
            # Most prompts share no key with anything: isdisjoint says so without a loop.
            near = self._nearest(
                item,
                []
                if stored_bands.keys().isdisjoint(keys)
                else [(i, signatures[i]) for k in keys for i in stored_bands.get(k, ())],
                []
                if chunk_bands.keys().isdisjoint(keys)
                else [(t, chunk_signatures[t]) for k in keys for t in chunk_bands.get(k, ())],
            )
            seen_ids[external_id] = raw.line_no
            if near is not None:
                plan.duplicates.append((item, "near", near[1], near[0]))
                continue
            target = -1 - len(plan.prompts)
            chunk_exact[prep.sha] = target
            assert item.hashvalues is not None
            chunk_signatures[target] = item.hashvalues
            for key in prep.band_keys:
                chunk_bands.setdefault(key, []).append(target)
            plan.prompts.append(item)
        return plan

    def _id_problem(
        self, external_id: str, repo_task: str, seen_ids: dict[str, int]
    ) -> RecordError | None:
        first_line = seen_ids.get(external_id)
        if first_line is not None:
            return RecordError(
                "duplicate_id",
                f"id {external_id!r} was already used on line {first_line} of this "
                "batch; ids must be unique within a batch",
                record_id=external_id,
            )
        if repo_task and self.session.get(RepoTask, repo_task) is None:
            return RecordError(
                "unknown_repo_task",
                f"repo_task {repo_task!r} is not a repository task of this factory; "
                "run `factory envs build REPO` on its repository first",
                record_id=external_id,
            )
        return None

    def _nearest(
        self, item: _Item, stored: list[tuple[int, Any]], in_chunk: list[tuple[int, Any]]
    ) -> tuple[int, float] | None:
        """The most similar earlier prompt (target, similarity) at or over the threshold."""
        if not stored and not in_chunk:
            return None
        best: tuple[int, float] | None = None
        threshold = self.settings.near_duplicate_threshold
        for target, values in dict(stored + in_chunk).items():
            assert item.hashvalues is not None
            score = similarity(item.hashvalues, values)
            if score >= threshold and (best is None or score > best[1]):
                best = (target, round(score, 4))
        return best

    # -- what is stored already ---------------------------------------------------------------

    def _stored_ids(self, external_ids: list[str]) -> dict[str, int]:
        """External id -> line of this batch's records already stored (earlier chunks)."""
        found: dict[str, int] = {}
        for model in (Prompt, DuplicateRecord):
            for external_id, line_no in self._select_in(
                select(model.external_id, model.line_no).where(model.batch_id == self.batch.id),
                col(model.external_id),
                sorted(set(external_ids)),
                f"SELECT external_id, line_no FROM {_table(model).name} "
                "WHERE batch_id = {p} AND external_id IN ({in})",
                before=(self.batch.id,),
            ):
                found[external_id] = min(line_no, found.get(external_id, line_no))
        return found

    def _stored_exact(self, shas: list[str]) -> dict[str, int]:
        """Exact key -> the first stored prompt with it, found through the key's prefix."""
        wanted = set(shas)
        rows = self._select_in(
            select(Prompt.normalized_sha256, func.min(Prompt.id)).group_by(
                Prompt.normalized_sha256
            ),
            func.substr(col(Prompt.normalized_sha256), 1, SHA_PREFIX_CHARS),
            sorted({sha[:SHA_PREFIX_CHARS] for sha in wanted}),
            f"SELECT normalized_sha256, min(id) FROM prompt WHERE {SHA_PREFIX.text} IN ({{in}}) "
            "GROUP BY normalized_sha256",
        )
        return {sha: int(pid) for sha, pid in rows if pid is not None and sha in wanted}

    def _stored_bands(self, keys: list[int]) -> dict[int, list[int]]:
        """Band key -> the stored prompts that have it, for those of `keys` that are stored."""
        found: dict[int, list[int]] = {}
        unique = sorted(set(keys))
        for model in (PromptBand, SharedPromptBand) if self.any_shared else (PromptBand,):
            rows = self._select_in(
                select(model.band_key, model.prompt_id),
                col(model.band_key),
                unique,
                f"SELECT band_key, prompt_id FROM {_table(model).name} WHERE band_key IN ({{in}})",
            )
            for key, prompt_id in rows:
                found.setdefault(key, []).append(prompt_id)
        for key, prompt_id in self.buffer.lookup(unique).items():
            found.setdefault(key, []).append(prompt_id)
        return found

    def _stored_signatures(self, prompt_ids: set[int]) -> dict[int, np.ndarray]:
        found: dict[int, np.ndarray] = {}
        for part in _slices(sorted(prompt_ids)):
            rows = self.session.exec(
                select(Prompt.id, Prompt.minhash).where(col(Prompt.id).in_(part))
            )
            found.update((int(pid), np.asarray(v, dtype=np.uint32)) for pid, v in rows if pid)
        return found

    def _select_in(
        self,
        statement: Any,
        column: Any,
        values: list[Any],
        sql: str,
        *,
        before: tuple[Any, ...] = (),
        after: tuple[Any, ...] = (),
    ) -> Iterator[tuple[Any, ...]]:
        """Rows of `statement` where `column` is one of `values`, a slice at a time; where the
        bulk path is available, the same query in plain SQL (`sql`: factory.intake.bulk)."""
        if self.bulk is not None:
            yield from self.bulk.select_in(sql, values, before=before, after=after)
            return
        for part in _slices(values):
            yield from (tuple(row) for row in self.session.exec(statement.where(column.in_(part))))

    # -- writing ------------------------------------------------------------------------------

    def _isolated(self, write: Any) -> str | None:
        """Run `write` in a SAVEPOINT; None when it was stored, else the database's reason."""
        try:
            with self.session.begin_nested():
                write()
                self.session.flush()
        except WRITE_REFUSALS as exc:
            return database_reason(exc)
        return None

    def _write(self, plan: _Plan) -> None:
        now = utcnow()
        prompt_ids = self._insert_prompts(plan.prompts, now)
        scrubs, flags = [], []
        for prompt_id, item in zip(prompt_ids, plan.prompts, strict=True):
            prep = item.prep
            scrubs += [
                (prompt_id, r.field_name, r.kind, r.matched, r.replacement) for r in prep.removals
            ]
            flags += [
                (prompt_id, hit.benchmark, hit.item_id, hit.ngram_size, hit.overlap)
                for hit in prep.contamination
            ]
        duplicates = [
            (
                self.batch.id,
                item.raw.line_no,
                item.prep.external_id or "",
                kind,
                score,
                target if target >= 0 else prompt_ids[-1 - target],
                item.raw.text(),
                now,
            )
            for item, kind, score, target in plan.duplicates
        ]
        quarantines = [self._quarantine_row(*q, now=now) for q in plan.quarantines]
        plan.new_bands = self._insert_bands(
            [item.prep.band_keys for item in plan.prompts],
            prompt_ids,
            plan.stored_keys,
            buffered=True,
        )
        self._insert_rows(
            ScrubEvent, ("prompt_id", "field_name", "kind", "matched", "replacement"), scrubs
        )
        self._insert_rows(
            ContaminationFlag,
            ("prompt_id", "benchmark", "benchmark_item_id", "ngram_size", "overlap"),
            flags,
        )
        self._insert_rows(DuplicateRecord, DUPLICATE_COLUMNS, duplicates)
        self._insert_rows(
            QuarantinedRecord, QUARANTINE_COLUMNS, [tuple(q.values()) for q in quarantines]
        )

    def _insert_prompts(self, items: list[_Item], now: Any) -> list[int]:
        """Insert the prompts of `items`; their ids, in order."""
        if not items:
            return []
        table = _table(Prompt)
        # Prepared rows hold PROMPT_FIELDS as the driver takes them when every such column's
        # conversion is the identity or, for the columns of ENCODED, their encoding.
        if self.bulk is None or not self.bulk.takes_as_prepared(table, PROMPT_FIELDS, ENCODED):
            statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
            dicts = [self._prompt_row(item, now) for item in items]
            return [int(row[0]) for row in self.session.execute(statement, dicts)]
        tail_values = {
            "batch_id": self.batch.id,
            "status": "accepted",
            "gradable": None,
            "stable": None,
            "created_at": now,
        }
        tails = {
            flag: tuple(
                self.bulk.processor(table, name)(value)
                for name, value in {**tail_values, "contaminated": flag}.items()
            )
            for flag in (False, True)
        }
        columns = (*PROMPT_FIELDS, *tail_values, "contaminated")
        rows = [item.prep.row + tails[bool(item.prep.contamination)] for item in items]
        inserted = self.bulk.insert(table, columns, rows, returning=("line_no", "id"))
        ids = dict(inserted)  # line -> id: a batch's lines are one record each
        return [int(ids[item.raw.line_no]) for item in items]

    def _prompt_row(self, item: _Item, now: Any) -> dict[str, Any]:
        """A prompt's row as SQLAlchemy takes it (Python values)."""
        assert item.hashvalues is not None
        row = dict(zip(PROMPT_FIELDS, item.prep.row, strict=True))
        for name, encoding in ENCODED:
            if encoding is JSON_TEXT:
                row[name] = json.loads(row[name])
        return row | {
            "minhash": item.hashvalues.tolist(),
            "batch_id": self.batch.id,
            "status": "accepted",
            "gradable": None,
            "stable": None,
            "contaminated": bool(item.prep.contamination),
            "created_at": now,
        }

    def _insert_bands(
        self,
        keys: list[list[int]],
        prompt_ids: list[int],
        stored: Iterable[int],
        *,
        buffered: bool = False,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Store the band keys of prompts (`keys[i]` of `prompt_ids[i]`): a key already held
        (in `stored`, or earlier in key order here) goes to SharedPromptBand now; the others,
        the keys these prompts are the first to hold, go to PromptBand in key order, now, or
        with `buffered` later through the band buffer, and are returned (keys, prompt ids)."""
        counts = [len(k) for k in keys]
        flat = np.fromiter(chain.from_iterable(keys), dtype=np.int64, count=sum(counts))
        owners = np.repeat(np.asarray(prompt_ids, dtype=np.int64), counts)
        order = np.lexsort((owners, flat))  # by key, then prompt
        flat, owners = flat[order], owners[order]
        held = np.zeros(len(flat), dtype=bool)
        held[1:] = flat[1:] == flat[:-1]
        known = np.fromiter(stored, dtype=np.int64)
        if len(known):
            held |= np.isin(flat, known)
        shared = np.column_stack((flat[held], owners[held])).tolist()
        self._insert_rows(SharedPromptBand, ("band_key", "prompt_id"), shared)
        self.any_shared = self.any_shared or bool(shared)
        first = flat[~held], owners[~held]
        if not buffered:
            self._insert_rows(
                PromptBand, ("band_key", "prompt_id"), np.column_stack(first).tolist()
            )
        return first

    def _flush_bands(self) -> None:
        """Insert the buffered band keys, in key order (a failure fails the batch)."""
        self._insert_rows(PromptBand, ("band_key", "prompt_id"), self.buffer.drain())

    def _insert_rows(
        self, model: Any, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Insert rows of Python values (in `columns` order), converted as SQLAlchemy would."""
        if not rows:
            return
        table = _table(model)
        if self.bulk is None:
            self.session.execute(insert(table), [dict(zip(columns, r, strict=True)) for r in rows])
            return
        self.bulk.insert(table, columns, self.bulk.converted(table, columns, rows))

    def _quarantine_row(
        self,
        raw: RawLine,
        error: RecordError,
        record_id: str | None,
        *,
        now: Any,
        keep_text: bool = True,
        note: str = "",
    ) -> dict[str, Any]:
        external_id = error.record_id or record_id
        safe_id, id_escaped = escape_unstorable(external_id[:300]) if external_id else (None, False)
        reason, _ = escape_unstorable(f"line {raw.line_no}: {error.reason}")
        raw_text, raw_escaped = escape_unstorable(raw.text())
        row = {
            "batch_id": self.batch.id,
            "stage": "intake",
            "line_no": raw.line_no,
            "external_id": safe_id[:300] if safe_id else None,
            "prompt_id": None,
            "reason_code": error.code,
            "reason": reason + note,
            "raw_text": raw_text if keep_text else "",
            "raw_escaped": raw_escaped or id_escaped,
            "created_at": now,
        }
        assert tuple(row) == QUARANTINE_COLUMNS
        return row

    def _store_quarantine(
        self,
        raw: RawLine,
        error: RecordError,
        record_id: str | None,
        *,
        refusal: str | None = None,
    ) -> None:
        """Quarantine one record on its own; keep the verdict even if its text cannot go in."""
        table = _table(QuarantinedRecord)
        if refusal is None:
            row = self._quarantine_row(raw, error, record_id, now=utcnow())
            refusal = self._isolated(lambda: self.session.execute(insert(table), [row]))
        if refusal is not None:
            note = f" (its text could not be stored: {refusal})"
            row = self._quarantine_row(
                raw, error, record_id, now=utcnow(), keep_text=False, note=note
            )
            if self._isolated(lambda: self.session.execute(insert(table), [row])) is not None:
                raise FactoryUserError(
                    f"line {raw.line_no}: the database refused even the quarantine row of this "
                    f"record ({refusal}); nothing of the batch was written"
                )
        self.counts["quarantined"] += 1


def _items(raws: list[RawLine], prepared: PreparedChunk) -> list[_Item]:
    """The chunk's lines with what was prepared of them."""
    signatures = iter(prepared.signatures)
    return [
        _Item(raw, prep, next(signatures) if prep.failure is None else None)
        for raw, prep in zip(raws, prepared.items, strict=True)
    ]


def build_report(session: Session, batch: Batch) -> IntakeReport:
    """The report of an ingested batch, read back from what was stored."""
    intake_rows = (QuarantinedRecord.batch_id == batch.id, QuarantinedRecord.stage == "intake")
    rejections = [
        Rejection(line_no, external_id, code, reason)
        for line_no, external_id, code, reason in session.exec(
            select(
                QuarantinedRecord.line_no,
                QuarantinedRecord.external_id,
                QuarantinedRecord.reason_code,
                QuarantinedRecord.reason,
            )
            .where(*intake_rows)
            .order_by(col(QuarantinedRecord.line_no), col(QuarantinedRecord.id))
            .limit(REJECTION_ROWS)
        )
    ]
    reasons = session.exec(
        select(QuarantinedRecord.reason_code, func.count())
        .where(*intake_rows)
        .group_by(QuarantinedRecord.reason_code)
    ).all()
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
        quarantined_by_reason={code: int(count) for code, count in sorted(reasons)},
        duplicates_by_kind={kind: int(count) for kind, count in sorted(duplicate_kinds)},
        rejections=rejections,
    )
