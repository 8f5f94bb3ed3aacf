"""The production example with the Docker run launcher (deploy/dagster.docker.yaml), for real.

A code server runs from the run image (as in deploy/README.md); one run of `pre_review_job`,
selecting the `prompts` asset and its gate for a 2-prompt batch, is launched through
`DagsterInstance.launch_run`. The run must succeed inside its own container, with the
forwarded environment and host networking, writing Dagster's records and the prompts into
throwaway PostgreSQL databases.

The run image is built by deploy/run-image/build.sh and cached by content tags: only a change of
the dependencies rebuilds the base (many minutes); a source change adds one thin layer.
"""

import hashlib
import json
import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from dagster import AssetCheckKey, AssetKey, DagsterEventType, DagsterInstance, DagsterRunStatus
from dagster._core.definitions.selector import JobSubsetSelector
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import GrpcServerTarget
from dagster._grpc.client import DagsterGrpcClient
from dagster_docker.docker_run_launcher import DOCKER_CONTAINER_ID_TAG, DOCKER_IMAGE_TAG
from dagster_run_builders import run_failures, wait_for_run
from sqlalchemy import func, select, text
from sqlmodel import Session

from assets.partitions import BATCH_PARTITIONS_NAME
from commands.demo import sample_batch
from factory.db import make_engine
from factory.intake.batch_id import batch_id_for
from factory.models import Prompt

REPO_ROOT = Path(__file__).resolve().parents[2]
SHIPPED = REPO_ROOT / "deploy" / "dagster.docker.yaml"
SHIPPED_FACTORY_HOME = "/srv/factory"
PG_ADMIN_URL = os.environ.get(
    "FACTORY_TEST_PG_URL", "postgresql+psycopg2://factory:factory@127.0.0.1:5432/factory"
)
BUILD_TIMEOUT_S = 1800  # a cold build (debootstrap + wheels); cached builds take seconds
RUN_TIMEOUT_S = 180
LOCATION = "factory"
PROMPTS = AssetKey("prompts")

pytestmark = [
    pytest.mark.docker,
    pytest.mark.postgres,
    pytest.mark.slow,
    # Over the suite's 600 s default only when the base image has to be built from scratch.
    pytest.mark.timeout(BUILD_TIMEOUT_S + RUN_TIMEOUT_S + 300),
]


def _bash(script: str, timeout: float) -> str:
    done = subprocess.run(
        ["bash", script],
        cwd=REPO_ROOT,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
        timeout=timeout,
    )
    return done.stdout.strip()


def _docker(*args: str) -> str:
    done = subprocess.run(["docker", *args], check=True, capture_output=True, text=True)
    return done.stdout.strip()


@pytest.fixture(scope="module")
def run_image() -> str:
    _bash("scripts/ensure-docker.sh", timeout=120)
    return _bash("deploy/run-image/build.sh", timeout=BUILD_TIMEOUT_S).splitlines()[-1]


@pytest.fixture
def databases() -> Iterator[dict[str, str]]:
    """Two throwaway databases: Dagster's storage and the factory's system of record."""
    _bash("scripts/ensure-postgres.sh", timeout=120)
    admin = make_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    suffix = uuid.uuid4().hex[:10]
    names = {"dagster": f"dagster_docker_{suffix}", "factory": f"factory_docker_{suffix}"}
    with admin.connect() as conn:
        for name in names.values():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    yield {role: f"{base}/{name}" for role, name in names.items()}
    with admin.connect() as conn:
        for name in names.values():
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def code_server(run_image: str) -> Iterator[int]:
    """The code location, served from the run image the way deploy/README.md starts it."""
    port = _free_port()
    name = f"factory-code-{uuid.uuid4().hex[:8]}"
    _docker(
        "run", "-d", "--name", name, "--network", "host", run_image,
        "dagster", "api", "grpc", "-m", "definitions", "-h", "127.0.0.1", "-p", str(port),
    )  # fmt: skip
    try:
        client = DagsterGrpcClient(host="127.0.0.1", port=port)
        deadline = time.monotonic() + 120
        while True:
            try:
                client.ping("ready?")
                break
            except Exception:
                if time.monotonic() > deadline:
                    pytest.fail("code server did not answer in 120 s:\n" + _logs(name))
                time.sleep(1)
        yield port
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)


