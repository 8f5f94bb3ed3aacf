"""The inbox folder where batch files are dropped, and how a batch id finds its file there."""

import time
from dataclasses import dataclass
from pathlib import Path

from factory.errors import FactoryUserError
from factory.intake.batch_id import batch_id_for
from factory.intake.formats import is_batch_file
from factory.intake.ingest import file_sha256


@dataclass(frozen=True, slots=True)
class InboxFile:
    path: Path
    content_sha256: str
    batch_id: str


def scan_inbox(inbox: Path, *, settle_seconds: float = 0.0) -> tuple[list[InboxFile], list[Path]]:
    """Batch files in `inbox` (sorted by name), and those still too fresh to read.

    A file modified less than `settle_seconds` ago may still be being copied in; it is left for
    a later scan. Hidden files (".name.jsonl") are partial uploads by convention and skipped.
    """
    if not inbox.is_dir():
        return [], []
    ready: list[InboxFile] = []
    settling: list[Path] = []
    now = time.time()
    for path in sorted(inbox.iterdir()):
        if path.name.startswith(".") or not is_batch_file(path):
            continue
        if now - path.stat().st_mtime < settle_seconds:
            settling.append(path)
            continue
        sha = file_sha256(path)
        ready.append(InboxFile(path, sha, batch_id_for(path.name, sha)))
    return ready, settling


def find_batch_file(batch_id: str, inbox: Path) -> Path:
    """The inbox file whose content-addressed batch id is `batch_id`."""
    for item in scan_inbox(inbox)[0]:
        if item.batch_id == batch_id:
            return item.path
    raise FactoryUserError(
        f"no file in the inbox {inbox} has batch id {batch_id!r} (the id is '<file stem>-"
        "<first 12 hex digits of its sha256>'); put the batch file back or delete the partition"
    )
