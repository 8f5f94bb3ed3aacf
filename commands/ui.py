"""`factory ui`: start the Dagster UI (webserver and daemon) on this factory's workspace."""

import argparse
import os
import signal
import sys
from pathlib import Path

from factory.settings import factory_home

REPO_ROOT = Path(__file__).resolve().parents[1]


def dagster_home() -> Path:
    """The Dagster instance folder under FACTORY_HOME, with the project's dagster.yaml in it."""
    home = factory_home() / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    source = (REPO_ROOT / "dagster.yaml").read_text()
    if not target.exists() or target.read_text() != source:
        target.write_text(source)
    return home


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)


def run(args: argparse.Namespace) -> int:
    os.environ["DAGSTER_HOME"] = str(dagster_home())
    # `dagster dev` ignores SIGINT/SIGTERM when started with SIGINT ignored (as from a script).
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    # This interpreter's dagster, whether or not its venv is on PATH.
    argv = [
        sys.executable,
        "-m",
        "dagster",
        "dev",
        "-w",
        str(REPO_ROOT / "workspace.yaml"),
        "-h",
        args.host,
        "-p",
        str(args.port),
    ]
    os.chdir(REPO_ROOT)
    os.execv(argv[0], argv)  # noqa: S606  (replaces this process with the Dagster CLI)
