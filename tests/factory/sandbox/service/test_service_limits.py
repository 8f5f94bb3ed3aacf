"""What the service answers before running anything: 401 without the token, 429 with
Retry-After when the queue is full, per-client slots, 413 for oversized bodies; and /health and
/metrics."""

import base64
import re
import threading
from collections.abc import Iterator

import httpx
import pytest
from sandbox_service_builders import (
    TOKEN,
    Service,
    running_service,
    service_settings,
    wait_for,
)

from factory.sandbox.pool import PooledSandbox

pytestmark = [pytest.mark.docker, pytest.mark.slow]

HELLO = {"code": "print('hello')", "language": "python"}
SLOW = {"code": "import time\ntime.sleep(2.5)\nprint('done')\n", "language": "python"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": "Basic " + base64.b64encode(b"verl:wrong").decode()},
        {"Authorization": "Basic not-base64!"},
        {"Authorization": TOKEN},
    ],
)
def test_no_token_or_a_wrong_one_is_401(service: Service, headers: dict[str, str]) -> None:
    for path, body in (("/run_code", HELLO), ("/v1/jobs", {"code": "x", "tests": "y"})):
        response = httpx.post(service.url + path, json=body, headers=headers, timeout=30)
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "FACTORY_SANDBOX_TOKEN" in response.json()["detail"]


def test_the_token_as_bearer_or_basic_password_is_let_in(service: Service) -> None:
    assert service.post("/run_code", HELLO).json()["status"] == "Success"
    basic = "Basic " + base64.b64encode(f"trainer:{TOKEN}".encode()).decode()
    response = httpx.post(
        service.url + "/run_code", json=HELLO, headers={"Authorization": basic}, timeout=60
    )
    assert response.json()["run_result"]["stdout"] == "hello\n"


def test_health_and_metrics_answer_without_a_token(service: Service) -> None:
    health = service.get("/health")
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "ok"
    assert body["pool"]["backend"] == "docker" and body["pool"]["pool_size"] == 2
    assert (body["running"], body["queued"]) == (0, 0)
    # By default the pool is handed twice its size, so no server idles between two jobs.
    assert body["max_concurrency"] == 4 and body["per_client_concurrency"] == 4
    metrics = service.get("/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    assert "factory_sandbox_queue_depth 0.0" in metrics.text


def test_metrics_count_requests_latency_verdicts_and_rejections(service: Service) -> None:
    service.post("/run_code", HELLO)
    service.post("/run_code", {"code": "raise SystemExit(1)", "language": "python"})
    service.post("/run_code", HELLO, token=None)
    text = service.get("/metrics").text

    def value(series: str) -> float:
        match = re.search(rf"^{re.escape(series)} (\S+)$", text, re.M)
        assert match, f"{series} not in /metrics"
        return float(match.group(1))

    assert value('factory_sandbox_requests_total{code="200",endpoint="/run_code"}') >= 2
    assert value('factory_sandbox_requests_total{code="401",endpoint="/run_code"}') >= 1
    assert value('factory_sandbox_request_seconds_count{endpoint="/run_code"}') >= 3
    verdict = 'factory_sandbox_verdicts_total{endpoint="/run_code",language="python",verdict='
    assert value(verdict + '"passed"}') >= 1
    assert value(verdict + '"error"}') >= 1
    assert value('factory_sandbox_rejections_total{reason="unauthorized"}') >= 1
    assert value("factory_sandbox_pool_servers") >= 1


@pytest.fixture
def tiny(docker_sandbox: PooledSandbox) -> Iterator[Service]:
    """One job at a time, one more waiting, 2 KiB bodies at most."""
    settings = service_settings(
        docker_sandbox.settings, max_concurrency=1, max_queue=1, max_request_bytes=2048
    )
    with running_service(docker_sandbox, settings) as service:
        yield service


def _in_background(service: Service, body: dict, client: str = "") -> tuple[threading.Thread, list]:
    answers: list[httpx.Response] = []
    thread = threading.Thread(
        target=lambda: answers.append(service.post("/run_code", body, client=client))
    )
    thread.start()
    return thread, answers


def test_a_full_queue_is_429_with_retry_after(tiny: Service) -> None:
    first, first_answer = _in_background(tiny, SLOW)
    wait_for(tiny, lambda h: h["running"] == 1)
    second, second_answer = _in_background(tiny, SLOW)
    wait_for(tiny, lambda h: h["queued"] == 1)
    refused = tiny.post("/run_code", HELLO)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert "queue is full" in refused.json()["detail"]
    batch = {"jobs": [{"code": "x", "tests": "y"}] * 3}
    assert tiny.post("/v1/jobs/batch", batch).status_code == 413  # more than it ever admits
    for thread in (first, second):
        thread.join(timeout=120)
    assert [a.json()["run_result"]["stdout"] for a in first_answer + second_answer] == [
        "done\n",
        "done\n",
    ]
    assert tiny.post("/run_code", HELLO).json()["status"] == "Success"  # room again
    metrics = tiny.get("/metrics").text
    assert 'factory_sandbox_rejections_total{reason="queue_full"} 1.0' in metrics


def test_an_oversized_body_is_413_naming_the_limit(tiny: Service) -> None:
    big = {"code": "print(1)\n" + "#" * 5000, "language": "python"}
    response = tiny.post("/run_code", big)
    assert response.status_code == 413
    assert "2048 bytes" in response.json()["detail"]
    assert "max_request_bytes" in response.json()["detail"]
    chunked = httpx.post(  # no Content-Length: counted as it streams
        tiny.url + "/run_code",
        content=iter([b'{"code": "', b"x" * 3000, b'", "language": "python"}']),
        headers=tiny.headers(),
        timeout=30,
    )
    assert chunked.status_code == 413
    assert tiny.post("/run_code", big, token=None).status_code == 401  # the token comes first


def test_each_client_runs_at_most_its_share_and_the_rest_wait(
    docker_sandbox: PooledSandbox,
) -> None:
    settings = service_settings(
        docker_sandbox.settings, max_concurrency=2, per_client_concurrency=1, max_queue=4
    )
    with running_service(docker_sandbox, settings) as service:
        threads = [_in_background(service, SLOW, client="alice")[0] for _ in range(2)]
        wait_for(service, lambda h: (h["running"], h["queued"]) == (1, 1))
        threads.append(_in_background(service, SLOW, client="bob")[0])
        # Bob's job starts beside Alice's first while her second still waits.
        wait_for(service, lambda h: (h["running"], h["queued"]) == (2, 1))
        for thread in threads:
            thread.join(timeout=120)
        assert wait_for(service, lambda h: h["running"] == 0)["queued"] == 0
