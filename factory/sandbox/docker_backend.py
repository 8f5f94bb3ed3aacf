"""Docker backend: warm containers, each running the fork server as PID 1.

Containers have no network, a read-only root, a size-limited tmpfs at /tmp, memory (no swap),
pid and CPU limits, every capability dropped, no-new-privileges, an unprivileged user and an
empty environment (no host variable is passed in). The server's source travels as the command
line and jobs over the container's attached stdin/stdout, with no bind mount, so DOCKER_HOST is
honoured and the pool can run on another machine. Jobs go through the engine API's attach
socket (the docker SDK); with an ssh:// engine or a docker context, which the SDK does not
follow as the CLI does, through `docker run --interactive` instead.
"""

import os
import shutil
import subprocess
import uuid
from typing import Any

import docker
import docker.errors
from docker.types import LogConfig, Ulimit

from factory.errors import SandboxUnavailableError
from factory.sandbox.docker_attach import AttachTransport
from factory.sandbox.image import BUILD_HINT, default_image
from factory.sandbox.process import SERVER_SOURCE, ServerProcess
from factory.settings import SandboxSettings

BACKEND = "docker"
CONTAINER_LABEL = "org.factory.sandbox"
SANDBOX_USER = "65534:65534"  # nobody: no file of the image is theirs
SANDBOX_TMP = "/tmp"  # noqa: S108 (inside the sandbox: a private tmpfs)
_SERVER_COMMAND = ["python3", "-I", "-B", "-c", SERVER_SOURCE]


def _docker_env() -> dict[str, str]:
    """What the docker CLI itself needs from the host (never forwarded into the container)."""
    keep = ("PATH", "HOME", "DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG", "DOCKER_TLS_VERIFY")
    keep += ("DOCKER_CERT_PATH",)
    return {key: os.environ[key] for key in keep if key in os.environ}


def _engine_cpus(client: docker.DockerClient | None) -> int:
    """The engine's CPU count (it may be another machine's); 0 when it cannot be told."""
    if client is not None:
        try:
            return max(0, int(client.info().get("NCPU", 0)))
        except (docker.errors.DockerException, ValueError):
            return 0
    try:
        info = subprocess.run(
            ["docker", "info", "--format", "{{.NCPU}}"],
            capture_output=True,
            text=True,
            timeout=20,
            env=_docker_env(),
        )
        return max(0, int(info.stdout.strip()))
    except (subprocess.TimeoutExpired, ValueError):
        return 0


def _api_client() -> docker.DockerClient | None:
    """An SDK client for the engine the CLI would use, or None where only the CLI can reach it
    (an ssh:// host, a docker context)."""
    host = os.environ.get("DOCKER_HOST", "")
    if os.environ.get("DOCKER_CONTEXT") or host.startswith("ssh://"):
        return None
    try:
        return docker.from_env(timeout=60)
    except docker.errors.DockerException:
        return None


def docker_problem(image: str) -> str | None:
    """Why the docker backend cannot run here, or None when it can."""
    if shutil.which("docker") is None:
        return "the docker CLI is not installed"
    try:
        probe = subprocess.run(
            ["docker", "image", "inspect", "--format", "{{.Id}}", image],
            capture_output=True,
            text=True,
            timeout=20,
            env=_docker_env(),
        )
    except subprocess.TimeoutExpired:
        return "the Docker engine did not answer within 20 s"
    if probe.returncode == 0:
        return None
    if "No such image" in probe.stderr or "No such object" in probe.stderr:
        return f"the sandbox image {image} does not exist; {BUILD_HINT}"
    return f"the Docker engine is not reachable: {probe.stderr.strip()[:300]}"


class DockerLauncher:
    backend = BACKEND

    def __init__(self, settings: SandboxSettings) -> None:
        image = settings.image or default_image()
        if not image:
            raise SandboxUnavailableError(f"no sandbox image has been built; {BUILD_HINT}")
        problem = docker_problem(image)
        if problem:
            raise SandboxUnavailableError(f"docker sandbox unavailable: {problem}")
        self.image = image
        self.settings = settings
        self.client = _api_client()
        self.engine_cpus = _engine_cpus(self.client) if settings.pin_cpus else 0

    # One policy, rendered for the CLI (`command`) and for the engine API (`_attach`).

    def _tmpfs_options(self) -> str:
        return f"rw,nosuid,nodev,size={self.settings.tmpfs_mb}m,mode=1777"

    def _cpuset(self, slot: int) -> str | None:
        return str(slot % self.engine_cpus) if self.engine_cpus else None

    def command(self, name: str, slot: int = 0) -> list[str]:
        s = self.settings
        memory = str(s.sandbox_memory_bytes)
        cpuset = self._cpuset(slot)
        pin = ["--cpuset-cpus", cpuset] if cpuset else []
        return [
            "docker", "run", "--interactive", "--rm", "--name", name, *pin,
            "--label", f"{CONTAINER_LABEL}=1",
            "--network", "none",
            "--read-only",
            "--tmpfs", f"{SANDBOX_TMP}:{self._tmpfs_options()}",
            "--memory", memory, "--memory-swap", memory,
            "--pids-limit", str(s.max_processes),
            "--cpus", str(s.cpus),
            "--cap-drop", "ALL",
            "--security-opt", "no-new-privileges",
            "--user", SANDBOX_USER,
            "--ipc", "none",
            "--log-driver", "none",
            "--ulimit", "core=0",
            "--workdir", SANDBOX_TMP,
            self.image,
            *_SERVER_COMMAND,
        ]  # fmt: skip

    def start(self, slot: int) -> ServerProcess:
        name = f"factory-sandbox-{uuid.uuid4().hex[:12]}-{slot}"
        if self.client is not None:
            return ServerProcess(self._attach(name, slot))
        env = _docker_env()

        def remove() -> None:
            subprocess.run(
                ["docker", "rm", "--force", name], capture_output=True, env=env, timeout=60
            )

        return ServerProcess.child(self.command(name, slot), env=env, on_close=remove)

    def _attach(self, name: str, slot: int) -> AttachTransport:
        s = self.settings
        host_config: dict[str, Any] = {
            "network_mode": "none",
            "read_only": True,
            "tmpfs": {SANDBOX_TMP: self._tmpfs_options()},
            "mem_limit": s.sandbox_memory_bytes,
            "memswap_limit": s.sandbox_memory_bytes,
            "pids_limit": s.max_processes,
            "nano_cpus": int(s.cpus * 1e9),
            "cap_drop": ["ALL"],
            "security_opt": ["no-new-privileges"],
            "ipc_mode": "none",
            "log_config": LogConfig(type="none"),
            "ulimits": [Ulimit(name="core", soft=0, hard=0)],
            "auto_remove": True,
        }
        cpuset = self._cpuset(slot)
        if cpuset:
            host_config["cpuset_cpus"] = cpuset
        assert self.client is not None
        return AttachTransport(
            self.client,
            image=self.image,
            command=_SERVER_COMMAND,
            name=name,
            labels={CONTAINER_LABEL: "1"},
            create={"user": SANDBOX_USER, "working_dir": SANDBOX_TMP},
            host_config=host_config,
        )
