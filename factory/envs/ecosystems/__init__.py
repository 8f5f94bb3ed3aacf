"""Ecosystem plug-ins for repository environments: one module per ecosystem, one line here.

Python is the first; npm, Go modules and Cargo slot in as further `Ecosystem`s (detect by
package.json / go.mod / Cargo.toml, download through their own clients into the cache, install
in the image without network, run their test runners with a report the driver reads).
"""

from factory.envs.ecosystems.base import Ecosystem, EnvBuildError, ReadFile, Recipe, TestCommand
from factory.envs.ecosystems.python import PythonEcosystem

ECOSYSTEMS: dict[str, Ecosystem] = {"python": PythonEcosystem()}


def ecosystem_for(root_files: set[str]) -> Ecosystem | None:
    """The first ecosystem whose marker files are among the repository's root files."""
    return next((e for e in ECOSYSTEMS.values() if root_files & set(e.markers)), None)


def all_markers() -> list[str]:
    return sorted({marker for e in ECOSYSTEMS.values() for marker in e.markers})


__all__ = [
    "ECOSYSTEMS",
    "Ecosystem",
    "EnvBuildError",
    "ReadFile",
    "Recipe",
    "TestCommand",
    "all_markers",
    "ecosystem_for",
]
