"""Benchmark the sandbox pool on every registered language against the plain ways to run code.

Per language, N canonical and N broken candidates (small problems written below: a correct
solution, a wrong answer, and for languages with a compile step some that do not compile, each
with the verdict it must get) go through

  (a) the sandbox pool (`open_sandbox`, docker when an engine is reachable, else bwrap),
  (b) a plain subprocess doing the same compile and run with the plug-in's own Program, chrooted
      into the sandbox image's root filesystem (the same toolchains), as root, no limits, no
      namespaces, the harness's fd 3 / fd 4 provided,
  (c) `docker run --rm` per candidate with the sandbox's isolation flags, the files piped in as
      a tar,

each with the same concurrency (the pool size). It prints, per language, throughput, p50/p95
latency, the median compile and run time, the ratios pool/subprocess and pool/docker run, and
whether each path's verdicts are the expected ones, with the targets and whether each is met.
Runs as root (chroot; /proc is mounted inside the root filesystem while it runs).

    .venv/bin/python bench/languages_bench.py [-n 20] [--backend docker|bwrap] [--quick]
"""

import argparse
import contextlib
import fcntl
import io
import itertools
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from factory.errors import SandboxUnavailableError
from factory.languages import LANGUAGES, Program, language
from factory.sandbox import ExecutionJob, open_sandbox
from factory.sandbox.docker_isolation import Isolation
from factory.sandbox.image import default_image, default_rootfs
from factory.sandbox.job import TestStyle
from factory.sandbox.pool import PooledSandbox
from factory.settings import SandboxSettings
from factory.vocab import Verdict

# -- problems ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    style: TestStyle
    entry_point: str
    code: str
    tests: str | Callable[[int], str]  # a callable where the tests compute from k
    wrong: tuple[str, str]  # (old, new): a wrong answer
    broken: tuple[str, str] | None = None  # (old, new): a compile error

    def render(self, k: int, variant: str) -> tuple[str, str]:
        """(code, tests) for number `k`; variant is "canonical", "wrong" or "broken"."""
        code = self.code
        if variant != "canonical":
            edit = self.wrong if variant == "wrong" else self.broken
            assert edit is not None and edit[0] in code, (variant, self.entry_point)
            code = code.replace(*edit, 1)
        tests = self.tests(k) if callable(self.tests) else self.tests.replace("@K@", str(k))
        return code.replace("@K@", str(k)), tests


def _sql_cases(*cases: tuple[str, str, list[list[object]], bool]) -> str:
    return json.dumps(
        {
            "cases": [
                {"name": name, "setup": setup, "expected": rows, "ordered": ordered}
                for name, setup, rows, ordered in cases
            ]
        }
    )


