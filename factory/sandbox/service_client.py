"""The `service` backend: judge jobs on replicas of `factory sandbox serve` over HTTP.

This is what a machine without an isolating engine of its own uses (a Dagster run in a
container, a training node): each job goes to `POST /v1/jobs` on one replica of
`sandbox.service.urls`, round robin, with the bearer token from FACTORY_SANDBOX_TOKEN. A replica
that cannot be reached, drops the connection or answers 5xx is passed over for
`replica_cooldown_s` and the job goes to the next one; a 429 waits its Retry-After. A job is
answered exactly once: the caller records the one answer it got, so a replica that dies mid-job
costs a rerun of that job elsewhere, never a lost or doubled verdict. When no replica answers a
job within `client_deadline_s` the call raises, and the stage fails without recording it (a
rerun resumes where it stopped).
"""

import itertools
import logging
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from factory.errors import SandboxUnavailableError
from factory.sandbox.job import ExecutionJob, ExecutionOutcome, TestOutcome
from factory.settings import SandboxSettings
from factory.vocab import Verdict

log = logging.getLogger(__name__)

BACKEND = "service"
# On top of a job's own time limits: the wait in the replica's queue and the exchange itself.
_ANSWER_GRACE_S = 120.0
_CONNECT_TIMEOUT_S = 5.0
_JOBS_PER_REPLICA = 4
_MAX_RETRY_AFTER_S = 10.0


class ServiceSandbox:
    """A `Sandbox` whose jobs run on the service's replicas (see the module docstring)."""

    def __init__(self, settings: SandboxSettings, *, token: str = "") -> None:
        service = settings.service
        self.urls = [url.rstrip("/") for url in service.urls]
        if not self.urls:
            raise SandboxUnavailableError(
                "sandbox backend 'service' needs the replicas' URLs: set sandbox.service.urls "
                "or FACTORY_SANDBOX_URLS (comma-separated)"
            )
        self.settings = settings
        self.backend = BACKEND
        self.concurrency = service.client_concurrency or _JOBS_PER_REPLICA * len(self.urls)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.Client(
            headers=headers,
            limits=httpx.Limits(max_connections=self.concurrency * 2),
            timeout=httpx.Timeout(_ANSWER_GRACE_S, connect=_CONNECT_TIMEOUT_S),
        )
        self._lock = threading.Lock()
        self._turn = itertools.count()
        self._down_until: dict[str, float] = {}
        self.failovers = 0  # jobs sent again after their replica failed them
        self.image = self._probe()

    # -- Sandbox protocol ----------------------------------------------------------------------

    def run(self, job: ExecutionJob) -> ExecutionOutcome:
        """The one answer a replica gave for `job`. ValueError when the service refuses the job
        itself (400/413/422, as the pool refuses a job no plug-in can run);
        SandboxUnavailableError for a refused token or no answer before the deadline."""
        body = _request(job)
        timeout = job.timeout_s + job.compile_timeout_s + _ANSWER_GRACE_S
        deadline = time.monotonic() + self.settings.service.client_deadline_s
        problems: list[str] = []
        failed_rounds = 0
        while True:
            for url in self._order():
                answer = self._post(url, body, timeout, problems)
                if answer is not None:
                    return answer
                if time.monotonic() > deadline:
                    raise SandboxUnavailableError(
                        f"no sandbox service replica answered a job in "
                        f"{self.settings.service.client_deadline_s:g} s: "
                        + "; ".join(problems[-4:])
                    )
            failed_rounds += 1
            time.sleep(min(0.2 * 2**failed_rounds, 5.0) * (0.5 + random.random() / 2))  # noqa: S311

    def run_many(self, jobs: list[ExecutionJob]) -> list[ExecutionOutcome]:
        jobs = list(jobs)
        if not jobs:
            return []
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(jobs))) as executor:
            return list(executor.map(self.run, jobs))

    def state(self) -> dict[str, Any]:
        now = time.monotonic()
        with self._lock:
            down = sorted(url for url, until in self._down_until.items() if until > now)
        return {"backend": BACKEND, "image": self.image, "replicas": self.urls, "down": down}

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "ServiceSandbox":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- internals -----------------------------------------------------------------------------

    def _probe(self) -> str:
        """The image the replicas judge in (from the first healthy one's /health); raises when
        none is healthy, naming what each said."""
        problems = []
        for url in self.urls:
            try:
                response = self._client.get(url + "/health", timeout=_CONNECT_TIMEOUT_S)
            except httpx.HTTPError as exc:
                problems.append(f"{url}: {type(exc).__name__} {exc}")
                continue
            if response.status_code == 200:
                return str(response.json().get("pool", {}).get("image", ""))
            problems.append(f"{url}: /health answered {response.status_code}")
        raise SandboxUnavailableError(
            "no sandbox service replica is healthy (" + "; ".join(problems) + ")"
        )

    def _order(self) -> list[str]:
        """The replicas to try, starting at this job's turn, those cooling down last."""
        start = next(self._turn) % len(self.urls)
        ring = self.urls[start:] + self.urls[:start]
        now = time.monotonic()
        with self._lock:
            return sorted(ring, key=lambda url: self._down_until.get(url, 0.0) > now)

    def _mark_down(self, url: str, why: str, problems: list[str]) -> None:
        log.warning("sandbox service replica %s failed a job (%s); trying another", url, why)
        problems.append(f"{url}: {why}")
        with self._lock:
            self._down_until[url] = time.monotonic() + self.settings.service.replica_cooldown_s
            self.failovers += 1

    def _post(
        self, url: str, body: dict[str, Any], timeout: float, problems: list[str]
    ) -> ExecutionOutcome | None:
        """One attempt on `url`: the outcome, or None to try elsewhere (the reason in
        `problems`); raises for answers no other replica would change."""
        try:
            response = self._client.post(url + "/v1/jobs", json=body, timeout=timeout)
        except httpx.HTTPError as exc:  # refused, reset, timed out: the replica, not the job
            self._mark_down(url, f"{type(exc).__name__} {exc}".strip(), problems)
            return None
        status = response.status_code
        if status == 200:
            return outcome_from_answer(response.json())
        if status == 429:
            wait = _retry_after(response.headers.get("retry-after"))
            problems.append(f"{url}: busy (429), retried after {wait:g} s")
            time.sleep(wait)
            return None
        if status >= 500:
            self._mark_down(url, f"answered {status}", problems)
            return None
        detail = _detail(response)
        if status in (401, 403):
            raise SandboxUnavailableError(
                f"the sandbox service at {url} refused the token ({status}): {detail}; "
                "set FACTORY_SANDBOX_TOKEN to the one it serves with"
            )
        raise ValueError(f"the sandbox service refused the job ({status}): {detail}")


