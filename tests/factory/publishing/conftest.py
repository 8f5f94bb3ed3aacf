"""Fixtures for publishing: a small release folder and a stand-in Hub on 127.0.0.1."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from stand_ins.hub_server import StandInHub, running_hub
from stand_ins.release_folder import TOKEN, write_release


@pytest.fixture
def release_folder(tmp_path: Path) -> Path:
    return write_release(tmp_path / "release")


@pytest.fixture
def hub() -> Iterator[StandInHub]:
    with running_hub(TOKEN) as server:
        yield server
