"""SQL (SQLite): the candidate is one query; each test case is a schema with seed rows and the
result set the query must return.

Tests are JSON: `{"cases": [{"name": "...", "setup": "CREATE TABLE ...; INSERT ...;",
"expected": [[1, "a"], ...], "ordered": false}]}`. The harness is a Python script (the image's
python3 and its sqlite3 module): each case runs in a fresh in-memory database, and rows are
compared as a multiset unless `ordered`. The candidate's SQL is data to SQLite, never code in the
harness's process, so it cannot reach the report channel at all; ATTACH and extension loading are
refused by an authorizer, and a progress handler bounds each query. A query that does not
prepare against the first case's schema is a compile error.
"""

import json
from dataclasses import dataclass

from factory.languages.base import Program
from factory.sandbox.job import ExecutionJob

PYTHON = "/usr/bin/python3"

HARNESS = r"""
import json, os, sqlite3, sys, time

mode = sys.argv[1]
spec = json.load(open("cases.json"))
query = open("solution.sql").read().strip().rstrip(";")
DENIED = {sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH}


def authorizer(action, *args):
    if action in DENIED or (action == sqlite3.SQLITE_FUNCTION and args[1] == "load_extension"):
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def database(setup):
    db = sqlite3.connect(":memory:")
    db.executescript(setup)
    db.set_authorizer(authorizer)
    return db


def report(record):
    os.write(3, (secret + " " + json.dumps(record) + "\n").encode())


def normal(value):
    return round(value, 9) if isinstance(value, float) else value


if mode == "prepare":
    try:
        database(spec["cases"][0]["setup"]).execute("EXPLAIN " + query)
    except sqlite3.Error as exc:
        sys.stderr.write(f"solution.sql: {exc}\n")
        sys.exit(1)
    sys.exit(0)

secret = os.read(4, 256).decode().split("\n")[0]
os.close(4)
for case in spec["cases"]:
    start = time.monotonic()
    name = str(case.get("name") or "case")
    try:
        db = database(case["setup"])
        db.set_progress_handler(lambda: time.monotonic() - start > 30, 10000)
        rows = [[normal(v) for v in row] for row in db.execute(query).fetchall()]
        expected = [[normal(v) for v in row] for row in case["expected"]]
        if not case.get("ordered"):
            rows, expected = sorted(rows, key=repr), sorted(expected, key=repr)
        if rows == expected:
            report({"t": name, "o": "passed", "m": "", "d": time.monotonic() - start})
        else:
            message = f"expected {case['expected']!r}, got {rows[:50]!r}"
            report({"t": name, "o": "failed", "m": message[:4000], "d": time.monotonic() - start})
    except sqlite3.Error as exc:
        report({"t": name, "o": "error", "m": str(exc), "d": time.monotonic() - start,
                "e": type(exc).__name__})
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
        return Program(files=files, compile=((*harness, "prepare"),), run=(*harness, "run"))

    def check_tests(self, tests: str, test_style: str, entry_point: str) -> str | None:
        try:
            parse_cases(tests)
        except ValueError as exc:
            return str(exc)
        return None


SQL = Sql()
