"""The docker sandbox's isolation policy is one value: the CLI flags and the engine API's options
are two renderings of the same settings (test_docker_backend.py checks both on a real engine)."""

from docker.types import LogConfig, Ulimit

from factory.sandbox.docker_isolation import Isolation
from factory.settings import SandboxSettings

MEMORY = (2 * 512 + 256 + 256) * 1024 * 1024


def test_the_cli_flags_render_the_policy() -> None:
    flags = Isolation.of(SandboxSettings(), cpuset="3").cli_flags()
    assert flags == [
        "--rm",
        "--cpuset-cpus", "3",
        "--network", "none",
        "--read-only",
        "--tmpfs", "/tmp:rw,exec,nosuid,nodev,size=256m,mode=1777",
        "--memory", str(MEMORY),
        "--memory-swap", str(MEMORY),
        "--pids-limit", "64",
        "--cpus", "1.0",
        "--cap-drop", "ALL",
        "--security-opt", "no-new-privileges",
        "--user", "65534:65534",
        "--ipc", "none",
        "--log-driver", "none",
        "--ulimit", "core=0",
        "--workdir", "/tmp",
    ]  # fmt: skip


def test_the_engine_api_options_render_the_same_policy() -> None:
    isolation = Isolation.of(SandboxSettings(), cpuset="3")
    assert isolation.host_config() == {
        "auto_remove": True,
        "cpuset_cpus": "3",
        "network_mode": "none",
        "read_only": True,
        "tmpfs": {"/tmp": "rw,exec,nosuid,nodev,size=256m,mode=1777"},
        "mem_limit": MEMORY,
        "memswap_limit": MEMORY,
        "pids_limit": 64,
        "nano_cpus": 1_000_000_000,
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "ipc_mode": "none",
        "log_config": LogConfig(type="none"),
        "ulimits": [Ulimit(name="core", soft=0, hard=0)],
    }
    assert isolation.create_options() == {"user": "65534:65534", "working_dir": "/tmp"}


def test_an_unpinned_sandbox_has_no_cpu_set_either_way() -> None:
    isolation = Isolation.of(SandboxSettings(cpus=0.5, tmpfs_mb=8))
    assert "--cpuset-cpus" not in isolation.cli_flags()
    assert "cpuset_cpus" not in isolation.host_config()
    assert isolation.cli_flags()[isolation.cli_flags().index("--cpus") + 1] == "0.5"
    assert isolation.host_config()["nano_cpus"] == 500_000_000
