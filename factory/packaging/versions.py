"""Release versions: the same content keeps its version, changed content gets the next minor.

Content is the data files only (every config's Parquet/JSONL, path and bytes): the data card and
QA report name the version and date, so they differ between versions by construction.
"""

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from factory.errors import FactoryUserError

FIRST_VERSION = "0.1.0"
_SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


def parse_version(version: str) -> tuple[int, int, int]:
    match = _SEMVER.match(version)
    if match is None:
        raise FactoryUserError(
            f"release version {version!r} is not MAJOR.MINOR.PATCH (e.g. 1.2.0); "
            "fix packaging.version"
        )
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def next_version(existing: Iterable[str]) -> str:
    """The minor after the highest well-formed version in `existing`; 0.1.0 for the first."""
    parsed = [parse_version(v) for v in existing if _SEMVER.match(v)]
    if not parsed:
        return FIRST_VERSION
    major, minor, _ = max(parsed)
    return f"{major}.{minor + 1}.0"


def content_sha256(folder: Path, configs: Iterable[str]) -> str:
    """One hash over every data file of `configs` under `folder`: relative path and bytes."""
    digest = hashlib.sha256()
    for config in sorted(configs):
        root = folder / config
        if not root.is_dir():
            continue
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            file_hash = hashlib.sha256()
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    file_hash.update(block)
            digest.update(
                f"{path.relative_to(folder).as_posix()}\0{file_hash.hexdigest()}\n".encode()
            )
    return digest.hexdigest()
