"""A temporary folder holding each candidate's code as a file, for the scanners that read files.

The file names are the factory's (`candidate_<id>.py`), never the candidate's, so a scanner's
report maps back to its candidate by file name alone, whatever path form the scanner prints.
"""

import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Workspace:
    folder: Path
    paths: dict[int, Path]  # candidate id -> the file holding its code
    _ids: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._ids = {path.name: candidate_id for candidate_id, path in self.paths.items()}

    def candidate_id(self, filename: str | Path) -> int:
        """The candidate whose file a scanner reports as `filename` (a path or a bare name)."""
        return self._ids[Path(filename).name]


@contextmanager
def candidate_files(codes: Mapping[int, str], *, prefix: str) -> Iterator[Workspace]:
    """Write {candidate_id: code} into files of a fresh temporary folder, removed on exit."""
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        paths = {}
        for candidate_id, code in codes.items():
            path = Path(folder) / f"candidate_{candidate_id}.py"
            path.write_text(code, encoding="utf-8")
            paths[candidate_id] = path
        yield Workspace(Path(folder), paths)
