"""Review queue load benchmark: concurrent simulated reviewers through the HTTP app on PostgreSQL.

Creates a throwaway database on the local server (role factory), queues a synthetic batch,
starts the reviewer app with uvicorn in a subprocess on 127.0.0.1, signs N reviewers in (async
HTTP clients, each with its own session and CSRF token), then lets them claim, open and submit
tasks until the queue is empty or the time limit is hit. Each reviewer spends an exponentially
distributed time (mean --think seconds) on a review; the default, 5 s, is at least six times the
pace of a real code review (30 s to minutes per pair), so 50 reviewers offer 10 reviews/s.
Prints p50/p95/max latency of "next task" (POST /next: the atomic claim), "open task"
(GET /review/<id>: the rendered page) and "submit" (POST /review/<id>), then checks against the
database: 0 lost, 0 over-collected, 0 duplicate reviews. Usage:

    .venv/bin/python bench/review_load.py                    # 50 reviewers, 5 s per review
    .venv/bin/python bench/review_load.py --think 0 --time-limit 30   # capacity: no pause at all
"""

import argparse
import asyncio
import hashlib
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import func, select, text
from sqlmodel import Session

from factory.db import make_engine, migrate
from factory.models import (
    Annotation,
    Batch,
    Candidate,
    ExecutionRun,
    Finding,
    Prompt,
    Reviewer,
    ReviewTask,
)
from factory.review.enqueue import enqueue_batch
from factory.review.pools import admit_simulated
from factory.settings import ReviewSettings
from factory.vocab import DIMENSIONS
from factory.webapp.auth import hash_password

REPO = Path(__file__).resolve().parents[1]
ADMIN_URL = os.environ.get(
    "FACTORY_TEST_PG_URL", "postgresql+psycopg2://factory:factory@127.0.0.1:5432/factory"
)
PASSWORD = "bench-password-1"  # noqa: S105  (throwaway accounts in a throwaway database)
BATCH = "bench-batch"
TARGET_P95_NEXT_MS = 50.0
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def seed(engine, prompts: int, reviewers: int) -> int:  # type: ignore[no-untyped-def]
    """A batch whose prompts each have two passing candidates (differing signals) and a failing
    one; queued with the mixed strategy, 30% of tasks needing 2 reviews, 5% gold."""
    with Session(engine) as session:
        session.add(Batch(id=BATCH, source_path="bench", content_sha256=sha(BATCH), format="bench"))
        session.flush()
        for i in range(prompts):
            body = f"Write solve_{i}(xs) returning the sum of the even numbers in xs."
            prompt = Prompt(
                batch_id=BATCH,
                external_id=f"p{i}",
                line_no=i + 1,
                language="python",
                task_type="code_generation",
                prompt=body,
                tests="assert solve(...)",
                normalized_sha256=sha(body),
            )
            session.add(prompt)
            session.flush()
            codes = [
                (f"def solve_{i}(xs):\n    return sum(x for x in xs if x % 2 == 0)\n", "passed"),
                (
                    f"def solve_{i}(xs):\n    t=0\n    for x in xs:\n        if x%2==0: t+=x\n"
                    "    return t\n",
                    "passed",
                ),
                (f"def solve_{i}(xs):\n    return sum(xs)\n", "failed"),
            ]
            for j, (code, verdict) in enumerate(codes):
                candidate = Candidate(
                    prompt_id=prompt.id,
                    batch_id=BATCH,
                    source="generated",
                    model=f"model-{j}",
                    code=code,
                    code_sha256=sha(code),
                )
                session.add(candidate)
                session.flush()
                session.add(
                    ExecutionRun(
                        candidate_id=candidate.id,
                        prompt_id=prompt.id,
                        batch_id=BATCH,
                        cache_key=sha(code),
                        backend="bench",
                        verdict=verdict,
                        tests_total=3,
                        tests_passed=3 if verdict == "passed" else 1,
                    )
                )
                if j == 1:
                    session.add(
                        Finding(
                            candidate_id=candidate.id,
                            tool="ruff",
                            dimension="style",
                            rule_id="E701",
                            line=4,
                            message="multiple statements on one line (colon)",
                        )
                    )
        settings = ReviewSettings(
            pair_strategy="mixed", overlap_fraction=0.3, overlap_reviews=2, gold_rate=0.05
        )
        enqueue_batch(session, BATCH, settings)
        password_hash = hash_password(PASSWORD)
        people = [
            Reviewer(
                username=f"bench-{n:03d}",
                password_hash=password_hash,
                languages=["python"],
                simulated=True,
            )
            for n in range(reviewers)
        ]
        session.add_all(people)
        session.flush()
        pools = sorted(set(session.execute(select(ReviewTask.language, ReviewTask.task_type))))
        for person in people:  # qualified into the batch's pools, as simulated reviewers are
            admit_simulated(session, person.id, [tuple(pool) for pool in pools])
        session.commit()
        return session.scalar(select(func.sum(ReviewTask.required_reviews)))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(url: str, port: int, workers: int, home: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "FACTORY_DATABASE_URL": url,
        "FACTORY_WEBAPP_SECRET": uuid.uuid4().hex * 2,
        "FACTORY_HOME": home,
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "factory.webapp.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=REPO,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the reviewer app did not start within 30 s")


