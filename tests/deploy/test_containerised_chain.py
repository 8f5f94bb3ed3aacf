"""The whole pre-review chain in containers, the production shape of deploy/README.md.

PostgreSQL holds Dagster's storage and the factory's records; a code server runs from the run
image; the sandbox service runs as a second container of the same image, the only one with the
engine's socket (docker backend); `pre_review_job` (intake, replayed candidates, execution,
signals, review queues) is launched through the Docker run launcher of
deploy/dagster.docker.yaml. The run's container has no socket and no bubblewrap: every verdict
must come from the service, which the service's own job counters and the recorded runs show.
"""

import hashlib
import json
import os
import re
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from dagster import DagsterInstance, DagsterRunStatus
from dagster._core.definitions.selector import JobSubsetSelector
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import GrpcServerTarget
from dagster._grpc.client import DagsterGrpcClient
from dagster_docker.docker_run_launcher import DOCKER_CONTAINER_ID_TAG
from dagster_run_builders import run_failures, wait_for_run
from sqlalchemy import func, select, text
from sqlmodel import Session

from assets.partitions import BATCH_PARTITIONS_NAME
from commands.demo import sample_batch
from factory.db import make_engine
from factory.intake.batch_id import batch_id_for
from factory.models import Candidate, ExecutionRun, Prompt, ReviewTask
from factory.sandbox import BACKENDS
from factory.sandbox.image import default_rootfs

REPO_ROOT = Path(__file__).resolve().parents[2]
SHIPPED = REPO_ROOT / "deploy" / "dagster.docker.yaml"
PG_ADMIN_URL = os.environ.get(
    "FACTORY_TEST_PG_URL", "postgresql+psycopg2://factory:factory@127.0.0.1:5432/factory"
)
ENGINE_SOCKET = "/var/run/docker.sock"
BUILD_TIMEOUT_S = 1800  # a cold build of the run image; cached builds take seconds
SANDBOX_BUILD_TIMEOUT_S = 3600  # a cold build of the sandbox image
RUN_TIMEOUT_S = 900  # the whole chain; about 9 minutes on two busy cores with defaults
PROMPTS = 4  # the sample batch's first prompts
LOCATION = "factory"
TOKEN = "chain-test-" + uuid.uuid4().hex
VERDICTS = re.compile(r'^factory_sandbox_verdicts_total\{endpoint="([^"]+)",.*\} (\S+)$', re.M)

pytestmark = [
    pytest.mark.docker,
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.timeout(BUILD_TIMEOUT_S + SANDBOX_BUILD_TIMEOUT_S + RUN_TIMEOUT_S + 300),
]


