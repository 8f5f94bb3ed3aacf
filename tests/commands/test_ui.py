"""`factory ui` starts the Dagster webserver on the workspace, shows the chain, stops on SIGTERM."""

import signal
from pathlib import Path

import pytest
from ui_server import free_port, running_ui


@pytest.mark.slow
def test_ui_serves_the_asset_graph_and_stops_on_sigterm(tmp_path: Path) -> None:
    with running_ui(tmp_path / "home", free_port()) as process:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) is not None