class Tally:
    def __init__(self) -> None:
        self.next_ms: list[float] = []
        self.open_ms: list[float] = []
        self.submit_ms: list[float] = []
        self.login_ms: list[float] = []
        self.submitted = 0
        self.errors: list[str] = []


def review_form(csrf: str, rng: random.Random) -> dict[str, str]:
    form = {
        "csrf_token": csrf,
        "advance": "0",
        "preference": str(rng.randint(-3, 3)),
        "rationale": "benchmark review: compared the tests and findings of both",
    }
    for side in ("left", "right"):
        for dimension in DIMENSIONS:
            form[f"score-{side}-{dimension.value}"] = str(rng.randint(1, 5))
    return form


async def sign_in(client: httpx.AsyncClient, n: int, tally: Tally) -> str | None:
    """Signs reviewer n in; returns the session's CSRF token (None if refused)."""
    start = time.perf_counter()
    page = await client.get("/login")
    csrf = CSRF.search(page.text).group(1)
    signed = await client.post(
        "/login",
        data={"username": f"bench-{n:03d}", "password": PASSWORD, "csrf_token": csrf},
    )
    tally.login_ms.append((time.perf_counter() - start) * 1000)
    if signed.status_code != 303:
        tally.errors.append(f"bench-{n:03d}: sign-in answered {signed.status_code}")
        return None
    return CSRF.search((await client.get("/")).text).group(1)


async def review_until(
    client: httpx.AsyncClient,
    csrf: str,
    tally: Tally,
    deadline: float,
    think: float,
    rng: random.Random,
) -> None:
    if think:
        # Reviewers are mid-review when the clock starts, not all asking for work at once.
        await asyncio.sleep(rng.uniform(0, think))
    while time.monotonic() < deadline:
        start = time.perf_counter()
        claimed = await client.post("/next", data={"csrf_token": csrf})
        tally.next_ms.append((time.perf_counter() - start) * 1000)
        location = claimed.headers.get("location", "")
        if not location.startswith("/review/"):
            return  # the queue has nothing left for this reviewer
        start = time.perf_counter()
        opened = await client.get(location)
        tally.open_ms.append((time.perf_counter() - start) * 1000)
        if opened.status_code != 200:
            tally.errors.append(f"GET {location}: {opened.status_code}")
            return
        if think:
            pause = rng.expovariate(1 / think)
            if time.monotonic() + pause > deadline:
                return  # still reviewing when the clock stops: the lease will lapse
            await asyncio.sleep(pause)
        start = time.perf_counter()
        sent = await client.post(location, data=review_form(csrf, rng))
        tally.submit_ms.append((time.perf_counter() - start) * 1000)
        if sent.status_code != 303:
            tally.errors.append(f"POST {location}: {sent.status_code}")
            return
        tally.submitted += 1


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return (
        statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]
        if len(values) > 1
        else values[0]
    )


