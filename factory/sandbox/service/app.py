"""The sandbox service's FastAPI app: auth, size limit, admission, then the pool, in that order.

Every job runs on the caller's warm pool (`PooledSandbox`) exactly as the execution stage's do;
the app adds only what serving strangers needs. A request is checked in this order, each step
before anything costlier: the token (401), the body's size (413, counted as it streams), its
form (422, or 400 naming what the sandbox cannot run), room in the queue (429 with Retry-After),
then it waits for a slot and runs in a worker thread.
"""

import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import anyio
import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from factory.sandbox.job import ExecutionJob, ExecutionOutcome, RunJob, RunOutcome
from factory.sandbox.service import fusion, jobs
from factory.sandbox.service.admission import Admission, Rejected
from factory.sandbox.service.auth import client_name, credentials, token_matches
from factory.sandbox.service.metrics import CONTENT_TYPE_LATEST, Metrics
from factory.settings import SandboxSettings

M = TypeVar("M", bound=BaseModel)
Job = TypeVar("Job")
Result = TypeVar("Result")

# An oversized body is read to its end (and dropped) up to this much, so that a client still
# sending gets the 413 rather than a reset connection; a larger one is cut off.
_DRAIN_LIMIT = 64 * 1024 * 1024
_ENDPOINTS = {"/run_code", "/v1/jobs", "/v1/jobs/batch", "/health", "/metrics"}


class ServiceSandbox(Protocol):
    """What the service needs of a pool (`PooledSandbox` is one)."""

    def run(self, job: ExecutionJob) -> ExecutionOutcome: ...

    def run_program(self, job: RunJob) -> RunOutcome: ...

    def state(self) -> dict[str, Any]: ...


