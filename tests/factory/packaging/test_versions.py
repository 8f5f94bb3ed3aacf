"""Release versions and the content hash that decides whether a rerun is a new version."""

from pathlib import Path

import pytest

from factory.errors import FactoryUserError
from factory.packaging.versions import content_sha256, next_version, parse_version


def test_next_version_bumps_the_highest_minor_and_starts_at_0_1_0():
    assert next_version([]) == "0.1.0"
    assert next_version(["0.1.0", "0.10.0", "0.9.3"]) == "0.11.0"
    assert next_version(["1.2.3", "custom-tag"]) == "1.3.0"  # hand-made names are skipped


def test_parse_version_refuses_what_is_not_semver():
    assert parse_version("2.0.1") == (2, 0, 1)
    with pytest.raises(FactoryUserError, match="'v1' is not MAJOR.MINOR.PATCH"):
        parse_version("v1")


def test_content_hash_covers_data_files_only(tmp_path: Path):
    (tmp_path / "dpo").mkdir()
    (tmp_path / "dpo" / "train-00000.parquet").write_bytes(b"rows")
    (tmp_path / "README.md").write_text("version 0.1.0")
    first = content_sha256(tmp_path, ["dpo", "sft"])
    (tmp_path / "README.md").write_text("version 0.2.0")
    assert content_sha256(tmp_path, ["dpo", "sft"]) == first
    (tmp_path / "dpo" / "train-00000.parquet").write_bytes(b"other rows")
    changed = content_sha256(tmp_path, ["dpo", "sft"])
    assert changed != first
    # The same bytes in another split are other content.
    (tmp_path / "dpo" / "train-00000.parquet").rename(tmp_path / "dpo" / "test-00000.parquet")
    assert content_sha256(tmp_path, ["dpo", "sft"]) != changed