def check(engine, tally: Tally) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        annotations = session.scalar(select(func.count()).select_from(Annotation))
        per_task = dict(
            session.execute(
                select(Annotation.task_id, func.count()).group_by(Annotation.task_id)
            ).all()
        )
        tasks = session.execute(
            select(ReviewTask.id, ReviewTask.required_reviews, ReviewTask.review_count)
        ).all()
        duplicates = session.scalar(
            text(
                "SELECT count(*) FROM (SELECT task_id, reviewer_id FROM annotation "
                "GROUP BY task_id, reviewer_id HAVING count(*) > 1) AS d"
            )
        )
        unfinished = session.scalar(
            select(func.count()).select_from(ReviewTask).where(ReviewTask.status == "open")
        )
    over = sum(1 for task_id, k, _ in tasks if per_task.get(task_id, 0) > k)
    miscounted = sum(1 for task_id, _, count in tasks if per_task.get(task_id, 0) != count)
    return {
        "lost": tally.submitted - annotations,  # acknowledged (303) but not stored
        "over_collected": over,
        "duplicates": duplicates,
        "miscounted": miscounted,
        "open_tasks_left": unfinished,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviewers", type=int, default=50)
    parser.add_argument("--prompts", type=int, default=250, help="3 tasks per prompt")
    parser.add_argument("--think", type=float, default=5.0, help="mean seconds per review")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument(
        "--workers",
        type=int,
        default=min(4, os.cpu_count() or 1),
        help="uvicorn worker processes (default: one per core, up to 4)",
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    subprocess.run(["bash", str(REPO / "scripts" / "ensure-postgres.sh")], check=True)
    admin = make_engine(ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    name = f"factory_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    server = None
    try:
        migrate(engine)
        slots = seed(engine, args.prompts, args.reviewers)
        print(
            f"database {name}: {args.prompts * 3} tasks, {slots} review slots, "
            f"{args.reviewers} reviewers, mean think time {args.think}s, "
            f"{args.workers} app worker process(es)"
        )
        port = free_port()
        with tempfile.TemporaryDirectory() as home:
            server = start_server(url, port, args.workers, home)
            tally = Tally()
            base = f"http://127.0.0.1:{port}"

            async def run_all() -> float:
                clients = [
                    httpx.AsyncClient(base_url=base, timeout=30) for _ in range(args.reviewers)
                ]
                try:
                    # Everyone signs in first: a sign-in verifies an Argon2 hash (deliberately
                    # slow) and happens once per 12-hour session, not once per review.
                    tokens = await asyncio.gather(
                        *(sign_in(client, n, tally) for n, client in enumerate(clients))
                    )
                    started = time.monotonic()
                    deadline = started + args.time_limit
                    await asyncio.gather(
                        *(
                            review_until(
                                client,
                                csrf,
                                tally,
                                deadline,
                                args.think,
                                random.Random(args.seed + n),
                            )
                            for n, (client, csrf) in enumerate(zip(clients, tokens, strict=True))
                            if csrf is not None
                        )
                    )
                    return started
                finally:
                    for client in clients:
                        await client.aclose()

            started = asyncio.run(run_all())
            elapsed = time.monotonic() - started
        result = check(engine, tally)
        requests = len(tally.next_ms) + len(tally.open_ms) + len(tally.submit_ms)
        print(
            f"{tally.submitted} reviews in {elapsed:.1f}s "
            f"({tally.submitted / elapsed:.1f} reviews/s, {requests / elapsed:.0f} requests/s)"
        )
        for label, values in (
            ("sign in (before the clock)", tally.login_ms),
            ("next task (POST /next)", tally.next_ms),
            ("open task (GET /review)", tally.open_ms),
            ("submit (POST /review)", tally.submit_ms),
        ):
            print(
                f"  {label:<26} n={len(values):5d}  p50={percentile(values, 50):7.1f} ms  "
                f"p95={percentile(values, 95):7.1f} ms  max={max(values, default=0):7.1f} ms"
            )
        print("  checks: " + ", ".join(f"{k}={v}" for k, v in result.items()))
        for error in tally.errors[:10]:
            print(f"  error: {error}")
        ok = (
            not tally.errors
            and result["lost"] == 0
            and result["over_collected"] == 0
            and result["duplicates"] == 0
            and result["miscounted"] == 0
        )
        p95_next = percentile(tally.next_ms, 95)
        print(
            f"p95 next task {p95_next:.1f} ms (target <= {TARGET_P95_NEXT_MS:.0f} ms): "
            f"{'met' if p95_next <= TARGET_P95_NEXT_MS else 'NOT met'}"
        )
        print("PASS" if ok else "FAIL")
        return 0 if ok else 1
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
