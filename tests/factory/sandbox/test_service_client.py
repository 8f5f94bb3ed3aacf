"""The `service` backend's client over replicas served in threads around stand-in pools: the
answer comes back as the outcome the pool gave, a failing replica's job goes to another and is
answered once, 429 waits, and refusals say whose fault they are."""

import threading
import time
from typing import Any

import pytest
from sandbox_service_builders import TOKEN, running_service, service_settings

from factory.errors import SandboxUnavailableError
from factory.sandbox import ExecutionJob, ExecutionOutcome, open_sandbox
from factory.sandbox import TestOutcome as Tested
from factory.sandbox.job import RunJob, RunOutcome
from factory.sandbox.service_client import ServiceSandbox
from factory.settings import SandboxServiceSettings, SandboxSettings, load_config
from factory.vocab import Verdict

RICH = ExecutionOutcome(
    verdict=Verdict.FAILED,
    tests=[
        Tested("test_a", "passed", "", 0.0125),
        Tested("test_b", "failed", "1 != 2", 0.5),
    ],
    error_type="AssertionError",
    stdout="out\n",
    stderr="trace\n" * 400,
    wall_time_s=1.25,
    peak_memory_kb=20480,
    backend="bwrap",
    image="factory-sandbox:abc",
    compile_output="warning: x",
    compile_time_s=0.25,
)


class StandInPool:
    """A pool that answers every job with `outcome` after `delay_s`, failing its first
    `fail_first` jobs with an exception (the service answers those 500); counts what it ran."""

    def __init__(
        self, outcome: ExecutionOutcome = RICH, *, delay_s: float = 0.0, fail_first: int = 0
    ) -> None:
        self.outcome, self.delay_s, self.fail_first = outcome, delay_s, fail_first
        self.ran: list[str] = []
        self.lock = threading.Lock()

    def run(self, job: ExecutionJob) -> ExecutionOutcome:
        time.sleep(self.delay_s)
        with self.lock:
            if self.fail_first > 0:
                self.fail_first -= 1
                raise RuntimeError("the replica's pool broke")
            self.ran.append(job.code)
        return self.outcome

    def run_program(self, job: RunJob) -> RunOutcome:
        raise AssertionError("not used")

    def state(self) -> dict[str, Any]:
        return {
            "backend": "bwrap",
            "image": "factory-sandbox:abc",
            "servers_started": 1,
            "servers_idle": 1,
            "closed": False,
        }


def job(n: int = 0) -> ExecutionJob:
    return ExecutionJob(code=f"def f():\n    return {n}\n", tests="def test_f():\n    assert f()\n")


def client(*urls: str, **service: Any) -> ServiceSandbox:
    settings = SandboxSettings(service=SandboxServiceSettings(urls=list(urls), **service))
    return ServiceSandbox(settings, token=TOKEN)


def closed_port_url() -> str:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens there any more


def test_the_answer_is_the_outcome_the_replica_judged() -> None:
    pool = StandInPool()
    with running_service(pool, service_settings(SandboxSettings())) as replica:
        with client(replica.url) as sandbox:
            outcome = sandbox.run(job())
            assert sandbox.image == "factory-sandbox:abc" and sandbox.backend == "service"
    assert outcome == RICH


def test_jobs_of_a_replica_that_cannot_be_reached_go_to_another_once_each() -> None:
    pool = StandInPool(delay_s=0.01)
    with running_service(pool, service_settings(SandboxSettings())) as replica:
        with client(replica.url, closed_port_url(), replica_cooldown_s=60) as sandbox:
            outcomes = sandbox.run_many([job(n) for n in range(12)])
            assert sandbox.failovers >= 1
            assert sandbox.state()["down"] == [sandbox.urls[1]]
    assert len(outcomes) == 12 and all(o.verdict == Verdict.FAILED for o in outcomes)
    assert sorted(pool.ran) == sorted(job(n).code for n in range(12))  # each exactly once