@pytest.fixture
def run_containers() -> Iterator[list[str]]:
    """Containers the test's runs started; removed afterwards, whatever the outcome."""
    started: list[str] = []
    yield started
    for container in started:
        subprocess.run(["docker", "rm", "-f", container], capture_output=True)


def _logs(container: str) -> str:
    done = subprocess.run(["docker", "logs", container], capture_output=True, text=True)
    return (done.stdout + done.stderr)[-4000:]


def _instance_yaml(factory_home: Path) -> str:
    """The shipped file, with the host's FACTORY_HOME mounted instead of /srv/factory."""
    config = yaml.safe_load(SHIPPED.read_text())
    volumes = config["run_launcher"]["config"]["container_kwargs"]["volumes"]
    assert volumes == [f"{SHIPPED_FACTORY_HOME}:{SHIPPED_FACTORY_HOME}"]
    config["run_launcher"]["config"]["container_kwargs"]["volumes"] = [
        f"{factory_home}:{factory_home}"
    ]
    return yaml.safe_dump(config)


def test_the_shipped_launcher_forwards_settings_but_no_token() -> None:
    config = yaml.safe_load(SHIPPED.read_text())
    launcher = config["run_launcher"]
    assert (launcher["module"], launcher["class"]) == ("dagster_docker", "DockerRunLauncher")
    assert launcher["config"]["image"] == {"env": "FACTORY_RUN_IMAGE"}
    assert launcher["config"]["network"] == "host"
    forwarded = launcher["config"]["env_vars"]
    assert {"FACTORY_DATABASE_URL", "FACTORY_CONFIG", "DAGSTER_PG_URL"} <= set(forwarded)
    assert not any(name.startswith("HF_TOKEN") for name in forwarded)
    assert config["storage"]["postgres"]["postgres_url"] == {"env": "DAGSTER_PG_URL"}


