"""One container session on a task: the task's image, the base checkout unpacked into the
container's own writable layer (thrown away with the container), no network, no capabilities,
the unprivileged user, no variable from the host, and the driver (`driver/session.py`) running
the plan. Only the driver's result line, led by this session's secret, is believed."""

import io
import json
import secrets
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import docker.errors

from factory.envs.ecosystems import Ecosystem
from factory.envs.workspace import RUN_UID
from factory.settings import EnvsSettings

_DRIVER = Path(__file__).resolve().parent / "driver" / "session.py"
SESSION_LABEL = "org.factory.env.session"
# The environment a task sees: no variable of the host's, so no token or key can be in it.
TASK_ENV = {
    "HOME": "/tmp",  # noqa: S108 (the container's own /tmp)
    "PATH": "/opt/env/bin:/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "PIP_NO_CACHE_DIR": "1",
    "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    "PIP_NO_INDEX": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
}


@dataclass(frozen=True, slots=True)
class Patch:
    name: str  # test | gold | candidate
    text: str
    put_back: tuple[str, ...] = ()  # test files the patch touched, restored after it


@dataclass(slots=True)
class Phase:
    name: str  # runnable | before | after | grade | command
    patches: list[Patch] = field(default_factory=list)
    argv: list[str] = field(default_factory=list)
    command: str | None = None  # a shell command instead of a test run
    attempt: int = 1


@dataclass(slots=True)
class SessionResult:
    ok: bool
    problem: str = ""  # why there is no result (timeout, engine error, install failed)
    prepare: dict[str, Any] = field(default_factory=dict)
    phases: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0


class SessionRunner:
    """Runs sessions in one ecosystem's images, with the settings' limits."""

    def __init__(self, client: docker.DockerClient, settings: EnvsSettings) -> None:
        self.client = client
        self.settings = settings

    def run(
        self,
        image: str,
        ecosystem: Ecosystem,
        workspace: bytes,
        phases: list[Phase],
        *,
        prepare: bool = True,
    ) -> SessionResult:
        secret = secrets.token_hex(16)
        timeout = self.settings.test_timeout_s
        plan = {
            "secret": secret,
            "env": TASK_ENV,
            "workspace": "/factory/workspace.tar",
            "prepare": ecosystem.prepare_argv() if prepare else None,
            "prepare_timeout_s": self.settings.prepare_timeout_s,
            "phases": [
                {
                    "name": phase.name,
                    "attempt": phase.attempt,
                    "argv": phase.argv,
                    "timeout_s": timeout,
                    "patches": [
                        {"name": p.name, "text": p.text, "put_back": list(p.put_back)}
                        for p in phase.patches
                    ],
                    **({"command": phase.command} if phase.command is not None else {}),
                }
                for phase in phases
            ],
        }
        files = {
            "plan.json": json.dumps(plan).encode(),
            "session.py": _DRIVER.read_bytes(),
            "workspace.tar": workspace,
            **{f"lib/{name}": data for name, data in ecosystem.driver_files().items()},
        }
        budget = self.settings.prepare_timeout_s + (len(phases) + 1) * timeout + 60
        started = time.monotonic()
        container = self.client.containers.create(
            image,
            command=["/usr/bin/python3", "-I", "-B", "/factory/session.py"],
            user=f"{RUN_UID}:{RUN_UID}",
            environment=TASK_ENV,
            working_dir="/work",
            network_mode="none",
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
            mem_limit=f"{self.settings.memory_mb}m",
            memswap_limit=f"{self.settings.memory_mb}m",
            pids_limit=self.settings.max_processes,
            nano_cpus=int(self.settings.cpus * 1e9),
            ulimits=[docker.types.Ulimit(name="core", soft=0, hard=0)],
            labels={SESSION_LABEL: "1"},
        )
        try:
            container.put_archive("/", _session_tar(files))
            container.start()
            try:
                container.wait(timeout=budget)
            except Exception:  # the engine's read timeout: the session overran its budget
                return SessionResult(False, f"the session ran over {budget:.0f} s")
            stdout = container.logs(stdout=True, stderr=False).decode("utf-8", "replace")
            stderr = container.logs(stdout=False, stderr=True).decode("utf-8", "replace")
        except docker.errors.DockerException as exc:
            return SessionResult(False, f"the Docker engine failed the session: {exc}")
        finally:
            try:
                container.remove(force=True)
            except docker.errors.DockerException:
                pass
        result = _result_line(stdout, secret)
        seconds = time.monotonic() - started
        if result is None:
            return SessionResult(
                False, f"the driver gave no result: {(stderr or stdout).strip()[-600:]}"
            )
        prepare_result = result.get("prepare") or {}
        if prepare and prepare_result.get("exit") != 0:
            why = "timed out" if prepare_result.get("exit") is None else "failed"
            output = str(prepare_result.get("output", "")).strip()[-800:]
            return SessionResult(
                False, f"installing the project {why}: {output}", prepare_result, [], seconds
            )
        return SessionResult(True, "", prepare_result, list(result["phases"]), seconds)


def _result_line(stdout: str, secret: str) -> dict[str, Any] | None:
    prefix = f"FACTORY-RESULT {secret} "
    for line in reversed(stdout.splitlines()):
        if line.startswith(prefix):
            try:
                value = json.loads(line[len(prefix) :])
            except ValueError:
                return None
            return value if isinstance(value, dict) else None
    return None


def _session_tar(files: dict[str, bytes]) -> bytes:
    """/factory (the driver's, owned by the run user so the driver can delete its plan) and an
    empty /work for the checkout."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for directory in ("factory", "factory/lib", "work"):
            info = tarfile.TarInfo(directory)
            info.type, info.mode = tarfile.DIRTYPE, 0o700
            info.uid = info.gid = RUN_UID
            archive.addfile(info)
        for name, data in files.items():
            info = tarfile.TarInfo(f"factory/{name}")
            info.size, info.mode = len(data), 0o600
            info.uid = info.gid = RUN_UID
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()
