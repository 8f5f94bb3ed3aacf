"""Docker backend: warm containers, each running the fork server as PID 1.

Containers have no network, a read-only root, a size-limited tmpfs at /tmp, memory (no swap),
pid and CPU limits, every capability dropped, no-new-privileges, an unprivileged user and an
empty environment (no host variable is passed in). The server's source travels as the command
line and jobs over the container's attached stdin/stdout, with no bind mount, so DOCKER_HOST is
honoured and the pool can run on another machine. Jobs go through the engine API's attach
socket (the docker SDK); with an ssh:// engine or a docker context, which the SDK does not
follow as the CLI does, through `docker run --interactive` instead.
"""

import shutil
import subprocess
import uuid

import docker
import docker.errors

from factory.errors import SandboxUnavailableError
from factory.sandbox.docker_attach import AttachTransport
from factory.sandbox.docker_isolation import Isolation
from factory.sandbox.image import BUILD_HINT, default_image
from factory.sandbox.process import SERVER_SOURCE, ServerProcess
from factory.settings import SandboxSettings, environment

BACKEND = "docker"
CONTAINER_LABEL = "org.factory.sandbox"
_SERVER_COMMAND = ["python3", "-I", "-B", "-c", SERVER_SOURCE]


def _docker_env() -> dict[str, str]:
    """What the docker CLI itself needs from the host (never forwarded into the container)."""
    return dict(environment().docker_client_env)


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
    env = environment()
    if env.docker_context or env.docker_host.startswith("ssh://"):
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

    # One policy (`Isolation`), rendered for the CLI (`command`) and for the engine API (`_attach`).

    def isolation(self, slot: int) -> Isolation:
        cpuset = str(slot % self.engine_cpus) if self.engine_cpus else None
        return Isolation.of(self.settings, cpuset)

    def command(self, name: str, slot: int = 0) -> list[str]:
        head = ["docker", "run", "--interactive", "--name", name, "--label", f"{CONTAINER_LABEL}=1"]
        return [*head, *self.isolation(slot).cli_flags(), self.image, *_SERVER_COMMAND]

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
        isolation = self.isolation(slot)
        assert self.client is not None
        return AttachTransport(
            self.client,
            image=self.image,
            command=_SERVER_COMMAND,
            name=name,
            labels={CONTAINER_LABEL: "1"},
            create=isolation.create_options(),
            host_config=isolation.host_config(),
        )