def _request(job: ExecutionJob) -> dict[str, Any]:
    return {
        "code": job.code,
        "tests": job.tests,
        "language": job.language,
        "entry_point": job.entry_point,
        "test_style": job.test_style,
        "timeout_s": job.timeout_s,
        "compile_timeout_s": job.compile_timeout_s,
        "memory_mb": job.memory_mb,
    }


def outcome_from_answer(answer: dict[str, Any]) -> ExecutionOutcome:
    """The `ExecutionOutcome` a `/v1/jobs` answer describes (the inverse of `job_response`)."""
    timings = answer.get("timings") or {}
    return ExecutionOutcome(
        verdict=Verdict(answer["verdict"]),
        tests=[
            TestOutcome(test["name"], test["outcome"], test["message"], test["duration_s"])
            for test in answer.get("tests", [])
        ],
        error_type=answer.get("error_type"),
        stdout=answer.get("stdout", ""),
        stderr=answer.get("stderr", ""),
        wall_time_s=float(timings.get("wall_s", 0.0)),
        peak_memory_kb=int(answer.get("peak_memory_kb", 0)),
        backend=answer.get("backend", ""),
        image=answer.get("image", ""),
        compile_output=answer.get("compile_output", ""),
        compile_time_s=float(timings.get("compile_s", 0.0)),
    )


def _retry_after(header: str | None) -> float:
    try:
        wait = float(header) if header else 1.0
    except ValueError:
        wait = 1.0
    return min(max(wait, 0.05), _MAX_RETRY_AFTER_S)


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", response.text))
    except ValueError:
        return response.text[:500]
