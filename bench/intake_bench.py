"""Benchmark intake at scale: rate and peak memory of `ingest_batch` on synthetic batch files.

Cases, each ingested in a fresh process (so peak RSS is that ingestion's own):

  valid N   N distinct, valid Python prompts (one per size in --sizes),
  junk N    N lines that are all quarantined (malformed JSON, missing fields, bad tests),
  bomb MiB  a .jsonl.gz of MiB mebibytes of blank lines, which the size limit must refuse fast.

Each line prints the records, seconds, records a second, peak RSS and RSS growth over the
process's RSS before ingesting, the peak RSS of its worker processes (intake.workers), the CPU
seconds per record of both, and the outcome. File generation is not timed. The database is a
fresh SQLite file per case (--database sqlite), or a fresh database per case on the local
PostgreSQL server (--database postgres; FACTORY_TEST_PG_URL names a role that may create
databases, as for the tests), unless --database-url names one database for every case; every
run's prompts carry a random token, so runs against one database do not deduplicate each other.

Targets (exit status 1 when one is missed, each named on a TARGET MISSED line): a valid case of
at least --target-min-records records ingests at --target-rate records a second or more (one
million in two minutes); memory is flat: no case grows RSS by more than --max-growth-mb, and the
largest valid case grows it by no more than 1.5 times the next smaller one (plus 64 MB); the junk
case quarantines every line and the bomb is refused.

    .venv/bin/python bench/intake_bench.py [--sizes 10000,100000,1000000] [--junk 200000]
        [--bomb-mb 1024] [--max-decompressed-mb N] [--database sqlite|postgres]
        [--database-url URL]
"""

import argparse
import gzip
import json
import os
import random
import resource
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PG_ADMIN_URL = os.environ.get(
    "FACTORY_TEST_PG_URL", "postgresql+psycopg2://factory:factory@127.0.0.1:5432/factory"
)

WORDS = (
    "alpha beta gamma delta sigma omega river stone cloud field table chair index count total "
    "value matrix vector string number list merge split window buffer queue stack graph tree "
    "node edge path cost price order user event token parser lexer cache"
).split()


def valid_record(i: int, token: str, rng: random.Random) -> dict[str, str]:
    words = " ".join(rng.choice(WORDS) for _ in range(14))
    name = f"f_{token}_{i}"
    return {
        "id": f"p-{i}",
        "language": "python",
        "task_type": "code_generation",
        "prompt": f"Write {name}(x) that returns x plus {i}. Context {token} {i}: {words}.",
        "tests": f"def test_{name}():\n    assert {name}(1) == {i + 1}\n",
        "reference_solution": f"def {name}(x):\n    return x + {i}\n",
        "entry_point": name,
    }


def junk_line(i: int) -> str:
    kind = i % 4
    if kind == 0:
        return f'{{"id": "j-{i}", "prompt": '  # malformed JSON
    if kind == 1:
        return json.dumps({"id": f"j-{i}", "prompt": "p", "language": "python"})  # missing fields
    if kind == 2:
        return json.dumps([i])  # not an object
    record = valid_record(i, "junk", random.Random(i))
    record["tests"] = "def test():\n    pass\n"  # no assertion
    return json.dumps(record)


def write_valid(path: Path, count: int) -> None:
    token = secrets.token_hex(4)
    rng = random.Random(count)
    with path.open("w") as handle:
        for i in range(count):
            handle.write(json.dumps(valid_record(i, token, rng)) + "\n")


def write_junk(path: Path, count: int) -> None:
    with path.open("w") as handle:
        for i in range(count):
            handle.write(junk_line(i) + "\n")


def write_bomb(path: Path, mebibytes: int) -> None:
    block = b"\n" * (1 << 20)
    with gzip.open(path, "wb", compresslevel=9) as handle:
        for _ in range(mebibytes):
            handle.write(block)


def rss_mb() -> float:
    """Current resident set size (Linux /proc), in MB."""
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def child(path: str, database_url: str, max_decompressed_mb: int | None) -> None:
    """Ingest one file and print what happened as JSON (runs in its own process)."""
    from factory.db import make_engine, migrate
    from factory.errors import FactoryUserError
    from factory.intake.decontam import check_benchmarks
    from factory.intake.ingest import ingest_batch
    from factory.settings import FactoryConfig

    config = FactoryConfig()
    if max_decompressed_mb:
        config.intake.max_decompressed_mb = max_decompressed_mb
    engine = make_engine(database_url)
    migrate(engine)
    check_benchmarks(config.intake)  # load the benchmark index outside the timing
    before = rss_mb()
    cpu_before = _cpu_seconds()
    start = time.perf_counter()
    try:
        report = ingest_batch(engine, path, config)
        outcome = report.summary()
        received = report.received
        quarantined = report.quarantined
    except FactoryUserError as exc:
        outcome = f"refused: {exc}"
        received = quarantined = 0
    seconds = time.perf_counter() - start
    cpu_after = _cpu_seconds()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3  # KiB on Linux
    workers_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1e3
    engine.dispose()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "received": received,
                "quarantined": quarantined,
                "peak_mb": peak,
                "before_mb": before,
                "workers_peak_mb": workers_peak,
                "cpu_s": cpu_after[0] - cpu_before[0],
                "workers_cpu_s": cpu_after[1] - cpu_before[1],
                "outcome": outcome,
            }
        )
    )


