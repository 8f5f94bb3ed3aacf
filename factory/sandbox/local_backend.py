"""Unsafe local backend: the fork server as a plain subprocess of the host, with no isolation.

Only for development on a trusted machine, and only when asked for by name
(`backend: unsafe-local`): rlimits and the timeout still apply, but the candidate can read the
host's files and reach its network. The environment is cleared.
"""

import sys

from factory.sandbox.process import SERVER_SOURCE, ServerProcess
from factory.settings import SandboxSettings

BACKEND = "unsafe-local"


class LocalLauncher:
    backend = BACKEND
    image = ""

    def __init__(self, settings: SandboxSettings) -> None:
        self.settings = settings

    def start(self, slot: int) -> ServerProcess:
        command = [sys.executable, "-I", "-B", "-c", SERVER_SOURCE]
        return ServerProcess.child(command, env={"PATH": "/usr/bin:/bin"})