def _launch(instance: DagsterInstance, port: int, partition: str) -> str:
    """Create one run of pre_review_job for `partition`, only `prompts` and its gate, and launch
    it through the instance's run launcher (what the daemon does for a queued run)."""
    target = GrpcServerTarget(host="127.0.0.1", port=port, socket=None, location_name=LOCATION)
    with WorkspaceProcessContext(instance, target) as process_context:
        workspace = process_context.create_request_context()
        location = workspace.get_code_location(LOCATION)
        (repository,) = location.get_repositories().values()
        gate = AssetCheckKey(PROMPTS, "prompts_gate")
        remote_job = location.get_job(
            JobSubsetSelector(
                location_name=LOCATION,
                repository_name=repository.name,
                job_name="pre_review_job",
                op_selection=None,
                asset_selection=[PROMPTS],
                asset_check_selection=[gate],
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
            asset_selection={PROMPTS},
            asset_check_selection={gate},
            resolved_op_selection=remote_job.resolved_op_selection,
            op_selection=None,
            remote_job_origin=remote_job.get_remote_origin(),
            job_code_origin=remote_job.get_python_origin(),
            asset_graph=repository.asset_graph,
        )
        instance.launch_run(run.run_id, workspace)
        return run.run_id


def test_a_run_executes_in_its_own_container_and_writes_to_postgres(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    run_image: str,
    databases: dict[str, str],
    code_server: int,
    run_containers: list[str],
) -> None:
    factory_home = tmp_path / "factory-home"
    batch_file = sample_batch(factory_home / "inbox", 2)
    partition = batch_id_for(batch_file.name, hashlib.sha256(batch_file.read_bytes()).hexdigest())
    factory_config = factory_home / "factory.yaml"
    # No benchmark to check against: visible in the run's metadata (contaminated=0, where the
    # defaults flag both HumanEval prompts), so the forwarded FACTORY_CONFIG was read.
    factory_config.write_text(yaml.safe_dump({"intake": {"decontamination_benchmarks": []}}))
    dagster_home = tmp_path / "dagster-home"
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text(_instance_yaml(factory_home))
    # The launching process's environment: what the launcher forwards by name.
    for name, value in {
        "DAGSTER_HOME": str(dagster_home),
        "DAGSTER_PG_URL": databases["dagster"],
        "FACTORY_RUN_IMAGE": run_image,
        "FACTORY_DATABASE_URL": databases["factory"],
        "FACTORY_CONFIG": str(factory_config),
        "FACTORY_HOME": str(factory_home),
        "HF_TOKEN": "hf_must_not_reach_the_run",
        # Forwarded, so they must be set; this run (intake only) never reaches the sandbox.
        "FACTORY_SANDBOX_BACKEND": "service",
        "FACTORY_SANDBOX_URLS": "http://127.0.0.1:9",
        "FACTORY_SANDBOX_TOKEN": "unused-by-intake",
    }.items():
        monkeypatch.setenv(name, value)

    with DagsterInstance.from_config(str(dagster_home)) as instance:
        assert type(instance.run_launcher).__name__ == "DockerRunLauncher"
        instance.add_dynamic_partitions(BATCH_PARTITIONS_NAME, [partition])
        run_id = _launch(instance, code_server, partition)
        status = wait_for_run(instance, run_id, RUN_TIMEOUT_S)
        run = instance.get_run_by_id(run_id)
        assert run is not None
        container_id = run.tags.get(DOCKER_CONTAINER_ID_TAG, "")
        run_containers.append(container_id)
        logs = _logs(container_id) if container_id else "no container"
        assert status == DagsterRunStatus.SUCCESS, run_failures(instance, run_id) + "\n" + logs
        assert run.tags[DOCKER_IMAGE_TAG] == run_image
        messages = [
            entry.dagster_event.message or ""
            for entry in instance.all_logs(run_id, of_type=DagsterEventType.ENGINE_EVENT)
            if entry.dagster_event is not None
        ]
        assert any(f"new container {container_id}" in message for message in messages), messages
        # The run worker (not this process) wrote the materialisation and the gate's result.
        (materialization,) = instance.get_records_for_run(
            run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION
        ).records
        event = materialization.event_log_entry
        assert event.dagster_event.asset_key == PROMPTS
        assert event.dagster_event.partition == partition
        assert event.dagster_event.pid != os.getpid()
        metadata = event.dagster_event.event_specific_data.materialization.metadata
        assert metadata["accepted"].value == 2
        assert metadata["contaminated"].value == 0
        (check,) = instance.get_records_for_run(
            run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
        ).records
        assert check.event_log_entry.dagster_event.event_specific_data.passed

    details = json.loads(_docker("inspect", container_id))[0]
    assert details["Config"]["Image"] == run_image
    assert details["HostConfig"]["NetworkMode"] == "host"
    assert details["Config"]["Labels"]["dagster/run_id"] == run_id
    assert details["Config"]["Labels"]["org.code-rlhf-factory.role"] == "run-worker"
    env = dict(item.split("=", 1) for item in details["Config"]["Env"])
    assert env["FACTORY_DATABASE_URL"] == databases["factory"]
    assert env["FACTORY_CONFIG"] == str(factory_config)
    assert "HF_TOKEN" not in env
    image_env = json.loads(_docker("image", "inspect", run_image))[0]["Config"]["Env"] or []
    assert not any(item.startswith("HF_TOKEN") for item in image_env)

    factory_db = make_engine(databases["factory"])
    with Session(factory_db) as session:
        written = session.scalar(
            select(func.count()).select_from(Prompt).where(Prompt.batch_id == partition)
        )
    factory_db.dispose()
    assert written == 2
