"""bubblewrap backend, for machines with no Docker engine: the same fork server and limits.

Each server runs as PID 1 of fresh user, PID, network, IPC, UTS and cgroup namespaces, as an
unprivileged user with no capabilities, a cleared environment and the sandbox image's root
filesystem (from scripts/build-sandbox-image.sh) mounted read-only as `/`, so no host file is
visible at all. rlimits bound each process, not their sum, so the aggregate memory and process
count are capped with a cgroup per server (v1 or v2, when this user may create one); without a
writable cgroup the bound is memory_mb per process times max_processes, and the tmpfs at /tmp
is bounded only by that.

No `--die-with-parent`: the parent-death signal follows the *thread* that started bwrap, and
the pool starts servers from short-lived threads. The server exits on its own when its stdin
closes (the host process ended or the pool closed it), and its exit as PID 1 ends the namespace.
"""

import os
import shlex
import shutil
import subprocess
import uuid
from pathlib import Path

from factory.errors import SandboxUnavailableError
from factory.sandbox.image import BUILD_HINT, default_rootfs
from factory.sandbox.process import SERVER_SOURCE, ServerProcess
from factory.settings import SandboxSettings

BACKEND = "bwrap"
CGROUP_ROOT = Path("/sys/fs/cgroup")
_CGROUP_PARENT = "factory-sandbox"
SANDBOX_TMP = "/tmp"  # noqa: S108 (inside the sandbox: a private tmpfs)


def bwrap_problem(rootfs: Path | None) -> str | None:
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed"
    if rootfs is None or not (rootfs / "usr" / "bin" / "python3").exists():
        return f"the sandbox root filesystem is missing; {BUILD_HINT}"
    probe = subprocess.run(
        ["bwrap", "--ro-bind", str(rootfs), "/", "--unshare-all", "--unshare-user", "true"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    if probe.returncode != 0:
        return f"bwrap cannot create namespaces here: {probe.stderr.strip()[:300]}"
    return None


class CgroupLimit:
    """A memory + pids cgroup for one server; `enter_command` moves a shell into it."""

    def __init__(self, name: str, *, memory_bytes: int, max_processes: int) -> None:
        self.paths: list[Path] = []
        if (CGROUP_ROOT / "cgroup.controllers").exists():  # v2, unified
            path = CGROUP_ROOT / _CGROUP_PARENT / name
            parent = path.parent
            parent.mkdir(exist_ok=True)
            (parent / "cgroup.subtree_control").write_text("+memory +pids")
            path.mkdir()
            (path / "memory.max").write_text(str(memory_bytes))
            (path / "memory.swap.max").write_text("0")
            (path / "pids.max").write_text(str(max_processes))
            self.paths = [path]
        else:  # v1, one hierarchy per controller
            memory = CGROUP_ROOT / "memory" / _CGROUP_PARENT / name
            pids = CGROUP_ROOT / "pids" / _CGROUP_PARENT / name
            memory.mkdir(parents=True)
            (memory / "memory.limit_in_bytes").write_text(str(memory_bytes))
            pids.mkdir(parents=True)
            (pids / "pids.max").write_text(str(max_processes))
            self.paths = [memory, pids]

    def enter_command(self) -> str:
        return " && ".join(f"echo $$ > {shlex.quote(str(p / 'cgroup.procs'))}" for p in self.paths)

    def remove(self) -> None:
        for path in self.paths:
            try:
                path.rmdir()
            except OSError:
                pass  # still busy for a moment after the kill: an empty cgroup costs nothing


class BwrapLauncher:
    backend = BACKEND

    def __init__(self, settings: SandboxSettings) -> None:
        rootfs = Path(settings.rootfs) if settings.rootfs else default_rootfs()
        problem = bwrap_problem(rootfs)
        if problem:
            raise SandboxUnavailableError(f"bwrap sandbox unavailable: {problem}")
        assert rootfs is not None
        self.rootfs = rootfs
        # The same recipe as the docker image: report (and cache verdicts under) the same tag.
        tag_file = rootfs.resolve().parent / "tag"
        tag = tag_file.read_text().strip() if tag_file.exists() else ""
        self.image = tag or f"rootfs:{rootfs.resolve().parent.name}"
        self.settings = settings

    def bwrap_command(self) -> list[str]:
        return [
            "bwrap",
            "--ro-bind", str(self.rootfs), "/",
            "--proc", "/proc",
            "--dev", "/dev",
            "--tmpfs", SANDBOX_TMP,
            "--unshare-all", "--unshare-user",
            "--uid", "65534", "--gid", "65534",
            "--as-pid-1",
            "--new-session",
            "--cap-drop", "ALL",
            "--clearenv", "--setenv", "PATH", "/usr/bin:/bin",
            "--chdir", SANDBOX_TMP,
            "/usr/bin/python3", "-I", "-B", "-c", SERVER_SOURCE,
        ]  # fmt: skip

    def start(self, slot: int) -> ServerProcess:
        s = self.settings
        command = self.bwrap_command()
        if s.pin_cpus and shutil.which("taskset"):
            cpus = sorted(os.sched_getaffinity(0))
            command = ["taskset", "--cpu-list", str(cpus[slot % len(cpus)]), *command]
        cgroup: CgroupLimit | None = None
        try:
            cgroup = CgroupLimit(
                f"w{os.getpid()}-{slot}-{uuid.uuid4().hex[:8]}",
                memory_bytes=s.sandbox_memory_bytes,
                max_processes=s.max_processes,
            )
        except OSError:
            cgroup = None  # no writable cgroup: rlimits only (see the module docstring)
        if cgroup is not None:
            script = f"{cgroup.enter_command()} && exec {shlex.join(command)}"
            command = ["/bin/sh", "-c", script]
        return ServerProcess.child(
            command, env={"PATH": "/usr/bin:/bin"}, on_close=cgroup.remove if cgroup else None
        )