def test_a_job_a_replica_fails_with_5xx_is_answered_by_another() -> None:
    broken, healthy = StandInPool(fail_first=100), StandInPool()
    base = service_settings(SandboxSettings())
    with running_service(broken, base) as first, running_service(healthy, base) as second:
        with client(first.url, second.url) as sandbox:
            outcomes = sandbox.run_many([job(n) for n in range(6)])
    assert [o.verdict for o in outcomes] == [Verdict.FAILED] * 6
    assert broken.ran == [] and len(healthy.ran) == 6


def test_a_lone_replica_that_failed_once_is_tried_again() -> None:
    pool = StandInPool(fail_first=1)
    with running_service(pool, service_settings(SandboxSettings())) as replica:
        with client(replica.url) as sandbox:
            assert sandbox.run(job()).verdict == Verdict.FAILED
            assert sandbox.failovers == 1
    assert len(pool.ran) == 1


def test_a_full_queue_is_waited_out_not_counted_as_a_failure() -> None:
    pool = StandInPool(delay_s=0.3)
    settings = service_settings(SandboxSettings(), max_concurrency=1, max_queue=0)
    with running_service(pool, settings) as replica:
        with client(replica.url, client_concurrency=3) as sandbox:
            outcomes = sandbox.run_many([job(n) for n in range(3)])
            assert sandbox.failovers == 0
        rejected = replica.get("/metrics").text
    assert len(outcomes) == 3 and len(pool.ran) == 3
    assert 'factory_sandbox_rejections_total{reason="queue_full"}' in rejected


def test_a_wrong_token_is_refused_naming_the_variable() -> None:
    with running_service(StandInPool(), service_settings(SandboxSettings())) as replica:
        settings = SandboxSettings(service=SandboxServiceSettings(urls=[replica.url]))
        with ServiceSandbox(settings, token="not-the-token") as sandbox:  # noqa: S106
            with pytest.raises(SandboxUnavailableError, match="FACTORY_SANDBOX_TOKEN"):
                sandbox.run(job())


def test_a_job_the_service_cannot_run_is_the_callers_error() -> None:
    with running_service(StandInPool(), service_settings(SandboxSettings())) as replica:
        with client(replica.url) as sandbox:
            with pytest.raises(ValueError, match="language 'cobol' is not supported"):
                sandbox.run(ExecutionJob(code="x", tests="y", language="cobol"))


def test_no_healthy_replica_refuses_to_open_naming_each() -> None:
    dead = closed_port_url()
    with pytest.raises(SandboxUnavailableError, match=dead.replace(".", r"\.")):
        client(dead)


def test_replicas_that_all_die_fail_the_call_after_the_deadline() -> None:
    pool = StandInPool()
    with running_service(pool, service_settings(SandboxSettings())) as replica:
        sandbox = client(replica.url, client_deadline_s=1.0)
    with sandbox, pytest.raises(SandboxUnavailableError, match="no sandbox service replica"):
        sandbox.run(job())


def test_the_backend_is_chosen_by_settings_and_needs_urls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(SandboxUnavailableError, match="FACTORY_SANDBOX_URLS"):
        open_sandbox(SandboxSettings(backend="service"))
    monkeypatch.setenv("FACTORY_SANDBOX_BACKEND", "service")
    monkeypatch.setenv("FACTORY_SANDBOX_URLS", "http://a:8080, http://b:8080/")
    config = load_config()
    assert config.sandbox.backend == "service"
    assert config.sandbox.service.urls == ["http://a:8080", "http://b:8080/"]
    monkeypatch.setenv("FACTORY_SANDBOX_TOKEN", TOKEN)
    with running_service(StandInPool(), service_settings(SandboxSettings())) as replica:
        config.sandbox.service.urls = [replica.url]
        with open_sandbox(config.sandbox) as sandbox:  # the token from the environment
            assert sandbox.run(job()) == RICH
