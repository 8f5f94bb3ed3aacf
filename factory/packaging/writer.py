"""Streaming dataset writer: rows in, Parquet row groups (and JSONL lines on request) out.

Memory is bounded by one row group per open (config, split): rows are buffered until
`rows_per_group`, converted to Arrow with the config's schema and appended to the open
`pyarrow.parquet.ParquetWriter`; a file is closed and the next shard started every
`rows_per_shard` rows. Files are named `<config>/<split>-00000.parquet` (`.jsonl`).
"""

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

from factory.errors import FactoryUserError

FORMATS = ("parquet", "jsonl")


@dataclass(slots=True)
class _Stream:
    schema: pa.Schema
    buffer: list[dict[str, Any]] = field(default_factory=list)
    parquet: pq.ParquetWriter | None = None
    jsonl: IO[str] | None = None
    shard: int = 0
    rows_in_shard: int = 0
    rows: int = 0


class DatasetWriter:
    def __init__(
        self,
        root: Path,
        schemas: dict[str, pa.Schema],
        *,
        formats: list[str] | tuple[str, ...] = ("parquet",),
        rows_per_group: int = 10_000,
        rows_per_shard: int = 500_000,
    ) -> None:
        unknown = set(formats) - set(FORMATS)
        if unknown or not formats:
            raise FactoryUserError(
                f"packaging.formats {list(formats)} must name one or more of {list(FORMATS)}"
            )
        self.root = root
        self.schemas = schemas
        self.formats = tuple(formats)
        self.rows_per_group = rows_per_group
        self.rows_per_shard = rows_per_shard
        self._streams: dict[tuple[str, str], _Stream] = {}
        self.files: dict[str, dict[str, list[str]]] = {}  # config -> split -> relative paths

    def write(self, config: str, split: str, row: dict[str, Any]) -> None:
        stream = self._streams.get((config, split))
        if stream is None:
            stream = self._streams[(config, split)] = _Stream(schema=self.schemas[config])
        if stream.rows_in_shard == 0:
            self._open_shard(config, split, stream)
        stream.buffer.append(row)
        if self.jsonl_enabled:
            stream.jsonl.write(json.dumps(row, ensure_ascii=False) + "\n")  # type: ignore[union-attr]
        stream.rows += 1
        stream.rows_in_shard += 1
        if len(stream.buffer) >= self.rows_per_group:
            self._flush(stream)
        if stream.rows_in_shard >= self.rows_per_shard:
            self._close_shard(stream)

    def write_batch(self, config: str, split: str, batch: pa.RecordBatch) -> None:
        """Append a whole record batch (already in the config's schema), sharding as needed."""
        stream = self._streams.get((config, split))
        if stream is None:
            stream = self._streams[(config, split)] = _Stream(schema=self.schemas[config])
        self._flush(stream)  # keep row order when rows and batches are mixed
        offset = 0
        while offset < batch.num_rows:
            if stream.rows_in_shard == 0:
                self._open_shard(config, split, stream)
            take = min(batch.num_rows - offset, self.rows_per_shard - stream.rows_in_shard)
            part = batch.slice(offset, take)
            if stream.parquet is not None:
                stream.parquet.write_batch(part, row_group_size=self.rows_per_group)
            if stream.jsonl is not None:
                for row in part.to_pylist():
                    stream.jsonl.write(json.dumps(row, ensure_ascii=False) + "\n")
            offset += take
            stream.rows += take
            stream.rows_in_shard += take
            if stream.rows_in_shard >= self.rows_per_shard:
                self._close_shard(stream)

    @property
    def jsonl_enabled(self) -> bool:
        return "jsonl" in self.formats

    def counts(self) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        for (config, split), stream in sorted(self._streams.items()):
            counts.setdefault(config, {})[split] = stream.rows
        return counts

    def close(self) -> None:
        for stream in self._streams.values():
            self._close_shard(stream)

    def __enter__(self) -> "DatasetWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _open_shard(self, config: str, split: str, stream: _Stream) -> None:
        folder = self.root / config
        folder.mkdir(parents=True, exist_ok=True)
        stem = f"{split}-{stream.shard:05d}"
        paths = self.files.setdefault(config, {}).setdefault(split, [])
        if "parquet" in self.formats:
            stream.parquet = pq.ParquetWriter(folder / f"{stem}.parquet", stream.schema)
            paths.append(f"{config}/{stem}.parquet")
        if self.jsonl_enabled:
            stream.jsonl = (folder / f"{stem}.jsonl").open("w", encoding="utf-8")
            paths.append(f"{config}/{stem}.jsonl")

    def _flush(self, stream: _Stream) -> None:
        if stream.buffer and stream.parquet is not None:
            # Converting the dicts as one struct array runs in Arrow's C++ converter, several
            # times faster than Table.from_pylist's per-column Python loop.
            structs = pa.array(stream.buffer, type=pa.struct(list(stream.schema)))
            batch = pa.RecordBatch.from_struct_array(structs)
            stream.parquet.write_batch(batch, row_group_size=self.rows_per_group)
        stream.buffer.clear()

    def _close_shard(self, stream: _Stream) -> None:
        if stream.rows_in_shard == 0:
            return
        self._flush(stream)
        if stream.parquet is not None:
            stream.parquet.close()
            stream.parquet = None
        if stream.jsonl is not None:
            stream.jsonl.close()
            stream.jsonl = None
        stream.shard += 1
        stream.rows_in_shard = 0
