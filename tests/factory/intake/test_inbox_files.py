"""Finding batch files in the inbox by their content-addressed batch id (factory.intake.inbox)."""

import hashlib
import os
import time
from pathlib import Path

import pytest

from factory.errors import FactoryUserError
from factory.intake.batch_id import batch_id_for
from factory.intake.inbox import find_batch_file, scan_inbox
from factory.settings import inbox_dir


def test_inbox_dir_defaults_under_factory_home_and_can_be_overridden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert inbox_dir() == Path(os.environ["FACTORY_HOME"]).resolve() / "inbox"
    monkeypatch.setenv("FACTORY_INBOX", str(tmp_path / "drop"))
    assert inbox_dir() == (tmp_path / "drop").resolve()


def test_scan_lists_batch_files_only_and_holds_back_fresh_ones(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text('{"id": 1}\n')
    (tmp_path / "b.jsonl.gz").write_bytes(b"\x1f\x8b")
    (tmp_path / ".c.jsonl").write_text("partial")
    (tmp_path / "notes.txt").write_text("not a batch")
    (tmp_path / "sub.jsonl").mkdir()
    old = time.time() - 60
    for name in ("a.jsonl", "b.jsonl.gz"):
        os.utime(tmp_path / name, (old, old))
    (tmp_path / "fresh.jsonl").write_text("{}\n")
    ready, settling = scan_inbox(tmp_path, settle_seconds=10)
    assert [item.path.name for item in ready] == ["a.jsonl", "b.jsonl.gz"]
    assert [path.name for path in settling] == ["fresh.jsonl"]
    sha = hashlib.sha256(b'{"id": 1}\n').hexdigest()
    assert (ready[0].content_sha256, ready[0].batch_id) == (sha, batch_id_for("a.jsonl", sha))


def test_find_batch_file_by_id_or_explain(tmp_path: Path) -> None:
    (tmp_path / "x.jsonl").write_text("{}\n")
    batch_id = batch_id_for("x.jsonl", hashlib.sha256(b"{}\n").hexdigest())
    assert find_batch_file(batch_id, tmp_path) == tmp_path / "x.jsonl"
    with pytest.raises(FactoryUserError, match="x-000000000000"):
        find_batch_file("x-000000000000", tmp_path)
    assert scan_inbox(tmp_path / "missing") == ([], [])
