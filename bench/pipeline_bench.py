"""Benchmark the pre-review job end to end: intake, generation (replayed), execution, signals
and review queues, with every gate, as Dagster runs it.

A synthetic batch of N prompts (small Python functions with pytest tests, a scaled_input on a
share of them so growth timing runs) and K replayed candidates per prompt (passing ones in
several styles, some with style findings, and a wrong one, so some candidates fail) goes
through `pre_review_job` with `execute_in_process`, as `factory demo` runs it, on a fresh
factory home and a fresh database: the embedded default (SQLite, for the factory and the Dagster
instance) and/or PostgreSQL (a new database for each, on the server scripts/ensure-postgres.sh
starts). Each database runs in a process of its own, like a Dagster run.

Every stage function and every gate (its frame loader and its suite) is timed where the assets
call it; the rest of the job's wall time is Dagster's own (steps, events, run storage). It
prints each stage's wall time and time per candidate, the share of wall time spent outside the
stages' own work, and the targets: orchestration and gates at most 10% of the wall time; no
stage slower than 3x the execution stage per candidate.

Then the same candidates, as judged test jobs (at most --service-jobs), run through the
in-process pool (`run_many`, as the execution stage runs them) and through `factory sandbox
serve` on 127.0.0.1 (a process of its own, a pool of the same size) from 64 concurrent clients
posting to /v1/jobs, each honouring a 429's Retry-After; it prints both throughputs, the
service's p50/p95 latency, whether every verdict agrees, and the target: the service at 90% or
more of the pool's throughput. Exit status 0 when every target is met, 1 when one is missed.

    .venv/bin/python bench/pipeline_bench.py [--prompts 2000] [--candidates 4]
        [--database sqlite|postgres|both|none] [--growth-share 0.25] [--backend bwrap]
        [--service-jobs 2000] [--no-service] [--quick]
"""

import argparse
import hashlib
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_OUTSIDE_SHARE = 0.10
TARGET_VS_EXECUTION = 3.0
TARGET_SERVICE_RATIO = 0.90
CLIENTS = 64  # concurrent clients of the sandbox service
QUICK_PROMPTS = 24
PG_ADMIN_URL = os.environ.get(
    "FACTORY_TEST_PG_URL", "postgresql+psycopg2://factory:factory@127.0.0.1:5432/factory"
)
# The job's assets, in chain order, with the core module each one runs and its gate's suite.
STAGES = {
    "prompts": ("factory.intake.stage", "expectations.intake"),
    "candidates": ("factory.generation.stage", "expectations.generation"),
    "executions": ("factory.execution.stage", "expectations.execution"),
    "signals": ("factory.signals.stage", "expectations.signals"),
    "review_tasks": ("factory.review.stage", "expectations.review"),
}
# As the demo runs jobs: the run log goes to the instance, not the console.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}

# -- the synthetic batch -----------------------------------------------------------------------


@dataclass(frozen=True)
class Family:
    """One kind of small function: its name and signature, what it does (in words, with the
    prompt's constant k), its candidate styles (the first is the reference), a wrong answer,
    its test cases and its scaled input."""

    entry_point: str
    signature: str
    task: str
    styles: tuple[str, ...]
    wrong: str
    cases: Callable[[int], list[tuple[str, str]]]  # k -> [(call, expected value)]
    scaled_input: str


