"""How a docker sandbox container is locked down: one value, rendered twice.

`Isolation.options()` lists each setting once, with its `docker run` flag and its engine API key
side by side; `cli_flags()` renders them for the CLI, `host_config()` and `create_options()` for
the API (docker SDK). So both transports start the same container, and a setting added to one is
added to the other.
"""

from dataclasses import dataclass
from typing import Any

from docker.types import LogConfig, Ulimit

from factory.settings import SandboxSettings

SANDBOX_USER = "65534:65534"  # nobody: no file of the image is theirs
SANDBOX_TMP = "/tmp"  # noqa: S108 (inside the sandbox: a private tmpfs)


@dataclass(frozen=True, slots=True)
class Option:
    """One setting: `docker run`'s `flag`, and the engine API's `key` with its `value`."""

    flag: str
    key: str
    value: Any
    cli_value: str | None = None  # where the CLI spells the value otherwise (default: str(value))
    create: bool = False  # an option of the container itself, not of its host config

    def cli(self) -> list[str]:
        if self.cli_value is not None:
            return [self.flag, self.cli_value]
        if self.value is True:
            return [self.flag]
        if isinstance(self.value, list):
            return [part for item in self.value for part in (self.flag, str(item))]
        return [self.flag, str(self.value)]


@dataclass(frozen=True, slots=True)
class Isolation:
    memory_bytes: int  # memory, and memory plus swap: no swap at all
    max_processes: int
    cpus: float
    tmpfs_mb: int
    cpuset: str | None = None  # the engine CPU a warm sandbox is pinned to, if any

    @classmethod
    def of(cls, settings: SandboxSettings, cpuset: str | None = None) -> "Isolation":
        return cls(
            memory_bytes=settings.sandbox_memory_bytes,
            max_processes=settings.max_processes,
            cpus=settings.cpus,
            tmpfs_mb=settings.tmpfs_mb,
            cpuset=cpuset,
        )

    def options(self) -> list[Option]:
        # exec: compiled candidates run from here (Docker mounts a tmpfs noexec unless told).
        tmpfs = f"rw,exec,nosuid,nodev,size={self.tmpfs_mb}m,mode=1777"
        pin = [Option("--cpuset-cpus", "cpuset_cpus", self.cpuset)] if self.cpuset else []
        return [
            Option("--rm", "auto_remove", True),
            *pin,
            Option("--network", "network_mode", "none"),
            Option("--read-only", "read_only", True),
            Option("--tmpfs", "tmpfs", {SANDBOX_TMP: tmpfs}, f"{SANDBOX_TMP}:{tmpfs}"),
            Option("--memory", "mem_limit", self.memory_bytes),
            Option("--memory-swap", "memswap_limit", self.memory_bytes),
            Option("--pids-limit", "pids_limit", self.max_processes),
            Option("--cpus", "nano_cpus", int(self.cpus * 1e9), str(self.cpus)),
            Option("--cap-drop", "cap_drop", ["ALL"]),
            Option("--security-opt", "security_opt", ["no-new-privileges"]),
            Option("--user", "user", SANDBOX_USER, create=True),
            Option("--ipc", "ipc_mode", "none"),
            Option("--log-driver", "log_config", LogConfig(type="none"), "none"),
            Option("--ulimit", "ulimits", [Ulimit(name="core", soft=0, hard=0)], "core=0"),
            Option("--workdir", "working_dir", SANDBOX_TMP, create=True),
        ]

    def cli_flags(self) -> list[str]:
        """The `docker run` flags."""
        return [part for option in self.options() for part in option.cli()]

    def host_config(self) -> dict[str, Any]:
        """The engine API's host config (`APIClient.create_host_config` keywords)."""
        return {option.key: option.value for option in self.options() if not option.create}

    def create_options(self) -> dict[str, Any]:
        """The engine API's container options (`APIClient.create_container` keywords)."""
        return {option.key: option.value for option in self.options() if option.create}
