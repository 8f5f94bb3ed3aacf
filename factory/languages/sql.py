"""SQL (SQLite): the candidate is one query; each test case is a schema with seed rows and the
result set the query must return.

Tests are JSON: `{"cases": [{"name": "...", "setup": "CREATE TABLE ...; INSERT ...;",
"expected": [[1, "a"], ...], "ordered": false}]}`. The harness is a Python script (the image's
python3 and its sqlite3 module): each case runs in a fresh in-memory database, and rows are
compared as a multiset unless `ordered`. The candidate's SQL is data to SQLite, never code in the
harness's process, so it cannot reach the report channel at all; ATTACH and extension loading are
refused by an authorizer, which lets the query only read, and a progress handler stops a query
just before the run's deadline (the case is then named, and the run ends as a timeout). A query
that does not prepare against every case's schema (EXPLAIN: syntax, unknown names, more than one
statement, anything but reading) is a compile error. Numbers compare within 1e-9, true/false as
1/0; an optional `"columns": [...]` also checks the result's column names.
"""

import json
from dataclasses import dataclass

from factory.languages.base import Program
from factory.sandbox.job import ExecutionJob, RunJob

PYTHON = "/usr/bin/python3"
SQLITE = "/usr/bin/sqlite3"

HARNESS = r"""
import json, math, os, signal, sqlite3, sys, time

mode, budget = sys.argv[1], float(sys.argv[2])
started = time.monotonic()
spec = json.load(open("cases.json"))
query = open("solution.sql").read().strip()
# Reading only: the query may select, call functions and recurse, nothing else.
READING = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION,
           sqlite3.SQLITE_RECURSIVE}
NEVER = {sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH}


def setup_authorizer(action, *args):
    if action in NEVER or (action == sqlite3.SQLITE_FUNCTION and args[1] == "load_extension"):
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def query_authorizer(action, *args):
    if action not in READING or (action == sqlite3.SQLITE_FUNCTION and args[1] == "load_extension"):
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def database(setup):
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.execute("PRAGMA temp_store = MEMORY")  # no temporary files: the job's memory bounds it
    db.set_authorizer(setup_authorizer)
    db.executescript(setup)
    db.set_authorizer(query_authorizer)
    # Stops the query shortly before the run's own deadline, so the case can be named.
    db.set_progress_handler(lambda: time.monotonic() - started > budget, 10000)
    return db


def key(value):
    # Sorts rows of mixed types; numbers by value so 1 and 1.0 land together.
    if value is None:
        return (0, 0.0, "")
    if isinstance(value, (int, float)):
        return (1, float(value), "")
    if isinstance(value, bytes):
        return (3, 0.0, value.hex())
    return (2, 0.0, str(value))


def same(got, want):
    if isinstance(got, bytes):
        got = got.hex()
    if isinstance(want, bool):
        want = int(want)
    if isinstance(got, (int, float)) and isinstance(want, (int, float)):
        return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9)
    return got == want


def compare(rows, case):
    expected = case["expected"]
    if not case.get("ordered"):
        rows = sorted(rows, key=lambda row: [key(v) for v in row])
        expected = sorted(expected, key=lambda row: [key(v) for v in row])
    if len(rows) != len(expected):
        return f"expected {len(expected)} rows, got {len(rows)}: {rows[:20]!r}"
    for index, (got, want) in enumerate(zip(rows, expected)):
        if len(got) != len(want) or not all(same(g, w) for g, w in zip(got, want)):
            return f"row {index + 1}: expected {want!r}, got {list(got)!r}"
    return None


if mode == "prepare":
    # EXPLAIN compiles the query against each case's schema without running it.
    for case in spec["cases"]:
        try:
            db = database(case["setup"])
        except sqlite3.Error:
            continue  # a setup that fails is the case's own error at run time
        try:
            db.execute("EXPLAIN " + query)
        except (sqlite3.Error, sqlite3.Warning) as exc:
            sys.stderr.write(f"solution.sql: {exc}\n")
            sys.exit(1)
    sys.exit(0)

secret = os.read(4, 256).decode().split("\n")[0]
os.close(4)


def report(record):
    os.write(3, (secret + " " + json.dumps(record) + "\n").encode())


for case in spec["cases"]:
    start = time.monotonic()
    name = str(case.get("name") or "case")
    try:
        db = database(case["setup"])
    except sqlite3.Error as exc:
        report({"t": name, "o": "error", "m": f"setup: {exc}", "d": 0, "e": "SetupError"})
        continue
    try:
        cursor = db.execute(query)
        rows = cursor.fetchall()
    except sqlite3.OperationalError as exc:
        if time.monotonic() - started > budget:
            report({"t": name, "o": "error", "m": "the query ran out of time", "e": "Timeout",
                    "d": time.monotonic() - start})
            os.kill(os.getpid(), signal.SIGXCPU)  # a timeout, as if the CPU limit had struck
        report({"t": name, "o": "error", "m": str(exc), "d": time.monotonic() - start,
                "e": type(exc).__name__})
        continue
    except sqlite3.Error as exc:
        report({"t": name, "o": "error", "m": str(exc), "d": time.monotonic() - start,
                "e": type(exc).__name__})
        continue
    problem = compare(rows, case)
    columns = case.get("columns")
    names = [d[0] for d in cursor.description or []]
    if problem is None and columns is not None and names != columns:
        problem = f"expected columns {columns!r}, got {names!r}"
    outcome = "passed" if problem is None else "failed"
    report({"t": name, "o": outcome, "m": (problem or "")[:4000], "d": time.monotonic() - start})
report({"end": len(spec["cases"])})
"""