_C_SCALE = Problem(
    "native",
    "scale",
    "int scale(int x) {\n    return x * @K@;\n}\n",
    "TEST(scales) { CHECK(scale(3) == 3 * @K@); }\n"
    "TEST(zero) { CHECK(scale(0) == 0); }\n"
    "TEST(negative) { CHECK(scale(-2) == -2 * @K@); }\n",
    wrong=("x * @K@;", "x * @K@ + 1;"),
    broken=("return x", "retrun x"),
)
_C_TOTAL = Problem(
    "program",
    "total",
    "int total(int n) {\n    int s = @K@;\n    for (int i = 1; i <= n; i++) s += i;\n"
    "    return s;\n}\n",
    "#include <assert.h>\nint main() {\n    assert(total(4) == 10 + @K@);\n"
    "    assert(total(0) == @K@);\n    return 0;\n}\n",
    wrong=("i <= n", "i < n"),
    broken=("int s = ", "int s == "),
)
_CPP_TOTAL = Problem(
    "program",
    "total",
    "#include <vector>\n#include <numeric>\n\nint total(int n) {\n    std::vector<int> v;\n"
    "    for (int i = 1; i <= n; i++) v.push_back(i);\n"
    "    return std::accumulate(v.begin(), v.end(), @K@);\n}\n",
    "#include <cassert>\nint main() {\n    assert(total(4) == 10 + @K@);\n"
    "    assert(total(0) == @K@);\n}\n",
    wrong=("i <= n", "i < n"),
    broken=("std::vector<int> v;", "std::vector<int> v"),
)
_RUST = (
    Problem(
        "native",
        "scale",
        "pub fn scale(x: i64) -> i64 {\n    x * @K@\n}\n",
        "#[cfg(test)]\nmod tests {\n    use super::*;\n\n    #[test]\n"
        "    fn scales() {\n        assert_eq!(scale(3), 3 * @K@);\n    }\n\n    #[test]\n"
        "    fn zero() {\n        assert_eq!(scale(0), 0);\n    }\n}\n",
        wrong=("x * @K@\n", "x * @K@ + 1\n"),
        broken=("x * @K@\n", "x * @K@;\n"),
    ),
    Problem(
        "program",
        "total",
        "fn total(n: i64) -> i64 {\n    let mut s = @K@;\n    for i in 1..=n {\n"
        "        s += i;\n    }\n    s\n}\n",
        "fn main() {\n    let candidate = total;\n    assert_eq!(candidate(4), 10 + @K@);\n"
        "    assert_eq!(candidate(0), @K@);\n}\n",
        wrong=("1..=n", "1..n"),
        broken=("let mut s", "let s"),
    ),
)
_GO = (
    Problem(
        "native",
        "Scale",
        "package main\n\nfunc Scale(x int) int {\n\treturn x * @K@\n}\n",
        'package main\n\nimport "testing"\n\nfunc TestScales(t *testing.T) {\n'
        '\tif got := Scale(3); got != 3*@K@ {\n\t\tt.Errorf("Scale(3) = %d", got)\n\t}\n}\n\n'
        "func TestZero(t *testing.T) {\n\tif got := Scale(0); got != 0 {\n"
        '\t\tt.Errorf("Scale(0) = %d", got)\n\t}\n}\n',
        wrong=("x * @K@", "x*@K@ + 1"),
        broken=("return x", "retrun x"),
    ),
    Problem(
        "native",
        "Total",
        "package main\n\nfunc Total(n int) int {\n\ts := @K@\n\tfor i := 1; i <= n; i++ {\n"
        "\t\ts += i\n\t}\n\treturn s\n}\n",
        'package main\n\nimport (\n\t"testing"\n\n\t"github.com/stretchr/testify/assert"\n)\n\n'
        "func TestTotal(t *testing.T) {\n\tassert.Equal(t, 10+@K@, Total(4))\n"
        "\tassert.Equal(t, @K@, Total(0))\n}\n",
        wrong=("i <= n", "i < n"),
        broken=("s := @K@", "s = @K@"),
    ),
)
_JAVA = (
    Problem(
        "native",
        "scale",
        "class Solution {\n    static int scale(int x) {\n        return x * @K@;\n    }\n}\n",
        "import org.junit.jupiter.api.Test;\nimport static org.junit.jupiter.api.Assertions.*;\n\n"
        "class SolutionTest {\n    @Test\n    void scales() {\n"
        "        assertEquals(3 * @K@, Solution.scale(3));\n    }\n\n    @Test\n"
        "    void zero() {\n        assertEquals(0, Solution.scale(0));\n    }\n}\n",
        wrong=("x * @K@;", "x * @K@ + 1;"),
        broken=("return x", "retrun x"),
    ),
    Problem(
        "program",
        "total",
        "import java.util.*;\nimport java.lang.*;\n\nclass Solution {\n"
        "    public int total(int n) {\n        int s = @K@;\n"
        "        for (int i = 1; i <= n; i++) {\n            s += i;\n        }\n"
        "        return s;\n    }\n}\n",
        "public class Main {\n    public static void main(String[] args) {\n"
        "        Solution s = new Solution();\n"
        "        List<Boolean> correct = Arrays.asList(s.total(4) == 10 + @K@, "
        "s.total(0) == @K@);\n"
        "        if (correct.contains(false)) {\n            throw new AssertionError();\n"
        "        }\n    }\n}\n",
        wrong=("i <= n", "i < n"),
        broken=("int s = ", "int s == "),
    ),
)
_JS_PROGRAM_TESTS = (
    "const assert = require('node:assert');\n\nfunction test() {\n  let candidate = total;\n"
    "  assert.deepEqual(candidate(4), 10 + @K@);\n  assert.deepEqual(candidate(0), @K@);\n}\n\n"
    "test();\n"
)
_JS_NATIVE_TESTS = (
    'test("scales", () => {\n  assert.strictEqual(scale(3), 3 * @K@);\n});\n'
    'test("zero", () => {\n  assert.strictEqual(scale(0), 0);\n});\n'
)
_JAVASCRIPT = (
    Problem(
        "native",
        "scale",
        "function scale(x) {\n  return x * @K@;\n}\n",
        _JS_NATIVE_TESTS,
        wrong=("x * @K@;", "x * @K@ + 1;"),
    ),
    Problem(
        "program",
        "total",
        "function total(n) {\n  let s = @K@;\n  for (let i = 1; i <= n; i++) s += i;\n"
        "  return s;\n}\n",
        _JS_PROGRAM_TESTS,
        wrong=("i <= n", "i < n"),
    ),
)
_TYPESCRIPT = (
    Problem(
        "native",
        "scale",
        "function scale(x: number): number {\n  return x * @K@;\n}\n",
        _JS_NATIVE_TESTS,
        wrong=("x * @K@;", "x * @K@ + 1;"),
        broken=("(x: number)", "(x: number"),
    ),
    Problem(
        "program",
        "total",
        "function total(n: number): number {\n  let s: number = @K@;\n"
        "  for (let i = 1; i <= n; i++) s += i;\n  return s;\n}\n",
        "declare var require: any;\n" + _JS_PROGRAM_TESTS,
        wrong=("i <= n", "i < n"),
    ),
)
_BASH = (
    Problem(
        "native",
        "scale",
        "scale() {\n  echo $(( $1 * @K@ ))\n}\n",
        '@test "scales" {\n  run scale 3\n  [ "$status" -eq 0 ]\n'
        '  [ "$output" = "$(( 3 * @K@ ))" ]\n}\n\n'
        '@test "zero" {\n  [ "$(scale 0)" = "0" ]\n}\n',
        wrong=("$1 * @K@", "$1 * @K@ + 1"),
    ),
    Problem(
        "program",
        "total",
        "total() {\n  local s=@K@ i\n  for ((i = 1; i <= $1; i++)); do s=$((s + i)); done\n"
        "  echo $s\n}\n",
        '[ "$(total 4)" = "$((10 + @K@))" ] || exit 1\n[ "$(total 0)" = "@K@" ] || exit 1\n',
        wrong=("i <= $1", "i < $1"),
    ),
)
_ORDERS = (
    "CREATE TABLE orders (name TEXT, amount INTEGER); "
    "INSERT INTO orders VALUES ('ann', 5), ('bob', 2), ('ann', 1);"
)
_SQL = (
    Problem(
        "native",
        "",
        "SELECT name, amount * @K@ AS scaled FROM orders ORDER BY name, amount;",
        lambda k: _sql_cases(
            ("scaled", _ORDERS, [["ann", k], ["ann", 5 * k], ["bob", 2 * k]], True),
            ("empty", "CREATE TABLE orders (name TEXT, amount INTEGER);", [], True),
        ),
        wrong=("amount * @K@", "amount * @K@ + 1"),
        broken=("SELECT", "SELEC"),
    ),
    Problem(
        "native",
        "",
        "SELECT name, SUM(amount) + @K@ AS total FROM orders GROUP BY name;",
        lambda k: _sql_cases(("totals", _ORDERS, [["ann", 6 + k], ["bob", 2 + k]], False)),
        wrong=("SUM(amount)", "MAX(amount)"),
        broken=("GROUP BY", "GROUP"),
    ),
)
_RUBY = (
    Problem(
        "program",
        "scale",
        "def scale(x)\n  x * @K@\nend\n",
        "raise 'scale(3)' unless scale(3) == 3 * @K@\nraise 'scale(0)' unless scale(0) == 0\n",
        wrong=("x * @K@", "x * @K@ + 1"),
    ),
    Problem(
        "program",
        "total",
        "def total(n)\n  s = @K@\n  (1..n).each { |i| s += i }\n  s\nend\n",
        "require 'test/unit'\nclass TestHumanEval < Test::Unit::TestCase\n  def test_total\n"
        "    candidate = method(:total)\n    assert_equal(10 + @K@, candidate.call(4))\n"
        "    assert_equal(@K@, candidate.call(0))\n  end\nend\n",
        wrong=("(1..n)", "(1...n)"),
    ),
)
_PHP = (
    Problem(
        "program",
        "scale",
        "<?php\nfunction scale($x) {\n    return $x * @K@;\n}\n",
        "function candidate(...$args) {\n    return scale(...$args);\n}\n\n"
        "function test(): void {\n"
        '    if (candidate(3) !== 3 * @K@) { throw new Exception("Test failed!"); }\n'
        '    if (candidate(0) !== 0) { throw new Exception("Test failed!"); }\n}\n\ntest();\n',
        wrong=("$x * @K@;", "$x * @K@ + 1;"),
    ),
    Problem(
        "program",
        "total",
        "<?php\nfunction total($n) {\n    $s = @K@;\n    for ($i = 1; $i <= $n; $i++) {\n"
        "        $s += $i;\n    }\n    return $s;\n}\n",
        "function test(): void {\n"
        '    if (total(4) !== 10 + @K@) { throw new Exception("Test failed!"); }\n'
        '    if (total(0) !== @K@) { throw new Exception("Test failed!"); }\n}\n\ntest();\n',
        wrong=("$i <= $n", "$i < $n"),
    ),
)
_PYTHON = (
    Problem(
        "check",
        "scale",
        "def scale(x):\n    return x * @K@\n",
        "def check(candidate):\n    assert candidate(3) == 3 * @K@\n    assert candidate(0) == 0\n",
        wrong=("x * @K@", "x * @K@ + 1"),
    ),
    Problem(
        "check",
        "total",
        "def total(n):\n    s = @K@\n    for i in range(1, n + 1):\n        s += i\n    return s\n",
        "def check(candidate):\n    assert candidate(4) == 10 + @K@\n"
        "    assert candidate(0) == @K@\n",
        wrong=("range(1, n + 1)", "range(1, n)"),
    ),
)

