"""The part of ingesting a record that needs no database, for a chunk of lines at a time.

Each line is parsed and validated; a valid record is scrubbed (factory.intake.scrub), given its
exact key and MinHash signature with its LSH band keys (factory.intake.dedup, the signatures of
a whole chunk computed at once), and checked against the decontamination benchmarks. Nothing
here depends on another record or on what is stored, so the same lines give the same results in
any process: `prepared_chunks` may hand chunks to a pool of worker processes
(`intake.workers`), and yields their results in file order, so that the database lookups and
the duplicate decisions, made by the caller one chunk after the other, are those of a serial run.
"""

import gc
import itertools
import json
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from multiprocessing.pool import AsyncResult, Pool
from typing import Any, NamedTuple, TypeVar

import numpy as np

from factory.errors import RecordError
from factory.intake.bulk import JSON_TEXT, SIGNATURE_BYTES
from factory.intake.decontam import Contamination, find_contamination
from factory.intake.dedup import (
    Banding,
    banding_for,
    exact_key,
    signatures,
)
from factory.intake.formats import parse_line
from factory.intake.records import IntakeRecord, RawLine
from factory.intake.scrub import Removal, scrub_python_comments, scrub_text
from factory.intake.shingle_tokens import shingle_tokens
from factory.intake.validate import validate
from factory.models._base import signature_bytes
from factory.settings import IntakeSettings
from factory.vocab import Language

# Workers used when `intake.workers` is 0 (auto): one per core, at most this many.
MAX_AUTO_WORKERS = 4
# Chunks handed to the pool before their results are taken: bounds memory, keeps workers busy.
CHUNKS_AHEAD_PER_WORKER = 2
# With automatic garbage collection off (`manual_gc`), a full collection every this many chunks.
GC_CHUNKS = 20
# Records of a batch prepared in the ingesting process before a pool starts: a small batch is
# done before a pool would have started.
PARALLEL_AFTER = 20_000
# A file at least this large (uncompressed JSON Lines) holds more than PARALLEL_AFTER records
# of any usual size: its pool starts with the first chunk.
PARALLEL_FILE_BYTES = 32 << 20

E = TypeVar("E")


# The columns of a prompt row that `prepare_chunk` fills, in this order (those of ENCODED as
# their encoding makes them, as SQLAlchemy would); the ingesting process adds the rest.
PROMPT_FIELDS = (
    "external_id",
    "line_no",
    "language",
    "task_type",
    "prompt",
    "tests",
    "entry_point",
    "test_style",
    "reference_solution",
    "work",
    "subject_code",
    "repo_task",
    "scaled_input",
    "licence",
    "source",
    "metadata",
    "normalized_sha256",
    "minhash",
)
ENCODED = (("work", JSON_TEXT), ("metadata", JSON_TEXT), ("minhash", SIGNATURE_BYTES))


class Prepared(NamedTuple):
    """One line after everything that needs no database. Plain values only, so that a chunk's
    results pickle small and fast from a worker process."""

    format: str | None  # the record's format, when the line parsed as a record
    external_id: str | None  # the record's id, when the line parsed as a record
    # The RecordError that refuses the line, as (code, reason, record id); None when valid.
    failure: tuple[str, str, str | None] | None
    sha: str = ""  # exact_key of the scrubbed prompt
    repo_task: str = ""
    row: tuple[Any, ...] = ()  # the prompt row's PROMPT_FIELDS
    band_keys: list[int] = []  # noqa: RUF012 (never mutated)
    removals: list[Removal] = []  # noqa: RUF012
    contamination: list[Contamination] = []  # noqa: RUF012

    def error(self) -> RecordError | None:
        if self.failure is None:
            return None
        code, reason, record_id = self.failure
        return RecordError(code, reason, record_id=record_id)


class PreparedChunk(NamedTuple):
    items: list[Prepared]  # one per line of the chunk, in order
    signatures: np.ndarray  # the MinHash signature of each valid item, in order (uint32 rows)


def prepare_chunk(raws: list[RawLine], settings: IntakeSettings) -> PreparedChunk:
    """Every line of a chunk, parsed, validated and (when valid) scrubbed and fingerprinted."""
    out: list[Prepared | None] = []
    valid: list[tuple[int, RawLine, IntakeRecord, str, str, list[Removal], list[Contamination]]]
    valid = []
    token_lists: list[list[str]] = []
    for raw in raws:
        record: IntakeRecord | None = None
        try:
            record = parse_line(raw, max_line_bytes=settings.max_line_bytes)
            validate(record, settings)
        except RecordError as error:
            out.append(
                Prepared(
                    record.format if record else None,
                    record.external_id if record else None,
                    (error.code, error.reason, error.record_id),
                )
            )
            continue
        prompt_text, removals = scrub_text(record.prompt, "prompt")
        tests = record.tests
        if record.language == Language.PYTHON:
            tests, test_removals = scrub_python_comments(tests, "tests")
            removals += test_removals
        hits = find_contamination(
            prompt_text, settings, solution=record.reference_solution, tests=tests
        )
        valid.append((len(out), raw, record, prompt_text, tests, removals, hits))
        out.append(None)
        token_lists.append(shingle_tokens(prompt_text, record.language))
    values = signatures(token_lists, settings.minhash_permutations, settings.shingle_size)
    if valid:
        keys = _banding(settings).keys_of_rows(values)
        stored = [signature_bytes(row) for row in values]  # as the Signature column stores it
        for (index, raw, record, prompt_text, tests, removals, hits), row_keys, signature in zip(
            valid, keys, stored, strict=True
        ):
            sha = exact_key(record.language, prompt_text)
            out[index] = Prepared(
                record.format,
                record.external_id,
                None,
                sha,
                record.repo_task,
                (
                    record.external_id,
                    raw.line_no,
                    record.language,
                    record.task_type,
                    prompt_text,
                    tests,
                    record.entry_point,
                    record.test_style,
                    record.reference_solution,
                    json.dumps(record.work),
                    record.code,
                    record.repo_task or None,
                    record.scaled_input,
                    record.licence[:200],
                    record.source[:500],
                    json.dumps(record.metadata),
                    sha,
                    signature,
                ),
                row_keys,
                removals,
                hits,
            )
    return PreparedChunk([item for item in out if item is not None], values)