def _bash(script: str, timeout: float) -> str:
    done = subprocess.run(
        ["bash", script], cwd=REPO_ROOT, check=True, stdout=subprocess.PIPE, text=True,
        timeout=timeout,
    )  # fmt: skip
    lines = done.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def _docker(*args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(["docker", *args], check=True, capture_output=True, text=True, env=env)
    return done.stdout.strip()


def _logs(container: str) -> str:
    done = subprocess.run(["docker", "logs", container], capture_output=True, text=True)
    return (done.stdout + done.stderr)[-4000:]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def run_image() -> str:
    _bash("scripts/ensure-docker.sh", timeout=120)
    return _bash("deploy/run-image/build.sh", timeout=BUILD_TIMEOUT_S)


@pytest.fixture(scope="module")
def sandbox_image() -> str:
    return _bash("scripts/build-sandbox-image.sh", timeout=SANDBOX_BUILD_TIMEOUT_S)


@pytest.fixture
def databases() -> Iterator[dict[str, str]]:
    """Two throwaway databases: Dagster's storage and the factory's system of record."""
    _bash("scripts/ensure-postgres.sh", timeout=120)
    admin = make_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    suffix = uuid.uuid4().hex[:10]
    names = {"dagster": f"dagster_chain_{suffix}", "factory": f"factory_chain_{suffix}"}
    with admin.connect() as conn:
        for name in names.values():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    yield {role: f"{base}/{name}" for role, name in names.items()}
    with admin.connect() as conn:
        for name in names.values():
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def containers() -> Iterator[list[str]]:
    """Containers the test started; removed afterwards, whatever the outcome."""
    started: list[str] = []
    yield started
    for container in started:
        subprocess.run(["docker", "rm", "-f", container], capture_output=True)


def _wait_until(ready: Callable[[], bool], what: str, container: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if ready():
                return
        except Exception:  # noqa: BLE001  (not answering yet)
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not answer in {timeout:.0f} s:\n" + _logs(container))
        time.sleep(1)


def _sandbox_service(
    run_image: str, sandbox_image: str, folder: Path, containers: list[str]
) -> str:
    """`factory sandbox serve` in a container of the run image, given the engine's socket (the
    docker backend starts each warm sandbox as a sibling container) and the token by name."""
    port = _free_port()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "factory.yaml").write_text(
        yaml.safe_dump({"sandbox": {"image": sandbox_image, "pool_size": 2}})
    )
    name = f"factory-sandbox-service-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "FACTORY_SANDBOX_TOKEN": TOKEN}
    _docker(
        "run", "-d", "--name", name, "--network", "host",
        "--label", "org.code-rlhf-factory.role=sandbox-service",
        "-v", f"{ENGINE_SOCKET}:{ENGINE_SOCKET}",
        "-v", f"{folder}:/etc/factory:ro",
        "-e", "FACTORY_SANDBOX_TOKEN", "-e", "FACTORY_HOME=/tmp/factory",
        run_image,
        "factory", "sandbox", "serve", "--backend", "docker", "--config",
        "/etc/factory/factory.yaml", "--host", "127.0.0.1", "--port", str(port),
        env=env,
    )  # fmt: skip
    containers.append(name)
    url = f"http://127.0.0.1:{port}"
    _wait_until(
        lambda: httpx.get(f"{url}/health", timeout=5).status_code == 200,
        "the sandbox service",
        name,
    )
    return url


def _jobs_run(url: str) -> float:
    """Jobs the service has judged, over every endpoint, language and verdict."""
    body = httpx.get(f"{url}/metrics", timeout=10).text
    return sum(float(value) for _, value in VERDICTS.findall(body))


def _code_server(run_image: str, containers: list[str]) -> int:
    port = _free_port()
    name = f"factory-code-{uuid.uuid4().hex[:8]}"
    _docker(
        "run", "-d", "--name", name, "--network", "host", run_image,
        "dagster", "api", "grpc", "-m", "definitions", "-h", "127.0.0.1", "-p", str(port),
    )  # fmt: skip
    containers.append(name)
    client = DagsterGrpcClient(host="127.0.0.1", port=port)
    _wait_until(lambda: client.ping("ready?") is not None, "the code server", name)
    return port


def _instance_yaml(factory_home: Path) -> str:
    """The shipped file, with the host's FACTORY_HOME mounted instead of /srv/factory."""
    config = yaml.safe_load(SHIPPED.read_text())
    config["run_launcher"]["config"]["container_kwargs"]["volumes"] = [
        f"{factory_home}:{factory_home}"
    ]
    return yaml.safe_dump(config)


def _launch_whole_job(instance: DagsterInstance, port: int, partition: str) -> str:
    """One run of all of pre_review_job for `partition`, through the instance's run launcher
    (what the daemon does for a run the inbox sensor queued)."""
    target = GrpcServerTarget(host="127.0.0.1", port=port, socket=None, location_name=LOCATION)
    with WorkspaceProcessContext(instance, target) as process_context:
        workspace = process_context.create_request_context()
        location = workspace.get_code_location(LOCATION)
        (repository,) = location.get_repositories().values()
        remote_job = location.get_job(
            JobSubsetSelector(
                location_name=LOCATION,
                repository_name=repository.name,
                job_name="pre_review_job",
                op_selection=None,
            )
        )
        plan = location.get_execution_plan(
            remote_job, {}, step_keys_to_execute=None, known_state=None, instance=instance
        ).execution_plan_snapshot
        run = instance.create_run(
            job_name=remote_job.name,
            run_id=None,
            run_config={},
            status=None,
            tags={**remote_job.tags, "dagster/partition": partition},
            root_run_id=None,
            parent_run_id=None,
            step_keys_to_execute=plan.step_keys_to_execute,
            execution_plan_snapshot=plan,
            job_snapshot=remote_job.job_snapshot,
            parent_job_snapshot=remote_job.parent_job_snapshot,
            asset_selection=None,
            asset_check_selection=None,
            resolved_op_selection=remote_job.resolved_op_selection,
            op_selection=None,
            remote_job_origin=remote_job.get_remote_origin(),
            job_code_origin=remote_job.get_python_origin(),
            asset_graph=repository.asset_graph,
        )
        instance.launch_run(run.run_id, workspace)
        return run.run_id


def test_the_run_image_carries_both_sandbox_backends_tools(run_image: str) -> None:
    """The same image serves the sandbox: the docker CLI for the docker backend, bubblewrap for
    the bwrap backend (deploy/k8s runs the service replicas with it)."""
    found = _docker(
        "run", "--rm", "--network", "none", run_image, "sh", "-c",
        "command -v docker bwrap && docker --version && bwrap --version",
    )  # fmt: skip
    assert "/usr/local/bin/docker" in found
    assert "bubblewrap" in found


def test_a_replica_serves_with_bwrap_in_an_unprivileged_container(
    run_image: str, sandbox_image: str, containers: list[str]
) -> None:
    """The shape of the Kubernetes replicas (deploy/k8s): no engine socket, the sandbox's root
    filesystem in a volume, bwrap for every job. The container needs only namespaces it may
    create (seccomp and AppArmor unconfined) and an unmasked /proc, not --privileged."""
    rootfs = default_rootfs()
    assert rootfs is not None, "scripts/build-sandbox-image.sh keeps the root filesystem"
    port = _free_port()
    name = f"factory-sandbox-bwrap-{uuid.uuid4().hex[:8]}"
    _docker(
        "run", "-d", "--name", name, "--network", "host",
        "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
        "--security-opt", "systempaths=unconfined",
        "-v", f"{rootfs.parent}:/sandbox/current:ro",
        "-e", "FACTORY_SANDBOX_TOKEN", "-e", "FACTORY_SANDBOX_CACHE=/sandbox",
        "-e", "FACTORY_HOME=/tmp/factory",
        run_image,
        "factory", "sandbox", "serve", "--backend", "bwrap",
        "--host", "127.0.0.1", "--port", str(port),
        env={**os.environ, "FACTORY_SANDBOX_TOKEN": TOKEN},
    )  # fmt: skip
    containers.append(name)
    url = f"http://127.0.0.1:{port}"
    _wait_until(
        lambda: httpx.get(f"{url}/health", timeout=5).status_code == 200, "the replica", name
    )
    assert "(bwrap, token required)" in _logs(name)
    answer = httpx.post(
        f"{url}/run_code",
        json={"code": "import os; print(6 * 7, sorted(os.environ))", "language": "python"},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=60,
    ).json()
    assert answer["status"] == "Success", answer
    # The job ran in the sandbox: the service's token and settings are not in its environment.
    assert answer["run_result"]["stdout"].startswith("42 ")
    assert "FACTORY_SANDBOX_TOKEN" not in answer["run_result"]["stdout"]
    assert _jobs_run(url) == 1


def test_pre_review_chain_runs_in_containers_and_judges_through_the_service(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    run_image: str,
    sandbox_image: str,
    databases: dict[str, str],
    containers: list[str],
) -> None:
    assert "service" in BACKENDS, f"no `service` sandbox backend in this tree ({BACKENDS})"
    service_url = _sandbox_service(run_image, sandbox_image, tmp_path / "service", containers)
    jobs_before = _jobs_run(service_url)
    code_port = _code_server(run_image, containers)

    factory_home = tmp_path / "factory-home"
    batch_file = sample_batch(factory_home / "inbox", PROMPTS)
    partition = batch_id_for(batch_file.name, hashlib.sha256(batch_file.read_bytes()).hexdigest())
    factory_config = factory_home / "factory.yaml"
    # The bundled replay file stands in for the model server (no generation.base_url); one
    # timing per growth size keeps the signals stage short.
    factory_config.write_text(
        yaml.safe_dump(
            {
                "intake": {"decontamination_benchmarks": []},
                "signals": {"growth_sizes": [1000, 4000], "growth_repeats": 1},
            }
        )
    )
    dagster_home = tmp_path / "dagster-home"
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text(_instance_yaml(factory_home))
    for name, value in {
        "DAGSTER_HOME": str(dagster_home),
        "DAGSTER_PG_URL": databases["dagster"],
        "FACTORY_RUN_IMAGE": run_image,
        "FACTORY_DATABASE_URL": databases["factory"],
        "FACTORY_CONFIG": str(factory_config),
        "FACTORY_HOME": str(factory_home),
        "FACTORY_SANDBOX_BACKEND": "service",
        "FACTORY_SANDBOX_URLS": service_url,
        "FACTORY_SANDBOX_TOKEN": TOKEN,
    }.items():
        monkeypatch.setenv(name, value)

    with DagsterInstance.from_config(str(dagster_home)) as instance:
        assert type(instance.run_launcher).__name__ == "DockerRunLauncher"
        instance.add_dynamic_partitions(BATCH_PARTITIONS_NAME, [partition])
        run_id = _launch_whole_job(instance, code_port, partition)
        status = wait_for_run(instance, run_id, RUN_TIMEOUT_S)
        run = instance.get_run_by_id(run_id)
        assert run is not None
        container_id = run.tags.get(DOCKER_CONTAINER_ID_TAG, "")
        if container_id:
            containers.append(container_id)
        logs = _logs(container_id) if container_id else "no container"
        assert status == DagsterRunStatus.SUCCESS, run_failures(instance, run_id) + "\n" + logs
        done = {key.to_user_string() for key in instance.get_asset_keys()}
        assert {"prompts", "candidates", "executions", "signals"} <= done, done

    # The run's container could not have judged anything itself: no socket, no engine address,
    # no bubblewrap; it got the service's address and token by name from the launcher.
    details = json.loads(_docker("inspect", container_id))[0]
    assert not any(ENGINE_SOCKET in mount for mount in details["HostConfig"]["Binds"] or [])
    env = dict(item.split("=", 1) for item in details["Config"]["Env"])
    assert "DOCKER_HOST" not in env
    assert env["FACTORY_SANDBOX_BACKEND"] == "service"
    assert env["FACTORY_SANDBOX_URLS"] == service_url
    image_env = json.loads(_docker("image", "inspect", run_image))[0]["Config"]["Env"] or []
    assert not any(item.startswith("FACTORY_SANDBOX_TOKEN") for item in image_env)

    factory_db = make_engine(databases["factory"])
    with Session(factory_db) as session:
        prompts = session.scalar(
            select(func.count()).select_from(Prompt).where(Prompt.batch_id == partition)
        )
        candidates = session.scalar(
            select(func.count()).select_from(Candidate).where(Candidate.batch_id == partition)
        )
        runs = session.exec(
            select(ExecutionRun.candidate_id, ExecutionRun.cache_key, ExecutionRun.verdict).where(
                ExecutionRun.batch_id == partition
            )
        ).all()
        tasks = session.scalar(
            select(func.count()).select_from(ReviewTask).where(ReviewTask.batch_id == partition)
        )
    factory_db.dispose()
    assert prompts == PROMPTS
    assert candidates is not None and candidates >= 2 * PROMPTS
    # Every candidate has a verdict; each distinct job (a fresh database caches none) was judged
    # by the service, whose counters count the run's jobs and nothing else.
    assert len({candidate for candidate, _, _ in runs}) == candidates
    assert {verdict for _, _, verdict in runs} & {"passed", "failed"}
    assert _jobs_run(service_url) - jobs_before >= len({key for _, key, _ in runs})
    assert tasks
