"""The service's Prometheus metrics, in a registry of its own (one per app, so two apps in one
process, as in the tests, never share counters). Labels take only values the service chose
(endpoints, status codes, supported languages, verdicts, rejection reasons): a client cannot
make a series of its own."""

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "Metrics"]

# Seconds: a cached Python run takes milliseconds, a cold Java build seconds, a timeout more.
_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class Metrics:
    def __init__(
        self,
        *,
        running: Callable[[], float],
        waiting: Callable[[], float],
        pool: Callable[[], dict],
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "factory_sandbox_requests",
            "HTTP requests answered, by endpoint and status code",
            ["endpoint", "code"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "factory_sandbox_request_seconds",
            "Time from a request's arrival to its answer, queueing included",
            ["endpoint"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.verdicts = Counter(
            "factory_sandbox_verdicts",
            "Jobs run, by endpoint, language and verdict (for /run_code: passed = exit status 0)",
            ["endpoint", "language", "verdict"],
            registry=self.registry,
        )
        self.rejections = Counter(
            "factory_sandbox_rejections",
            "Requests refused before running: unauthorized, too_large, queue_full, invalid",
            ["reason"],
            registry=self.registry,
        )
        queue = Gauge("factory_sandbox_queue_depth", "Jobs waiting", registry=self.registry)
        queue.set_function(waiting)
        active = Gauge("factory_sandbox_running_jobs", "Jobs running", registry=self.registry)
        active.set_function(running)
        started = Gauge(
            "factory_sandbox_pool_servers", "Warm sandbox servers started", registry=self.registry
        )
        started.set_function(lambda: float(pool()["servers_started"]))
        idle = Gauge(
            "factory_sandbox_pool_idle_servers", "Warm sandbox servers idle", registry=self.registry
        )
        idle.set_function(lambda: float(pool()["servers_idle"]))

    def render(self) -> bytes:
        return generate_latest(self.registry)