def _cpu_seconds() -> tuple[float, float]:
    """CPU seconds (user + system) of this process, and of its ended child processes."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


@dataclass(frozen=True)
class Result:
    label: str
    kind: str  # valid | junk | bomb
    lines: int  # lines in the file
    seconds: float
    received: int
    quarantined: int
    growth_mb: float
    workers_peak_mb: float
    outcome: str

    @property
    def rate(self) -> float:
        return self.received / self.seconds if self.seconds and self.received else 0.0


@contextmanager
def case_database(label: str, args: argparse.Namespace, workdir: Path) -> Iterator[str]:
    """The database URL a case ingests into: fresh unless --database-url names one."""
    if args.database_url:
        yield args.database_url
        return
    if args.database == "sqlite":
        yield f"sqlite:///{workdir / (label.replace(' ', '-') + '.db')}"
        return
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"intake_bench_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run_case(
    label: str, kind: str, lines: int, path: Path, args: argparse.Namespace, workdir: Path
) -> Result:
    limit = ["--max-decompressed-mb", str(args.max_decompressed_mb)]
    with case_database(label, args, workdir) as url:
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(path), "--database-url", url]
            + (limit if args.max_decompressed_mb else []),
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        raise SystemExit(f"{label}: the ingesting process failed:\n{done.stderr[-3000:]}")
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    seconds = float(str(result["seconds"]))
    received = int(str(result["received"]))
    rate = received / seconds if seconds and received else 0.0
    peak, before = float(str(result["peak_mb"])), float(str(result["before_mb"]))
    workers_peak = float(str(result["workers_peak_mb"]))
    per_record = 1e6 / received if received else 0.0
    cpu = float(str(result["cpu_s"])) * per_record
    workers_cpu = float(str(result["workers_cpu_s"])) * per_record
    workers = (
        f"; workers peak RSS {workers_peak:.0f} MB, CPU {cpu:.0f} + {workers_cpu:.0f} us/record"
        if workers_peak
        else (f"; CPU {cpu:.0f} us/record" if received else "")
    )
    print(
        f"{label:>14}: {received} records in {seconds:.1f} s, {rate:.0f}/s, "
        f"peak RSS {peak:.0f} MB (+{peak - before:.0f} MB while ingesting){workers}; "
        f"{result['outcome']}",
        flush=True,
    )
    return Result(
        label,
        kind,
        lines,
        seconds,
        received,
        int(str(result.get("quarantined", 0))),
        peak - before,
        workers_peak,
        str(result["outcome"]),
    )


def missed_targets(results: list[Result], args: argparse.Namespace) -> list[str]:
    """What each missed target was, in words; empty when every target is met."""
    missed: list[str] = []
    for r in results:
        if r.kind == "valid" and r.lines >= args.target_min_records and r.rate < args.target_rate:
            missed.append(
                f"{r.label}: {r.rate:.0f} records/s, under the target {args.target_rate:.0f}/s "
                f"({r.lines} records would take {r.lines / max(r.rate, 1e-9):.0f} s)"
            )
        for what, mb in (("RSS", r.growth_mb), ("a worker's peak RSS", r.workers_peak_mb)):
            if mb > args.max_growth_mb:
                missed.append(f"{r.label}: {what} {mb:.0f} MB, over {args.max_growth_mb} MB")
        if r.kind == "junk" and (r.received != r.lines or r.quarantined != r.lines):
            missed.append(f"{r.label}: {r.quarantined} of {r.lines} lines quarantined")
        if r.kind == "bomb" and not r.outcome.startswith("refused"):
            missed.append(f"{r.label}: not refused ({r.outcome})")
    valid = sorted((r for r in results if r.kind == "valid"), key=lambda r: r.lines)
    if len(valid) >= 2:
        smaller, largest = valid[-2], valid[-1]
        if largest.growth_mb > 1.5 * max(smaller.growth_mb, 0) + 64:
            missed.append(
                f"memory is not flat: {largest.label} grew RSS by {largest.growth_mb:.0f} MB, "
                f"{smaller.label} by {smaller.growth_mb:.0f} MB"
            )
    return missed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="valid prompts per case")
    parser.add_argument("--junk", type=int, default=200_000, help="junk lines (0: skip)")
    parser.add_argument("--bomb-mb", type=int, default=1024, help="MiB of blank lines (0: skip)")
    parser.add_argument(
        "--database", choices=("sqlite", "postgres"), default="sqlite", help="a fresh one per case"
    )
    parser.add_argument("--database-url", default=None, help="one database for every case")
    parser.add_argument(
        "--max-decompressed-mb", type=int, default=0, help="intake.max_decompressed_mb (0: default)"
    )
    parser.add_argument(
        "--target-rate", type=float, default=1_000_000 / 120, help="records/s (1M in 2 minutes)"
    )
    parser.add_argument(
        "--target-min-records", type=int, default=1_000_000, help="valid cases the rate applies to"
    )
    parser.add_argument("--max-growth-mb", type=int, default=1024, help="RSS growth allowed")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.database_url, args.max_decompressed_mb)
        return 0
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="intake-bench-") as tmp:
        workdir = Path(tmp)
        for size in [int(s) for s in args.sizes.split(",") if s]:
            path = workdir / f"valid-{size}.jsonl"
            write_valid(path, size)
            results.append(run_case(f"valid {size}", "valid", size, path, args, workdir))
            path.unlink()
        if args.junk:
            path = workdir / f"junk-{args.junk}.jsonl"
            write_junk(path, args.junk)
            results.append(run_case(f"junk {args.junk}", "junk", args.junk, path, args, workdir))
        if args.bomb_mb:
            path = workdir / f"bomb-{args.bomb_mb}.jsonl.gz"
            write_bomb(path, args.bomb_mb)
            print(f"{'':>14}  (bomb file: {path.stat().st_size} bytes compressed)")
            label = f"bomb {args.bomb_mb} MiB"
            results.append(run_case(label, "bomb", 0, path, args, workdir))
    missed = missed_targets(results, args)
    for line in missed:
        print(f"TARGET MISSED: {line}")
    if not missed:
        print("every target met")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