FAMILIES = (
    Family(
        "weighted_total",
        "weighted_total(xs)",
        "returns the sum of the numbers in xs, each multiplied by {k}",
        (
            "def weighted_total(xs):\n    return sum(x * {k} for x in xs)\n",
            "def weighted_total(xs):\n    total = 0\n    for x in xs:\n        total += x * {k}\n"
            "    return total\n",
            "import os\n\n\ndef weighted_total(xs):\n    total = 0\n    for i in range(len(xs)):\n"
            "        total = total + xs[i] * {k}\n    return total\n",
        ),
        "def weighted_total(xs):\n    return sum(x * {k} for x in xs[1:])\n",
        lambda k: [
            ("weighted_total([1, 2, 3])", str(6 * k)),
            ("weighted_total([])", "0"),
            ("weighted_total([-4, 4, 10])", str(10 * k)),
        ],
        "([i % 97 for i in range(n)],)",
    ),
    Family(
        "distinct_shifted",
        "distinct_shifted(xs)",
        "returns the distinct values of xs in the order they first appear, each plus {k}",
        (
            "def distinct_shifted(xs):\n    seen = set()\n    out = []\n    for x in xs:\n"
            "        if x not in seen:\n            seen.add(x)\n            out.append(x + {k})\n"
            "    return out\n",
            "def distinct_shifted(xs):\n    return [x + {k} for x in dict.fromkeys(xs)]\n",
            # Quadratic too: a list searched for each value.
            "def distinct_shifted(xs):\n    out = []\n    for x in xs:\n"
            "        if x + {k} not in out:\n            out.append(x + {k})\n    return out\n",
        ),
        "def distinct_shifted(xs):\n    return [x + {k} for x in sorted(set(xs))]\n",
        lambda k: [
            ("distinct_shifted([3, 1, 3, 2, 1])", str([3 + k, 1 + k, 2 + k])),
            ("distinct_shifted([])", "[]"),
            ("distinct_shifted([5, 5, 5])", str([5 + k])),
        ],
        "(list(range(n)),)",
    ),
    Family(
        "long_words",
        "long_words(text)",
        "returns how many whitespace-separated words of text are longer than {k} characters",
        (
            "def long_words(text):\n"
            "    return sum(1 for word in text.split() if len(word) > {k})\n",
            "def long_words(text):\n    count = 0\n    for word in text.split():\n"
            "        if len(word) > {k}:\n            count += 1\n    return count\n",
            "def long_words(text):\n    return len([w for w in text.split() if len(w) > {k}])\n",
        ),
        "def long_words(text):\n    return sum(1 for word in text.split() if len(word) >= {k})\n",
        lambda k: [
            (f"long_words('a' * {k} + ' ' + 'b' * {k + 1})", "1"),
            ("long_words('')", "0"),
            (f"long_words(' '.join(['c' * {k + 2}] * 3))", "3"),
        ],
        "(' '.join('w' * (i % 9 + 1) for i in range(n)),)",
    ),
    Family(
        "running_peak",
        "running_peak(xs)",
        "returns the running maximum of xs (the largest value so far at each position) plus {k}",
        (
            "def running_peak(xs):\n    out = []\n    best = None\n    for x in xs:\n"
            "        best = x if best is None or x > best else best\n"
            "        out.append(best + {k})\n    return out\n",
            "from itertools import accumulate\n\n\ndef running_peak(xs):\n"
            "    return [v + {k} for v in accumulate(xs, max)]\n",
            # The naive answer: quadratic, so its growth timing runs up to the budget.
            "def running_peak(xs):\n    return [max(xs[: i + 1]) + {k} for i in range(len(xs))]\n",
        ),
        "def running_peak(xs):\n    return [x + {k} for x in xs]\n",
        lambda k: [
            ("running_peak([1, 3, 2, 5])", str([1 + k, 3 + k, 3 + k, 5 + k])),
            ("running_peak([])", "[]"),
            ("running_peak([-2, -3])", str([-2 + k, -2 + k])),
        ],
        "([(i * 7919) % 1009 for i in range(n)],)",
    ),
)
SYLLABLES = ("ka", "lo", "mi", "ren", "tu", "vas", "qua", "zel", "bor", "ish", "ny", "pe", "dro")
REFERENCE_NOTE = '"""The reference solution."""\n\n\n'
NOT_PARSING = "def {entry_point}(xs:\n    return xs\n"  # one wrong candidate in 25 does not parse


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))


@dataclass
class Batch:
    records: list[dict[str, Any]]
    replay: list[dict[str, Any]]
    expected: Counter = field(default_factory=Counter)