PROBLEMS: dict[str, tuple[Problem, ...]] = {
    "python": _PYTHON,
    "c": (_C_SCALE, _C_TOTAL),
    "cpp": (_C_SCALE, _CPP_TOTAL),
    "go": _GO,
    "rust": _RUST,
    "java": _JAVA,
    "javascript": _JAVASCRIPT,
    "typescript": _TYPESCRIPT,
    "bash": _BASH,
    "sql": _SQL,
    "ruby": _RUBY,
    "php": _PHP,
}


# -- items -------------------------------------------------------------------------------------

PASSED, FAILED, COMPILE_ERROR = Verdict.PASSED.value, Verdict.FAILED.value, "compile_error"
INTERPRETED = ("javascript", "typescript", "bash", "sql", "ruby", "php", "python")
TARGET_VS_SUBPROCESS = 1.0
TARGET_VS_SUBPROCESS_INTERPRETED = 3.0
TARGET_VS_DOCKER_RUN = 10.0
TIMEOUT_S = 10.0
COMPILE_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Item:
    job: ExecutionJob
    expected: str  # the Verdict value every path should reach


def build_items(name: str, n: int) -> list[Item]:
    """n canonical and n broken items; every third broken one does not compile where the
    language has a compile error to offer, the rest give a wrong answer."""
    problems = PROBLEMS[name]
    items = []
    for index in range(2 * n):
        problem = problems[(index // 2) % len(problems)]
        k = 2 + index // 2
        variant = "canonical"
        if index % 2:
            variant = "broken" if problem.broken and (index // 2) % 3 == 2 else "wrong"
        code, tests = problem.render(k, variant)
        job = ExecutionJob(
            code=code,
            tests=tests,
            entry_point=problem.entry_point,
            test_style=problem.style,
            timeout_s=TIMEOUT_S,
            compile_timeout_s=COMPILE_TIMEOUT_S,
            language=name,
        )
        expected = {"canonical": PASSED, "wrong": FAILED, "broken": COMPILE_ERROR}[variant]
        items.append(Item(job, expected))
    return items


def python_program(job: ExecutionJob) -> str:
    """The HumanEval check program, as the official harness runs it."""
    return f"{job.code}\n{job.tests}\ncheck({job.entry_point})\n"


# -- measuring ---------------------------------------------------------------------------------


@dataclass
class Run:
    verdict: str
    latency_s: float = 0.0
    compile_s: float = 0.0  # 0.0 where the path has no compile step or does not split
    run_s: float = 0.0


@dataclass
class PathResult:
    name: str
    items: list[Item]
    runs: list[Run]
    elapsed_s: float
    note: str = ""

    @property
    def throughput(self) -> float:
        return len(self.runs) / self.elapsed_s

    def mismatches(self) -> list[str]:
        return [
            f"item {index} ({item.job.test_style}): {run.verdict}, expected {item.expected}"
            for index, (run, item) in enumerate(zip(self.runs, self.items, strict=True))
            if run.verdict != item.expected
        ]


@dataclass
class Path_:
    """One way of running items, and the items it runs (docker run may take a subset)."""

    name: str
    func: Callable[[Item], Run]
    items: list[Item]
    note: str = ""


def measure(paths: list[Path_], workers: int, rounds: int) -> list[PathResult]:
    """Every path's items with `workers` threads, in `rounds` slices taken in turn by each path
    (first path rotating), so a change in the machine's load falls on every path alike. Each
    path runs its first item once before, untimed: the toolchain's files are then in the page
    cache for every path."""
    for path in paths:
        path.func(path.items[0])
    results = [PathResult(path.name, [], [], 0.0, path.note) for path in paths]

    def one(func: Callable[[Item], Run], item: Item) -> Run:
        started = time.perf_counter()
        run = func(item)
        run.latency_s = time.perf_counter() - started
        return run

    for turn in range(rounds):
        for offset in range(len(paths)):
            index = (turn + offset) % len(paths)
            path, result = paths[index], results[index]
            size = -(-len(path.items) // rounds)
            chunk = path.items[turn * size : (turn + 1) * size]
            if not chunk:
                continue
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=workers) as executor:
                runs = list(executor.map(lambda item, f=path.func: one(f, item), chunk))
            result.elapsed_s += time.perf_counter() - started
            result.items += chunk
            result.runs += runs
    return results


def report_verdict(
    report: bytes, secret: str, compiled: bool, status: int | None, exit_fails: bool
) -> str:
    """The verdict from the harness's fd-3 lines, the simple way: the closing line and every test
    passed is a pass; a failed test (or, for test programs, a nonzero exit) is a failure."""
    if not compiled:
        return COMPILE_ERROR
    if status is None:
        return Verdict.TIMEOUT.value
    prefix = secret + " "
    records = []
    for line in report.decode("utf-8", "replace").splitlines():
        if line.startswith(prefix):
            try:
                records.append(json.loads(line[len(prefix) :]))
            except ValueError:
                continue
    outcomes = [r.get("o") for r in records if isinstance(r, dict) and "end" not in r]
    complete = any(isinstance(r, dict) and "end" in r for r in records)
    if "failed" in outcomes or (not complete and exit_fails and status != 0):
        return FAILED
    if complete and "passed" in outcomes and set(outcomes) <= {"passed", "skipped"}:
        return PASSED
    return Verdict.ERROR.value


# -- (a) the pool ------------------------------------------------------------------------------


def pool_run(sandbox: PooledSandbox) -> Callable[[Item], Run]:
    """One job through the pool; run concurrently by pool_size threads, as run_many does."""

    def run(item: Item) -> Run:
        outcome = sandbox.run(item.job)
        return Run(
            outcome.verdict.value,
            compile_s=outcome.compile_time_s,
            run_s=max(0.0, outcome.wall_time_s - outcome.compile_time_s),
        )

    return run


# -- (b) a plain subprocess in the image's root filesystem -------------------------------------


class ChrootRunner:
    """Compile and run a program's commands with `chroot ROOTFS`, as root, no limits, no
    namespaces: the same toolchains as the sandbox, none of its isolation."""

    def __init__(self, rootfs: Path, scratch: Path) -> None:
        self.rootfs = rootfs
        self.scratch = scratch  # under rootfs/tmp
        self.counter = itertools.count()

    def inside(self, path: Path) -> str:
        return "/" + str(path.relative_to(self.rootfs))

    def _spawn(
        self,
        argv: list[str],
        cwd: str,
        env: dict[str, str],
        log: Path,
        fds: dict[int, int],
        timeout: float,
    ) -> tuple[int | None, float]:
        """Run argv chrooted; (exit status or None on timeout, seconds)."""
        rootfs = str(self.rootfs)

        def enter() -> None:
            os.chroot(rootfs)
            os.chdir(cwd)
            # Park the sources above the low fds first: a source may itself be fd 3 or 4.
            parked = {
                target: fcntl.fcntl(source, fcntl.F_DUPFD, 10) for target, source in fds.items()
            }
            for target, source in parked.items():
                os.dup2(source, target)  # inheritable: the harness finds them after exec

        started = time.perf_counter()
        with open(log, "ab") as out:
            process = subprocess.Popen(  # noqa: S603 (the plug-in's own argv)
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                env=env,
                close_fds=False,
                preexec_fn=enter,  # noqa: PLW1509 (chroot and dup2 only)
                start_new_session=True,
            )
            try:
                status: int | None = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                status = None
        return status, time.perf_counter() - started

    def __call__(self, item: Item) -> Run:
        job_dir = self.scratch / f"job-{next(self.counter)}"
        work, home = job_dir / "work", job_dir / "home"
        try:
            for path in (work, home):
                path.mkdir(parents=True)
            if item.job.language == "python":
                return self._python(item, work)
            return self._program(item, job_dir, work, home)
        finally:
            shutil.rmtree(job_dir, ignore_errors=True)

    def _python(self, item: Item, work: Path) -> Run:
        (work / "check.py").write_text(python_program(item.job))
        argv = ["/usr/bin/python3", "-I", "check.py"]
        status, seconds = self._spawn(
            argv, self.inside(work), {"PATH": "/usr/bin:/bin"}, work / "out", {}, TIMEOUT_S
        )
        verdict = Verdict.TIMEOUT.value if status is None else PASSED if status == 0 else FAILED
        return Run(verdict, run_s=seconds)

    def _program(self, item: Item, job_dir: Path, work: Path, home: Path) -> Run:
        program = language(item.job.language).program(item.job)
        places = {"{work}": self.inside(work), "{home}": self.inside(home)}

        def expand(text: str) -> str:
            for key, value in places.items():
                text = text.replace(key, value)
            return text

        for name, content in program.files.items():
            path = work / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
        env = {key: expand(value) for key, value in program.env.items()}
        env = {"PATH": "/usr/bin:/bin", "HOME": places["{home}"], "TMPDIR": places["{home}"], **env}
        cwd = self.inside(work)
        compile_s, compiled = 0.0, True
        for step in program.compile:
            status, seconds = self._spawn(
                [expand(p) for p in step], cwd, env, job_dir / "compile.log", {}, COMPILE_TIMEOUT_S
            )
            compile_s += seconds
            if status != 0:
                compiled = False
                break
        if not compiled:
            return Run(COMPILE_ERROR, compile_s=compile_s)
        secret = secrets.token_hex(16)
        secret_r, secret_w = os.pipe()
        os.write(secret_w, (secret + "\n").encode())
        os.close(secret_w)
        report_path = job_dir / "report"
        with open(report_path, "wb") as report:
            try:
                status, run_s = self._spawn(
                    [expand(p) for p in program.run],
                    cwd,
                    env,
                    job_dir / "output",
                    {3: report.fileno(), 4: secret_r},
                    TIMEOUT_S,
                )
            finally:
                os.close(secret_r)
        verdict = report_verdict(report_path.read_bytes(), secret, True, status, program.exit_fails)
        return Run(verdict, compile_s=compile_s, run_s=run_s)


@contextlib.contextmanager
def proc_mounted(rootfs: Path) -> Iterator[None]:
    """/proc inside the root filesystem while the plain path runs (the JVM finds its libraries
    through /proc/self/exe); unmounted afterwards."""
    target = rootfs / "proc"
    if os.path.ismount(target):
        yield
        return
    subprocess.run(["mount", "-t", "proc", "proc", str(target)], check=True)  # noqa: S607
    try:
        yield
    finally:
        subprocess.run(["umount", str(target)], check=False)  # noqa: S607


# -- (c) docker run per candidate --------------------------------------------------------------


def docker_script(program: Program, secret: str) -> str:
    """A shell script that unpacks the files from stdin, compiles, runs the harness with fd 3
    and fd 4 on files, and prints the statuses and the report."""
    places = {"{work}": "/tmp/job/work", "{home}": "/tmp/job/home"}

    def expand(text: str) -> str:
        for key, value in places.items():
            text = text.replace(key, value)
        return text

    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp/job/home", "TMPDIR": "/tmp/job/home"}
    env.update({key: expand(value) for key, value in program.env.items()})
    prefix = "env -i " + " ".join(shlex.quote(f"{k}={v}") for k, v in env.items())
    lines = [
        "mkdir -p /tmp/job/work /tmp/job/home && cd /tmp/job/work && tar -x -f - || exit 90",
        f"echo {secret} > /tmp/job/secret",
    ]
    for step in program.compile:
        argv = " ".join(shlex.quote(expand(p)) for p in step)
        lines.append(
            f'{prefix} {argv} >>/tmp/job/compile.log 2>&1 || {{ echo "@@compile $?"; exit 0; }}'
        )
    argv = " ".join(shlex.quote(expand(p)) for p in program.run)
    lines.append(
        f"{prefix} {argv} 3>/tmp/job/report 4</tmp/job/secret </dev/null >/tmp/job/out 2>&1"
    )
    lines.append('echo "@@run $?"')
    lines.append("cat /tmp/job/report")
    return "\n".join(lines) + "\n"


def tar_of(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, content in files.items():
            data = content.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def docker_run(image: str, flags: list[str]) -> Callable[[Item], Run]:
    def run(item: Item) -> Run:
        head = ["docker", "run", "-i", *flags, image]
        if item.job.language == "python":
            command = [*head, "python3", "-I", "-c", python_program(item.job)]
            stdin = b""
        else:
            program = language(item.job.language).program(item.job)
            secret = secrets.token_hex(16)
            command = [*head, "sh", "-c", docker_script(program, secret)]
            stdin = tar_of(program.files)
        try:
            done = subprocess.run(
                command,
                input=stdin,
                capture_output=True,
                timeout=TIMEOUT_S + COMPILE_TIMEOUT_S + 30,
            )  # noqa: S603
        except subprocess.TimeoutExpired:
            return Run(Verdict.TIMEOUT.value)
        if item.job.language == "python":
            return Run(PASSED if done.returncode == 0 else FAILED)
        output = done.stdout.decode("utf-8", "replace")
        if "@@compile " in output:
            return Run(COMPILE_ERROR)
        match = re.search(r"^@@run (\d+)$", output, re.M)
        if match is None:
            return Run(Verdict.SANDBOX_ERROR.value)
        status = int(match.group(1))
        if status in (124, 137):  # killed: only a timeout could do it here
            return Run(Verdict.TIMEOUT.value)
        return Run(report_verdict(done.stdout, secret, True, status, program.exit_fails))

    return run


# -- report ------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def targets(name: str, results: list[PathResult]) -> list[tuple[str, bool]]:
    """Each target of one language: (what it says with the figure, met)."""
    by_name = {r.name: r for r in results}
    pool = by_name["pool"]
    versus_subprocess = (
        TARGET_VS_SUBPROCESS_INTERPRETED if name in INTERPRETED else TARGET_VS_SUBPROCESS
    )
    found = []
    for versus, target in (("subprocess", versus_subprocess), ("docker run", TARGET_VS_DOCKER_RUN)):
        if versus in by_name:
            ratio = pool.throughput / by_name[versus].throughput
            found.append((f"pool >= {target:.0f}x {versus}: {ratio:.2f}x", ratio >= target))
    wrong = len(pool.mismatches())
    found.append(
        (f"pool verdicts as expected: {len(pool.runs) - wrong}/{len(pool.runs)}", not wrong)
    )
    return found


def median_ms(values: list[float]) -> str:
    return f"{1000 * statistics.median(values):.0f}" if values else "-"


def print_language(name: str, results: list[PathResult], docker_skip: str | None) -> bool:
    """The table of one language and its targets; True when every target is met."""
    items = results[0].items
    counts = {v: sum(i.expected == v for i in items) for v in (PASSED, FAILED, COMPILE_ERROR)}
    print(f"\n== {name}: {len(items)} items ({counts[PASSED]} canonical, {counts[FAILED]} wrong "
          f"answers, {counts[COMPILE_ERROR]} not compiling)")  # fmt: skip
    print(f"{'path':<12}{'n':>4}{'jobs/s':>8}{'p50 ms':>8}{'p95 ms':>8}"
          f"{'compile ms':>11}{'run ms':>8}  verdicts  note")  # fmt: skip
    for r in results:
        latencies = [run.latency_s for run in r.runs]
        agree = f"{len(r.runs) - len(r.mismatches())}/{len(r.runs)}"
        errors = sum(run.verdict == Verdict.SANDBOX_ERROR.value for run in r.runs)
        note = r.note + (f", {errors} sandbox errors" if errors else "")
        print(f"{r.name:<12}{len(r.runs):>4}{r.throughput:>8.2f}{median_ms(latencies):>8}"
              f"{1000 * percentile(latencies, 0.95):>8.0f}"
              f"{median_ms([run.compile_s for run in r.runs if run.compile_s]):>11}"
              f"{median_ms([run.run_s for run in r.runs if run.run_s]):>8}"
              f"  {agree:>8}  {note}")  # fmt: skip
    if docker_skip:
        print(f"docker run: SKIPPED ({docker_skip})")
    pool = results[0]
    compile_s = sum(run.compile_s for run in pool.runs)
    if compile_s:
        total = compile_s + sum(run.run_s for run in pool.runs)
        share = 100 * compile_s / total
        print(f"compile vs run (pool, all items): {compile_s:.2f} s compile, "
              f"{total - compile_s:.2f} s run ({share:.0f}% compiling)")  # fmt: skip
    met_all = True
    for text, met in targets(name, results):
        met_all &= met
        print(f"target {text} {'MET' if met else 'MISSED'}")
    for r in results:
        for line in r.mismatches()[:5]:
            print(f"  {r.name} {line}")
    return met_all


def print_summary(summary: list[tuple[str, list[PathResult]]]) -> None:
    print("\n== summary (jobs/s; ratio = pool / path)")
    print(f"{'language':<12}{'pool':>7}{'subproc':>9}{'docker run':>11}"
          f"{'pool/sub':>10}{'target':>8}{'pool/run':>10}  verdicts  targets")  # fmt: skip
    for name, results in summary:
        by_name = {r.name: r for r in results}
        pool = by_name["pool"]
        sub, run = by_name["subprocess"], by_name.get("docker run")
        target = TARGET_VS_SUBPROCESS_INTERPRETED if name in INTERPRETED else TARGET_VS_SUBPROCESS
        agree = f"{len(pool.runs) - len(pool.mismatches())}/{len(pool.runs)}"
        met = all(ok for _, ok in targets(name, results))
        print(f"{name:<12}{pool.throughput:>7.2f}{sub.throughput:>9.2f}"
              f"{f'{run.throughput:.2f}' if run else '-':>11}"
              f"{pool.throughput / sub.throughput:>9.2f}x{target:>7.0f}x"
              f"{f'{pool.throughput / run.throughput:.1f}x' if run else '-':>10}"
              f"  {agree:>8}  {'met' if met else 'MISSED'}")  # fmt: skip


# -- main --------------------------------------------------------------------------------------


def default_backend() -> str:
    try:
        done = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, timeout=20
        )  # noqa: S607
    except (OSError, subprocess.TimeoutExpired):
        return "bwrap"
    return "docker" if done.returncode == 0 else "bwrap"


def docker_problem() -> str | None:
    """Why `docker run` cannot be measured here, or None."""
    image = default_image()
    if not image:
        return "no sandbox image has been built"
    try:
        done = subprocess.run(
            ["docker", "image", "inspect", image], capture_output=True, timeout=20
        )  # noqa: S607
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"no Docker engine reachable ({exc})"
    if done.returncode != 0:
        return (
            f"no Docker engine reachable or no image {image}: {done.stderr.decode()[-200:].strip()}"
        )
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=20, help="canonical and broken items per language")
    parser.add_argument(
        "--backend", default="", help="docker | bwrap (default: docker when reachable)"
    )
    parser.add_argument("--pool-size", type=int, default=2)
    parser.add_argument(
        "--languages", default="", help="comma-separated (default: every registered one)"
    )
    parser.add_argument(
        "--docker-run-subset",
        type=int,
        default=0,
        help="docker run only this many items per language (0: all)",
    )
    parser.add_argument(
        "--rounds", type=int, default=4, help="slices each path takes in turn (load drift)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="2 + 2 items per language, 4 docker runs"
    )
    args = parser.parse_args()
    n = 2 if args.quick else args.n
    subset = 4 if args.quick and not args.docker_run_subset else args.docker_run_subset
    names = [s for s in args.languages.split(",") if s] or list(LANGUAGES)
    unknown = [name for name in names if name not in LANGUAGES]
    missing = [name for name in names if name not in PROBLEMS]
    if unknown:
        parser.error(f"not registered: {', '.join(unknown)} (registered: {', '.join(LANGUAGES)})")
    if missing:
        print(f"NO PROBLEMS WRITTEN for registered language(s): {', '.join(missing)}")
        names = [name for name in names if name in PROBLEMS]
    rootfs = default_rootfs()
    if rootfs is None:
        print("no sandbox root filesystem: build it with `bash scripts/build-sandbox-image.sh`")
        return 2
    if os.geteuid() != 0:
        print("the plain-subprocess path needs root (chroot)")
        return 2
    backend = args.backend or default_backend()
    settings = SandboxSettings(backend=backend, pool_size=args.pool_size)
    flags = Isolation.of(settings).cli_flags()
    docker_skip = docker_problem()
    image = default_image() or ""
    print(f"languages: {', '.join(names)}; {n} canonical + {n} broken each; concurrency "
          f"{args.pool_size} on every path; pool backend {backend}; {os.cpu_count()} CPUs; "
          f"load average {os.getloadavg()[0]:.1f} at start")  # fmt: skip
    print(f"plain subprocess: chroot {rootfs}, no limits; docker run: {image}, the sandbox's "
          f"flags" + (f", {subset} items per language" if subset else ""))  # fmt: skip
    try:
        sandbox = open_sandbox(settings)
    except SandboxUnavailableError as exc:
        print(f"no sandbox: {exc}")
        return 2
    all_ok = True
    summary: list[tuple[str, list[PathResult]]] = []
    scratch = Path(tempfile.mkdtemp(prefix="languages-bench-", dir=rootfs / "tmp"))
    try:
        with sandbox, proc_mounted(rootfs):
            sandbox.warm_up()  # pool start-up is a one-off, like the image build
            for name in names:
                items = build_items(name, n)
                paths = [
                    Path_("pool", pool_run(sandbox), items, backend),
                    Path_("subprocess", ChrootRunner(rootfs, scratch), items, "chroot, no limits"),
                ]
                if docker_skip is None:
                    chosen = items[:: max(1, len(items) // subset)][:subset] if subset else items
                    note = f"{len(chosen)} of the items" if subset else ""
                    paths.append(Path_("docker run", docker_run(image, flags), chosen, note))
                print(f"{name} ...", flush=True)
                results = measure(paths, args.pool_size, rounds=min(args.rounds, n))
                all_ok &= print_language(name, results, docker_skip)
                summary.append((name, results))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print_summary(summary)
    print(f"load average {os.getloadavg()[0]:.1f} at the end (other work shares these CPUs)")
    print("ALL TARGETS MET" if all_ok else "SOME TARGETS MISSED")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