class Refusal(Exception):
    """A request answered with an error before it ran: status, message, metrics reason."""

    def __init__(
        self, status: int, detail: Any, reason: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(str(detail))
        self.status, self.detail, self.reason, self.headers = status, detail, reason, headers


def create_app(sandbox: ServiceSandbox, settings: SandboxSettings, *, token: str | None) -> FastAPI:
    """The app over `sandbox` (which the caller opens and closes). `token` None serves without
    authentication: `factory sandbox serve --no-auth`, on a loopback address only."""
    service = settings.service
    admission = Admission(
        # Twice the pool by default: a server that finishes a job finds the next one already
        # waiting in the pool's own queue, instead of idling while the event loop hands it
        # over (about 5% of throughput on a saturated host).
        max_running=service.max_concurrency or 2 * settings.pool_size,
        per_client=service.per_client_concurrency,
        max_queue=service.max_queue,
    )
    metrics = Metrics(
        running=lambda: admission.running,
        waiting=lambda: admission.waiting,
        pool=sandbox.state,
    )
    limiter = anyio.CapacityLimiter(admission.max_running)
    app = FastAPI(
        title="factory sandbox",
        summary="SandboxFusion-compatible /run_code and judged test jobs on the factory's sandbox",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )

    app.add_middleware(_Measured, metrics=metrics)

    @app.exception_handler(Refusal)
    async def refused(request: Request, exc: Refusal) -> JSONResponse:
        metrics.rejections.labels(exc.reason).inc()
        return JSONResponse({"detail": exc.detail}, status_code=exc.status, headers=exc.headers)

    def client_of(request: Request) -> str:
        found = credentials(request.headers.get("authorization", ""))
        if token is not None and (found is None or not token_matches(found[1], token)):
            raise Refusal(
                401,
                "missing or wrong token: send `Authorization: Bearer <FACTORY_SANDBOX_TOKEN>`",
                "unauthorized",
                {"WWW-Authenticate": 'Bearer realm="factory-sandbox"'},
            )
        return client_name(request.headers.get("x-client-id"), found[0] if found else "")

    async def body_of(request: Request, model: type[M]) -> M:
        raw = await _read_body(request, service.max_request_bytes)
        try:
            return model.model_validate_json(raw)
        except ValidationError as exc:
            errors = [
                {"loc": list(error["loc"]), "msg": error["msg"]}
                for error in exc.errors(include_url=False, include_context=False)
            ]
            raise Refusal(422, errors, "invalid") from None

    async def run_admitted(
        client: str, runner: Callable[[Job], Result], work: list[Job]
    ) -> list[Result]:
        """Run `work` through the queue (all admitted or none), each job once it has a slot."""
        try:
            tickets = admission.enter(client, len(work))
        except Rejected as exc:
            headers = {"Retry-After": str(exc.retry_after_s)}
            raise Refusal(429, str(exc), "queue_full", headers) from None
        results: dict[int, Result] = {}
        refused: list[str] = []  # checked before admission; kept as the caller's error

        async def one(index: int) -> None:
            ticket = tickets[index]
            try:
                await ticket.wait()
                results[index] = await anyio.to_thread.run_sync(
                    runner, work[index], limiter=limiter
                )
            except ValueError as exc:
                refused.append(str(exc))
            finally:
                ticket.release()

        try:
            async with anyio.create_task_group() as group:
                for index in range(len(work)):
                    group.start_soon(one, index)
        finally:
            for ticket in tickets:  # a batch cut short gives back the places it still holds
                ticket.release()
        if refused:
            raise Refusal(400, refused[0], "invalid")
        return [results[index] for index in range(len(work))]

    @app.post("/run_code")
    async def run_code(request: Request) -> JSONResponse:
        client = client_of(request)
        body = await body_of(request, fusion.RunCodeRequest)
        try:
            job = fusion.run_job(body, settings)
        except ValueError as exc:
            raise Refusal(400, str(exc), "invalid") from None
        [outcome] = await run_admitted(client, sandbox.run_program, [job])
        metrics.verdicts.labels("/run_code", job.language, str(outcome.verdict)).inc()
        return JSONResponse(fusion.run_code_response(outcome))

    @app.post("/v1/jobs")
    async def run_job(request: Request) -> JSONResponse:
        client = client_of(request)
        body = await body_of(request, jobs.JobRequest)
        job = _execution_job(body, settings)
        [outcome] = await run_admitted(client, sandbox.run, [job])
        metrics.verdicts.labels("/v1/jobs", job.language, str(outcome.verdict)).inc()
        return JSONResponse(jobs.job_response(body, job, outcome))

    @app.post("/v1/jobs/batch")
    async def run_batch(request: Request) -> JSONResponse:
        client = client_of(request)
        body = await body_of(request, jobs.BatchRequest)
        if len(body.jobs) > admission.capacity:
            raise Refusal(
                413,
                f"a batch of {len(body.jobs)} jobs exceeds what the service admits at once "
                f"({admission.capacity}: max_concurrency + max_queue); split it",
                "too_large",
            )
        work = [_execution_job(item, settings, f"jobs[{n}]: ") for n, item in enumerate(body.jobs)]
        outcomes = await run_admitted(client, sandbox.run, work)
        for job, outcome in zip(work, outcomes, strict=True):
            metrics.verdicts.labels("/v1/jobs/batch", job.language, str(outcome.verdict)).inc()
        results = [
            jobs.job_response(item, job, outcome)
            for item, job, outcome in zip(body.jobs, work, outcomes, strict=True)
        ]
        return JSONResponse({"results": results})

    @app.get("/health")
    async def health() -> JSONResponse:
        pool = sandbox.state()
        body = {
            "status": "closed" if pool.get("closed") else "ok",
            "pool": pool,
            "running": admission.running,
            "queued": admission.waiting,
            "max_concurrency": admission.max_running,
            "per_client_concurrency": admission.per_client,
            "max_queue": admission.max_queue,
        }
        return JSONResponse(body, status_code=503 if pool.get("closed") else 200)

    @app.get("/metrics")
    async def prometheus() -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return app


class _Measured:
    """Counts each answer by endpoint and status and times it. Plain ASGI rather than
    `@app.middleware("http")`, whose wrapping of every response in a stream cost the service
    about a tenth of its throughput on a saturated host."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        status = 500  # what the server answers when the app raises before answering

        async def answer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, answer)
        finally:
            path = scope["path"] if scope["path"] in _ENDPOINTS else "other"
            self.metrics.requests.labels(path, str(status)).inc()
            self.metrics.latency.labels(path).observe(time.monotonic() - started)


def _execution_job(
    request: jobs.JobRequest, settings: SandboxSettings, where: str = ""
) -> ExecutionJob:
    try:
        return jobs.execution_job(request, settings)
    except ValueError as exc:
        raise Refusal(400, f"{where}{exc}", "invalid") from None


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, or Refusal 413 once it passes `limit` bytes (declared or counted)."""
    too_large = Refusal(
        413,
        f"the request body exceeds {limit} bytes (sandbox.service.max_request_bytes)",
        "too_large",
    )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > _DRAIN_LIMIT:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > _DRAIN_LIMIT:
            break
        if size <= limit:
            chunks.append(chunk)
    if size > limit:
        raise too_large
    return b"".join(chunks)