@contextmanager
def manual_gc(every: int) -> Iterator[Callable[[], None]]:
    """Automatic cyclic garbage collection off: ingesting allocates millions of objects, and
    each automatic collection scans every live one again. The `tick` it gives collects in full
    every `every` calls instead (ingestion makes few reference cycles: memory stays flat), and
    only over objects made since it began: those that lived before (modules, the benchmark
    indexes) are set aside (gc.freeze) until it ends."""
    enabled = gc.isenabled()
    gc.disable()
    gc.freeze()
    calls = 0

    def tick() -> None:
        nonlocal calls
        calls += 1
        if calls % every == 0:
            gc.collect()

    try:
        yield tick
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


def _banding(settings: IntakeSettings) -> Banding:
    return banding_for(settings.near_duplicate_threshold, settings.minhash_permutations)


def worker_count(settings: IntakeSettings) -> int:
    """Worker processes for `intake.workers`: 1 is serial (no pool), 0 one per core. Workers
    are forked, so where processes cannot fork everything runs in the ingesting process."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if settings.workers:
        return settings.workers
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cores or 1, MAX_AUTO_WORKERS))


def prepared_chunks(
    chunks: Iterable[list[RawLine] | E],
    settings: IntakeSettings,
    *,
    workers: int = 1,
    parallel_after: int | None = None,
) -> Iterator[tuple[list[RawLine], PreparedChunk] | E]:
    """Each chunk with its `prepare_chunk`, in order; anything that is not a chunk (a marker)
    is passed on in its place. With more than one worker, chunks are prepared in a pool of
    processes while the caller works on earlier ones; the pool starts only once the batch has
    more than `parallel_after` (default PARALLEL_AFTER) records, so small batches pay nothing."""
    it = iter(chunks)
    threshold = PARALLEL_AFTER if parallel_after is None else parallel_after
    seen = 0
    for chunk in it:
        if workers > 1 and seen >= threshold:
            yield from _in_pool(itertools.chain([chunk], it), settings, workers)
            return
        if not isinstance(chunk, list):
            yield chunk
            continue
        yield chunk, prepare_chunk(chunk, settings)
        seen += len(chunk)


def _in_pool(
    chunks: Iterator[list[RawLine] | E], settings: IntakeSettings, workers: int
) -> Iterator[tuple[list[RawLine], PreparedChunk] | E]:
    # Forked: a worker starts at once with everything imported and the benchmark indexes built,
    # and never re-runs the caller's main module (as spawned ones would). It only computes on
    # the lines it is sent (never touching the inherited database connection), and returns
    # plain data; it ends with os._exit, so nothing inherited is cleaned up behind the parent.
    context = multiprocessing.get_context("fork")
    pool: Pool = context.Pool(workers, initializer=_init_worker, initargs=(settings,))
    try:
        pending: deque[tuple[list[RawLine], AsyncResult[PreparedChunk]] | E] = deque()
        ahead = workers * CHUNKS_AHEAD_PER_WORKER
        for chunk in chunks:
            if isinstance(chunk, list):
                lines = [(raw.line_no, raw.data) for raw in chunk]  # pickles faster
                pending.append((chunk, pool.apply_async(_prepare_in_worker, (lines,))))
            else:
                pending.append(chunk)
            while len(pending) > ahead:
                yield _result(pending.popleft())
        while pending:
            yield _result(pending.popleft())
        pool.close()
    finally:
        pool.terminate()
        pool.join()


def _result(
    item: "tuple[list[RawLine], AsyncResult[PreparedChunk]] | E",
) -> tuple[list[RawLine], PreparedChunk] | E:
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], AsyncResult):
        return item[0], item[1].get()
    return item  # type: ignore[return-value]


_worker_settings: IntakeSettings | None = None


_worker_tick: Callable[[], None] | None = None


def _init_worker(settings: IntakeSettings) -> None:
    global _worker_settings, _worker_tick
    _worker_settings = settings
    _worker_tick = manual_gc(GC_CHUNKS).__enter__()  # for the worker's life, which is ingestion


def _prepare_in_worker(lines: list[tuple[int, bytes]]) -> PreparedChunk:
    assert _worker_settings is not None and _worker_tick is not None
    prepared = prepare_chunk([RawLine(n, data) for n, data in lines], _worker_settings)
    _worker_tick()
    return prepared
