"""The shape every ecosystem plug-in has: how to tell its repositories, which files are tests,
what a dependency recipe is read from, how the image installs it, and how tests run and report.

An ecosystem never runs repository code on the host: `recipe` reads files only, downloads happen
through the package index's own client into a cache, and everything that executes does so in a
container without network (`images`, `container`).
"""

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Reads one file of the repository at the commit in question; None when it does not exist.
ReadFile = Callable[[str], str | None]


@dataclass(frozen=True, slots=True)
class Recipe:
    """Everything that decides an environment image; equal recipes share one image."""

    ecosystem: str
    spec: dict[str, Any]
    # What a recipe could not take from the repository (unreadable files, URLs the machine
    # cannot reach), for the build record; not part of the identity.
    notes: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True, slots=True)
class TestCommand:
    """One test run inside the environment: argv, run from the repository's root."""

    __test__ = False  # not a pytest class

    argv: list[str]


class Ecosystem(ABC):
    name: str
    # Files at the repository's root that mark it as this ecosystem's (any one of them).
    markers: tuple[str, ...]

    @abstractmethod
    def is_test_file(self, path: str) -> bool:
        """Files a test patch holds (test modules, their fixtures and data)."""

    @abstractmethod
    def is_source_file(self, path: str) -> bool:
        """Code the gold patch must change for a commit to make a task."""

    @abstractmethod
    def test_modules(self, paths: list[str]) -> list[str]:
        """Of a test patch's files, those a test run is pointed at."""

    @abstractmethod
    def recipe(self, read: ReadFile) -> Recipe:
        """The dependency recipe declared at this commit (files read, nothing run)."""

    @abstractmethod
    def download(self, recipe: Recipe, into: Path, timeout_s: float) -> str:
        """Fetch what the recipe installs into `into` on the host; the client's log. Raises
        EnvBuildError with the reason when something cannot be had."""

    @abstractmethod
    def install_script(self, recipe: Recipe) -> str:
        """Shell run as root in the base image, without network, with the downloads at
        /factory-downloads; leaves the environment under /opt/env."""

    @abstractmethod
    def prepare_argv(self) -> list[str]:
        """Installs the checked-out project itself into the environment (no network)."""

    @abstractmethod
    def test_command(self, modules: list[str], report_plugin: str) -> TestCommand:
        """Runs `modules`, per-test outcomes going through the factory's report plugin."""

    def driver_files(self) -> dict[str, bytes]:
        """Files the in-container driver needs besides its own (the report plugin)."""
        return {}


class EnvBuildError(Exception):
    """An environment could not be built; the message is the funnel's `runnable` reason."""