def build_batch(prompts: int, candidates: int, growth_share: float, seed: int = 0) -> Batch:
    """`prompts` prompts, `candidates` replayed candidates each: the styles of the prompt's
    family in turn, and every fourth candidate a wrong answer (one in 25 of those does not
    parse). A `growth_share` of the prompts, spread evenly, carry a scaled_input."""
    rng = random.Random(seed)
    batch = Batch([], [])
    every = round(1 / growth_share) if growth_share > 0 else 0
    for i in range(prompts):
        family = FAMILIES[i % len(FAMILIES)]
        k = 2 + i // len(FAMILIES)  # no two prompts share their tests: no verdict is reused
        external_id = f"bench-{i:05d}"
        story = " ".join(_word(rng) for _ in range(12))
        tests = "\n\n".join(
            f"def test_case_{n}():\n    assert {call} == {expected}\n"
            for n, (call, expected) in enumerate(family.cases(k))
        )
        record = {
            "id": external_id,
            "language": "python",
            "task_type": "code_generation",
            "prompt": f"Write {family.signature} that {family.task.format(k=k)}. It is used by "
            f"the {story} records (case {i}).",
            "tests": tests + "\n",
            "entry_point": family.entry_point,
            # Not the code of any candidate, whose verdict would then be reused, not run.
            "reference_solution": REFERENCE_NOTE + family.styles[0].format(k=k),
            "test_style": "pytest",
            "licence": "MIT",
            "source": "bench/pipeline_bench.py",
            "metadata": {},
        }
        if every and (i // len(FAMILIES)) % every == 0:  # every family gets its share
            record["scaled_input"] = family.scaled_input
            batch.expected["prompts_with_scaled_input"] += 1
        batch.records.append(record)
        for j in range(candidates):
            if j % 4 == 3:
                wrong = NOT_PARSING if i % 25 == 0 else family.wrong
                code = wrong.format(k=k, entry_point=family.entry_point)
                batch.expected["failing"] += 1
            else:
                code = family.styles[j % 4 % len(family.styles)].format(k=k)
                batch.expected["passing"] += 1
            batch.replay.append(
                {
                    "prompt_external_id": external_id,
                    "model": f"bench-{j % 4}",
                    "sample_index": j // 4,
                    "code": code,
                    "provenance": "synthetic, written by bench/pipeline_bench.py",
                }
            )
    return batch


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


# -- timing where the assets call the core -----------------------------------------------------


@dataclass
class Clock:
    stages: dict[str, float] = field(default_factory=dict)
    reports: dict[str, Any] = field(default_factory=dict)
    load_frames: dict[str, float] = field(default_factory=dict)
    validate: float = 0.0


def install_clock(clock: Clock) -> None:
    """Wrap each stage's `run`, each suite's `load_frame` and the gates' `run_suite` so their own
    time is recorded. Must run before the asset modules are imported: they keep the functions
    they are given."""
    if "assets" in sys.modules:
        raise RuntimeError("install_clock must run before the asset modules are imported")
    for name, (stage_module, suite_module) in STAGES.items():
        stage: Any = import_module(stage_module)
        suite: Any = import_module(suite_module)
        stage.run = _timed_stage(name, stage.run, clock)
        suite.load_frame = _timed_into(clock.load_frames, name, suite.load_frame)
    gate: Any = import_module("expectations.gate")
    run_suite = gate.run_suite

    def timed_run_suite(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return run_suite(*args, **kwargs)
        finally:
            clock.validate += time.perf_counter() - start

    gate.run_suite = timed_run_suite


def _timed_stage(name: str, run: Callable[..., Any], clock: Clock) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            report = run(*args, **kwargs)
        finally:
            clock.stages[name] = clock.stages.get(name, 0.0) + time.perf_counter() - start
        clock.reports[name] = report
        return report

    return timed


def _timed_into(into: dict[str, float], name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            into[name] = into.get(name, 0.0) + time.perf_counter() - start

    return timed


# -- databases ---------------------------------------------------------------------------------


@contextmanager
def databases(kind: str, folder: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(factory database URL, Dagster instance storage config) for one run: files in `folder`
    for SQLite; fresh PostgreSQL databases, dropped afterwards, for PostgreSQL."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'factory.db'}", {}
        return
    from sqlalchemy import create_engine, text

    subprocess.run(["bash", str(ROOT / "scripts" / "ensure-postgres.sh")], check=True)
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    suffix = uuid.uuid4().hex[:10]
    names = [f"bench_factory_{suffix}", f"bench_dagster_{suffix}"]
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield (
            f"{base}/{names[0]}",
            {"storage": {"postgres": {"postgres_url": f"{base}/{names[1]}"}}},
        )
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# -- one run -----------------------------------------------------------------------------------


@dataclass
class Figures:
    database: str
    wall_s: float
    clock: Clock
    candidates: int
    success: bool

    @property
    def stage_s(self) -> float:
        return sum(self.clock.stages.values())

    @property
    def gates_s(self) -> float:
        return sum(self.clock.load_frames.values()) + self.clock.validate

    @property
    def outside_share(self) -> float:
        return (self.wall_s - self.stage_s) / self.wall_s

    def per_candidate_ms(self, stage: str) -> float:
        return 1000 * self.clock.stages.get(stage, 0.0) / max(1, self.candidates)


def run_one(args: argparse.Namespace) -> int:
    """One database: a fresh factory home, the batch in its inbox, the job, the figures."""
    clock = Clock()
    install_clock(clock)
    import yaml
    from dagster import DagsterInstance

    from assets.partitions import BATCH_PARTITIONS_NAME
    from definitions import defs
    from factory.intake.batch_id import batch_id_for

    job = defs.resolve_job_def("pre_review_job")
    keys = {key.to_user_string() for key in job.asset_layer.executable_asset_keys}
    if keys != set(STAGES):
        print(f"pre_review_job runs {sorted(keys)}; this benchmark times {sorted(STAGES)}")
        return 2
    folder = Path(tempfile.mkdtemp(prefix="pipeline-bench-"))
    try:
        home = folder / ".factory"
        os.environ["FACTORY_HOME"] = str(home)  # the inbox intake reads the batch from
        batch = build_batch(args.prompts, args.candidates, args.growth_share)
        batch_file = home / "inbox" / "pipeline-bench.jsonl"
        write_jsonl(batch_file, batch.records)
        write_jsonl(folder / "replay.jsonl", batch.replay)
        config_path = folder / "factory.yaml"
        config: dict[str, Any] = {"generation": {"replay_file": str(folder / "replay.jsonl")}}
        if args.backend:
            config["sandbox"] = {"backend": args.backend}
        config_path.write_text(yaml.safe_dump(config))
        partition = batch_id_for(
            batch_file.name, hashlib.sha256(batch_file.read_bytes()).hexdigest()
        )
        with databases(args.database, folder) as (database_url, storage):
            instance_dir = home / "dagster"
            instance_dir.mkdir(parents=True)
            instance_config = yaml.safe_load((ROOT / "dagster.yaml").read_text()) | storage
            (instance_dir / "dagster.yaml").write_text(yaml.safe_dump(instance_config))
            with DagsterInstance.from_config(str(instance_dir)) as instance:
                instance.add_dynamic_partitions(BATCH_PARTITIONS_NAME, [partition])
                run_config = {
                    **QUIET_CONSOLE,
                    "resources": {
                        "settings": {"config": {"config_path": str(config_path)}},
                        "database": {"config": {"url": database_url}},
                    },
                }
                start = time.perf_counter()
                result = job.execute_in_process(
                    run_config=run_config,
                    partition_key=partition,
                    instance=instance,
                    raise_on_error=False,
                    tags={"factory/bench": "pipeline"},
                )
                wall = time.perf_counter() - start
                failures = [
                    f"{event.step_key}: {event.event_specific_data}"[:600]
                    for event in result.all_events
                    if event.is_step_failure
                ]
                failed_checks = [
                    f"{e.check_name}: {e.description}"[:600]
                    for e in result.get_asset_check_evaluations()
                    if not e.passed
                ]
        figures = Figures(
            args.database, wall, clock, args.prompts * args.candidates, result.success
        )
        print_figures(figures, batch, args)
        for line in failures + failed_checks:
            print(f"  FAILED {line}")
        return 0 if result.success and all(met for _, met in targets(figures)) else 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# -- the sandbox service against the in-process pool --------------------------------------------


@dataclass
class ServiceFigures:
    jobs: int
    pool_s: float
    service_s: float
    latencies_s: list[float]
    retried_429: int
    verdicts_agree: bool

    @property
    def ratio(self) -> float:
        return self.pool_s / self.service_s

    def latency_ms(self, share: float) -> float:
        ordered = sorted(self.latencies_s)
        return 1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def service_jobs(batch: Batch, count: int) -> list[dict[str, Any]]:
    """The batch's candidates as judged test jobs (POST /v1/jobs bodies), `count` of them."""
    records = {record["id"]: record for record in batch.records}
    bodies = []
    for n, row in enumerate(batch.replay[:count]):
        record = records[row["prompt_external_id"]]
        bodies.append(
            {
                "id": f"job-{n}",
                "code": row["code"],
                "tests": record["tests"],
                "entry_point": record["entry_point"],
                "test_style": "pytest",
            }
        )
    return bodies


def run_service(args: argparse.Namespace) -> bool:
    """The same jobs through the in-process pool (`run_many`, as the execution stage runs them)
    and through `factory sandbox serve` on 127.0.0.1 (its own process, a pool of the same size)
    from CLIENTS concurrent clients; True when the service's throughput target is met."""
    from factory.sandbox import ExecutionJob, open_sandbox
    from factory.sandbox.service.jobs import JobRequest, execution_job
    from factory.settings import load_config

    config = load_config(None)
    if args.backend:
        config.sandbox.backend = args.backend
    batch = build_batch(args.prompts, args.candidates, args.growth_share)
    bodies = service_jobs(batch, min(args.service_jobs, len(batch.replay)))
    jobs: list[ExecutionJob] = [
        execution_job(JobRequest.model_validate(body), config.sandbox) for body in bodies
    ]
    warm = bodies[: 4 * config.sandbox.pool_size]  # untimed: first imports in each worker
    with open_sandbox(config.sandbox) as sandbox:
        sandbox.warm_up()
        sandbox.run_many(jobs[: len(warm)])
        start = time.perf_counter()
        outcomes = sandbox.run_many(jobs)
        pool_s = time.perf_counter() - start
        backend = sandbox.backend
    folder = Path(tempfile.mkdtemp(prefix="pipeline-bench-service-"))
    try:
        with served(config.sandbox.model_dump(mode="json"), folder) as url:
            import asyncio

            asyncio.run(_clients(url, warm, CLIENTS))
            start = time.perf_counter()
            answers, latencies, retried = asyncio.run(_clients(url, bodies, CLIENTS))
            service_s = time.perf_counter() - start
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    agree = [str(o.verdict) for o in outcomes] == [a["verdict"] for a in answers]
    figures = ServiceFigures(len(bodies), pool_s, service_s, latencies, retried, agree)
    print_service(figures, backend, config.sandbox.pool_size)
    return figures.ratio >= TARGET_SERVICE_RATIO and agree


@contextmanager
def served(sandbox_settings: dict[str, Any], folder: Path) -> Iterator[str]:
    """`factory sandbox serve --no-auth` on a free loopback port, its pool warm; its URL."""
    import yaml

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config_path = folder / "factory.yaml"
    config_path.write_text(yaml.safe_dump({"sandbox": sandbox_settings}))
    argv = [sys.executable, "-m", "commands", "sandbox", "serve", "--no-auth"]
    argv += ["--host", "127.0.0.1", "--port", str(port), "--config", str(config_path)]
    log = folder / "service.log"
    with log.open("w") as sink:
        # The access log goes to the file, as an operator would keep it.
        process = subprocess.Popen(argv, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    import httpx

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the sandbox service exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(url + "/health", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the sandbox service did not answer in 120 s: {log.read_text()[-2000:]}")


async def _clients(
    url: str, bodies: list[dict[str, Any]], clients: int
) -> tuple[list[dict[str, Any]], list[float], int]:
    """`clients` concurrent clients, each posting one job at a time to /v1/jobs until none are
    left: (answers in job order, each job's latency, 429 answers honoured and retried)."""
    import asyncio

    import aiohttp

    answers: list[dict[str, Any]] = [{} for _ in bodies]
    latencies: list[float] = []
    retried = 0
    pending = iter(range(len(bodies)))
    # aiohttp rather than httpx: the clients share the host's cores with the service they
    # measure, and httpx's asyncio client costs about three times the CPU per request.
    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(url, connector=connector, timeout=timeout) as http:

        async def client(name: str) -> None:
            nonlocal retried
            for index in pending:
                start = time.perf_counter()
                while True:
                    async with http.post(
                        "/v1/jobs", json=bodies[index], headers={"X-Client-Id": name}
                    ) as response:
                        if response.status != 429:
                            response.raise_for_status()
                            answers[index] = await response.json()
                            break
                        retry_after = float(response.headers.get("retry-after", "1"))
                    retried += 1  # the queue is full: wait as told, then ask again
                    await asyncio.sleep(retry_after)
                latencies.append(time.perf_counter() - start)

        await asyncio.gather(*(client(f"bench-{n}") for n in range(clients)))
    return answers, latencies, retried


def print_service(figures: ServiceFigures, backend: str, pool_size: int) -> None:
    print(f"\n== sandbox service: {figures.jobs} judged test jobs, {backend} pool of {pool_size}, "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    pool_rate = figures.jobs / figures.pool_s
    service_rate = figures.jobs / figures.service_s
    print(f"in-process pool (run_many)     {figures.pool_s:>8.2f} s  {pool_rate:>7.1f} jobs/s")
    print(f"service, {CLIENTS} clients on /v1/jobs {figures.service_s:>8.2f} s  "
          f"{service_rate:>7.1f} jobs/s  ({figures.ratio:.1%} of the pool)")  # fmt: skip
    print(f"service latency at {CLIENTS} concurrent clients: p50 {figures.latency_ms(0.5):.0f} ms, "
          f"p95 {figures.latency_ms(0.95):.0f} ms, max {max(figures.latencies_s) * 1000:.0f} ms; "
          f"{figures.retried_429} answers 429 (retried after Retry-After)")  # fmt: skip
    print(f"verdicts {'agree' if figures.verdicts_agree else 'DIFFER'} job for job")
    met = figures.ratio >= TARGET_SERVICE_RATIO
    print(f"target service >= {TARGET_SERVICE_RATIO:.0%} of the in-process pool's throughput: "
          f"{figures.ratio:.1%} {'MET' if met else 'MISSED'}")  # fmt: skip


# -- report ------------------------------------------------------------------------------------


def targets(figures: Figures) -> list[tuple[str, bool]]:
    found = [
        (
            f"orchestration and gates <= {TARGET_OUTSIDE_SHARE:.0%} of wall time: "
            f"{figures.outside_share:.1%}",
            figures.outside_share <= TARGET_OUTSIDE_SHARE,
        )
    ]
    execution = figures.per_candidate_ms("executions")
    slowest = max((name for name in STAGES if name != "executions"), key=figures.per_candidate_ms)
    ratio = figures.per_candidate_ms(slowest) / execution if execution else float("inf")
    found.append(
        (
            f"no stage slower than {TARGET_VS_EXECUTION:.0f}x execution per candidate: slowest "
            f"{slowest} {ratio:.2f}x",
            ratio <= TARGET_VS_EXECUTION,
        )
    )
    found.append(("the job succeeds, every gate passing", figures.success))
    return found


def print_figures(figures: Figures, batch: Batch, args: argparse.Namespace) -> None:
    clock = figures.clock
    print(f"\n== {figures.database}: {args.prompts} prompts x {args.candidates} candidates "
          f"({figures.candidates} candidates; {batch.expected['passing']} should pass, "
          f"{batch.expected['failing']} fail; {batch.expected['prompts_with_scaled_input']} "
          "prompts with a scaled_input)")  # fmt: skip
    executions = clock.reports.get("executions")
    backend = getattr(executions, "backend", "") or "none"
    print(f"sandbox backend {backend}; {os.cpu_count()} CPUs; load average "
          f"{os.getloadavg()[0]:.1f} at the end")  # fmt: skip
    execution = figures.per_candidate_ms("executions")
    print(f"{'stage':<14}{'wall s':>9}{'ms/candidate':>14}{'x execution':>13}{'gate s':>8}  report")
    for name in STAGES:
        seconds = clock.stages.get(name, 0.0)
        per = figures.per_candidate_ms(name)
        ratio = f"{per / execution:.2f}" if execution else "-"
        report = clock.reports.get(name)
        summary = report.summary() if report is not None else "did not run"
        gate = clock.load_frames.get(name, 0.0)
        print(f"{name:<14}{seconds:>9.2f}{per:>14.2f}{ratio:>13}{gate:>8.2f}  {summary}")
    loads = sum(clock.load_frames.values())
    dagster = figures.wall_s - figures.stage_s - figures.gates_s
    wall = figures.wall_s
    print(f"{'stages':<14}{figures.stage_s:>9.2f}{100 * figures.stage_s / wall:>13.1f}%")
    print(f"{'gates':<14}{figures.gates_s:>9.2f}{100 * figures.gates_s / wall:>13.1f}%  loading "
          f"frames {loads:.2f} s (gate s above), validating {clock.validate:.2f} s")  # fmt: skip
    print(f"{'dagster':<14}{dagster:>9.2f}{100 * dagster / wall:>13.1f}%  "
          "steps, events and run storage")  # fmt: skip
    print(f"{'job wall':<14}{wall:>9.2f}")
    print(f"outside the stages' own work: {figures.outside_share:.1%} of the job's wall time")
    signals = clock.reports.get("signals")
    timed = signals.growth_measured + signals.growth_failed if signals is not None else 0
    if timed:  # the whole stage's time, charged to the candidates whose growth it timed
        per_timed = 1000 * clock.stages["signals"] / timed
        print(f"signals per growth-timed candidate: {per_timed:.0f} ms ({timed} timed; "
              f"execution {execution:.1f} ms per candidate)")  # fmt: skip
    for text, met in targets(figures):
        print(f"target {text} {'MET' if met else 'MISSED'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prompts", type=int, default=2000)
    parser.add_argument("--candidates", type=int, default=4, help="replayed per prompt (>= 2)")
    parser.add_argument(
        "--database", choices=("sqlite", "postgres", "both", "none"), default="both"
    )
    parser.add_argument(
        "--growth-share", type=float, default=0.25, help="share of prompts with a scaled_input"
    )
    parser.add_argument("--backend", default="", help="sandbox backend (default: the config's)")
    parser.add_argument(
        "--service-jobs", type=int, default=2000, help="jobs for the service part (at most N x K)"
    )
    parser.add_argument("--no-service", action="store_true", help="skip the service part")
    parser.add_argument("--one", choices=("sqlite", "postgres"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_PROMPTS} prompts (a smoke run)"
    )
    args = parser.parse_args()
    if args.quick:
        args.prompts = QUICK_PROMPTS
    if args.prompts < 1 or args.candidates < 2:
        parser.error("--prompts must be >= 1 and --candidates >= 2 (the generation gate's floor)")
    if not 0 <= args.growth_share <= 1:
        parser.error("--growth-share must be between 0 and 1")
    if args.service_jobs < 1:
        parser.error("--service-jobs must be >= 1")
    if args.one:  # the run on one database, in a process of its own
        args.database = args.one
        return run_one(args)
    databases_run = {"both": ["sqlite", "postgres"], "none": []}.get(args.database, [args.database])
    parts = databases_run + ([] if args.no_service else ["the sandbox service"])
    if not parts:
        parser.error("nothing to run: --database none with --no-service")
    print(f"pre_review_job, {args.prompts} prompts x {args.candidates} candidates: "
          f"{', '.join(parts)}; {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f} at start")  # fmt: skip
    codes = []
    for database in databases_run:
        # A process of its own for each database, as a Dagster run has.
        argv = [sys.executable, __file__, "--one", database, "--prompts", str(args.prompts)]
        argv += ["--candidates", str(args.candidates), "--growth-share", str(args.growth_share)]
        argv += ["--backend", args.backend] if args.backend else []
        sys.stdout.flush()
        codes.append(subprocess.run(argv, check=False).returncode)
    if any(code not in (0, 1) for code in codes):
        return 2
    if not args.no_service:
        sys.stdout.flush()
        codes.append(0 if run_service(args) else 1)
    print("\nALL TARGETS MET" if not any(codes) else "\nSOME TARGETS MISSED")
    return 1 if any(codes) else 0


if __name__ == "__main__":
    sys.exit(main())
