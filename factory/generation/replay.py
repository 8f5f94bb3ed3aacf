"""Replay source: candidates produced elsewhere, read from a JSONL file.

One JSON object per line:
  prompt_external_id  the prompt's own id in its batch (e.g. "HumanEval/0")     required
  model               the model or author label (hidden from reviewers)          required
  code                the candidate's full source                                required
  provenance          who or what produced it, and how                           required
  sample_index        tells several candidates of one model apart            optional, >= 0
Without `sample_index`, candidates of one model for one prompt are numbered in file order.
A bad line is rejected with its line number and reason (and quarantined by the caller); the
other lines still count. A file may cover several batches: lines for prompts that are not in
the batch at hand are skipped and counted.
"""

import json
from collections import defaultdict
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from factory.errors import RecordError

DEMO_REPLAY_FILE = "demo_replay.jsonl"
REQUIRED_FIELDS = ("prompt_external_id", "model", "code", "provenance")
OPTIONAL_FIELDS = ("sample_index",)
MODEL_MAX_CHARS = 200


@dataclass(frozen=True, slots=True)
class ReplayRecord:
    line_no: int
    prompt_external_id: str
    model: str
    code: str
    provenance: str
    sample_index: int


@dataclass(frozen=True, slots=True)
class ReplayRejection:
    line_no: int
    error: RecordError
    raw_text: str


def demo_replay_path() -> Path:
    """The bundled, hand-checked candidates for part of the sample batch (factory.samples):
    HumanEval problems and every problem written for this project in other languages."""
    return Path(str(files("factory.sample_data").joinpath(DEMO_REPLAY_FILE)))


def read_replay(path: Path) -> tuple[list[ReplayRecord], list[ReplayRejection]]:
    records: list[ReplayRecord] = []
    rejections: list[ReplayRejection] = []
    seen: set[tuple[str, str, int]] = set()
    next_index: defaultdict[tuple[str, str], int] = defaultdict(int)
    with path.open("rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            text = raw.decode("utf-8", errors="replace")
            if not text.strip():
                continue
            try:
                record = _parse(line_no, text, next_index)
                key = (record.prompt_external_id, record.model, record.sample_index)
                if key in seen:
                    raise RecordError(
                        "duplicate_candidate",
                        f"line {line_no}: a second candidate for prompt {key[0]!r}, model "
                        f"{key[1]!r}, sample_index {key[2]}; give each a distinct sample_index",
                        record_id=key[0],
                    )
            except RecordError as exc:
                rejections.append(ReplayRejection(line_no, exc, text.rstrip("\n")))
                continue
            seen.add(key)
            records.append(record)
    return records, rejections


def _parse(line_no: int, text: str, next_index: defaultdict[tuple[str, str], int]) -> ReplayRecord:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordError("malformed_json", f"line {line_no}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise RecordError("malformed_json", f"line {line_no}: expected a JSON object")
    record_id = data.get("prompt_external_id")
    record_id = record_id if isinstance(record_id, str) else None
    for name in REQUIRED_FIELDS:
        value = data.get(name)
        if not isinstance(value, str) or not value.strip():
            raise RecordError(
                "missing_field",
                f"line {line_no}: field {name!r} must be a non-empty string",
                record_id=record_id,
            )
    unknown = set(data) - set(REQUIRED_FIELDS) - set(OPTIONAL_FIELDS)
    if unknown:
        raise RecordError(
            "unknown_field",
            f"line {line_no}: unknown fields {sorted(unknown)}; allowed: "
            f"{list(REQUIRED_FIELDS + OPTIONAL_FIELDS)}",
            record_id=record_id,
        )
    if len(data["model"]) > MODEL_MAX_CHARS:
        raise RecordError(
            "field_too_long",
            f"line {line_no}: model label longer than {MODEL_MAX_CHARS} characters",
            record_id=record_id,
        )
    group = (data["prompt_external_id"], data["model"])
    sample_index = data.get("sample_index", next_index[group])
    if isinstance(sample_index, bool) or not isinstance(sample_index, int) or sample_index < 0:
        raise RecordError(
            "invalid_field",
            f"line {line_no}: sample_index must be a whole number >= 0, got {sample_index!r}",
            record_id=record_id,
        )
    next_index[group] = max(next_index[group], sample_index + 1)
    return ReplayRecord(
        line_no=line_no,
        prompt_external_id=data["prompt_external_id"],
        model=data["model"],
        code=data["code"],
        provenance=data["provenance"],
        sample_index=sample_index,
    )
