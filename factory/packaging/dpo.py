"""DPO rows in TRL's standard (`prompt`/`chosen`/`rejected` strings) and conversational formats.

Rows are built column-wise, a chunk of pairs at a time, straight into Arrow record batches: a
million pairs are packaged without a Python dict per row.
"""

from collections.abc import Iterable, Sequence

import pyarrow as pa

from factory.packaging.records import CandidateInfo, PairRecord
from factory.packaging.schemas import DPO, DPO_CONVERSATIONAL, MESSAGE, MESSAGES
from factory.packaging.writer import DatasetWriter
from factory.vocab import DIMENSIONS

STANDARD, CONVERSATIONAL = "dpo", "dpo_conversational"
_DIMENSION_NAMES = tuple(d.value for d in DIMENSIONS)


def completion_text(candidate: CandidateInfo, language: str) -> str:
    """A candidate as an assistant reply: its code in one fenced block."""
    return f"```{language}\n{candidate.code.rstrip()}\n```"


def row_key(record: PairRecord) -> str:
    return f"pair-{record.pair_id}"


def messages(role: str, contents: list[str]) -> pa.ListArray:
    """One single-message conversation per content, as Arrow list<struct<role, content>>."""
    values = pa.StructArray.from_arrays(
        [pa.array([role] * len(contents), pa.string()), pa.array(contents, pa.string())],
        fields=list(MESSAGE),
    )
    offsets = pa.array(range(len(contents) + 1), pa.int32())
    return pa.ListArray.from_arrays(offsets, values, type=MESSAGES)


def dpo_batches(records: Sequence[PairRecord]) -> tuple[pa.RecordBatch, pa.RecordBatch]:
    """The pairs as (standard, conversational) record batches, sharing their extra columns."""
    prompts = [r.prompt.prompt for r in records]
    chosen = [completion_text(r.chosen, r.prompt.language) for r in records]
    rejected = [completion_text(r.rejected, r.prompt.language) for r in records]
    extras: dict[str, list] = {
        "id": [row_key(r) for r in records],
        "prompt_id": [r.prompt.prompt_id for r in records],
        "task_id": [r.task_id for r in records],
        "chosen_candidate_id": [r.chosen.candidate_id for r in records],
        "rejected_candidate_id": [r.rejected.candidate_id for r in records],
        "language": [r.prompt.language for r in records],
        "task_type": [r.prompt.task_type for r in records],
        "strength": [r.strength for r in records],
        "label_source": [r.label_source for r in records],
        "rationale": [r.rationale for r in records],
        "n_reviews": [r.n_reviews for r in records],
        "simulated_labels": [r.simulated for r in records],
        "chosen_model": [r.chosen.model for r in records],
        "rejected_model": [r.rejected.model for r in records],
        "chosen_origin": [r.chosen.origin for r in records],
        "rejected_origin": [r.rejected.origin for r in records],
        "chosen_verdict": [r.chosen.verdict for r in records],
        "rejected_verdict": [r.rejected.verdict for r in records],
    }
    for dimension in _DIMENSION_NAMES:
        extras[f"chosen_{dimension}"] = [r.chosen.scores.get(dimension) for r in records]
        extras[f"rejected_{dimension}"] = [r.rejected.scores.get(dimension) for r in records]
    standard = {"prompt": prompts, "chosen": chosen, "rejected": rejected}
    conversational = {
        "prompt": messages("user", prompts),
        "chosen": messages("assistant", chosen),
        "rejected": messages("assistant", rejected),
    }
    return (
        _batch(DPO, standard | extras),
        _batch(DPO_CONVERSATIONAL, conversational | extras),
    )


def _batch(schema: pa.Schema, columns: dict) -> pa.RecordBatch:
    arrays = [
        column if isinstance(column := columns[f.name], pa.Array) else pa.array(column, f.type)
        for f in schema
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def write_dpo(
    writer: DatasetWriter, pairs: Iterable[tuple[str, PairRecord]], *, chunk: int = 10_000
) -> None:
    """Stream (split, pair) into both DPO configs, `chunk` pairs per split at a time."""
    pending: dict[str, list[PairRecord]] = {}
    for split, record in pairs:
        bucket = pending.setdefault(split, [])
        bucket.append(record)
        if len(bucket) >= chunk:
            _write_chunk(writer, split, bucket)
            bucket.clear()
    for split, bucket in pending.items():
        if bucket:
            _write_chunk(writer, split, bucket)


def _write_chunk(writer: DatasetWriter, split: str, records: list[PairRecord]) -> None:
    standard, conversational = dpo_batches(records)
    writer.write_batch(STANDARD, split, standard)
    writer.write_batch(CONVERSATIONAL, split, conversational)