def parse_cases(tests: str) -> list[dict]:
    """The cases of a SQL prompt's tests; ValueError says what is wrong with them."""
    try:
        spec = json.loads(tests)
    except ValueError as exc:
        raise ValueError(f"tests are not JSON: {exc}") from None
    cases = spec.get("cases") if isinstance(spec, dict) else None
    if not isinstance(cases, list) or not cases:
        raise ValueError('tests need {"cases": [...]} with at least one case')
    for index, case in enumerate(cases, 1):
        if not isinstance(case, dict) or not isinstance(case.get("setup"), str):
            raise ValueError(f"case {index} needs a 'setup' string (schema and seed rows)")
        expected = case.get("expected")
        if not isinstance(expected, list) or not all(isinstance(r, list) for r in expected):
            raise ValueError(f"case {index} needs 'expected': a list of rows (lists)")
    return cases


@dataclass(frozen=True, slots=True)
class Sql:
    name: str = "sql"
    title: str = "SQL (SQLite)"
    extension: str = ".sql"
    highlight: str = "sql"
    test_styles: tuple[str, ...] = ("native",)
    packages: tuple[str, ...] = ("python3", "sqlite3")

    def program(self, job: ExecutionJob) -> Program:
        if job.test_style not in self.test_styles:
            raise ValueError(f"{self.title} takes test styles {self.test_styles}")
        parse_cases(job.tests)
        files = {"harness_sql.py": HARNESS, "cases.json": job.tests, "solution.sql": job.code}
        harness = (PYTHON, "-I", "-S", "harness_sql.py")
        budget = f"{max(job.timeout_s - 0.3, 0.1):.2f}"
        return Program(
            files=files,
            compile=((*harness, "prepare", budget),),
            run=(*harness, "run", budget),
        )

    def check_tests(self, tests: str, test_style: str, entry_point: str) -> str | None:
        try:
            parse_cases(tests)
        except ValueError as exc:
            return str(exc)
        return None

    def run_program(self, job: RunJob) -> Program:
        """The code as a script of the sqlite3 shell on an empty in-memory database (rows
        printed `a|b`, one per line); the first error ends it with status 1."""
        return Program(
            files={"solution.sql": job.code},
            run=(SQLITE, "-bail", "-batch", ":memory:", ".read solution.sql"),
        )


SQL = Sql()
