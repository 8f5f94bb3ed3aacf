"""SQL (SQLite) through the real sandboxes: a query against each case's schema and seed rows."""

import json

import pytest

from factory.languages import language
from factory.sandbox import ExecutionJob
from factory.sandbox.pool import PooledSandbox
from factory.vocab import Verdict

pytestmark = pytest.mark.slow

SETUP = (
    "CREATE TABLE orders (name TEXT, amount INTEGER);"
    "INSERT INTO orders VALUES ('ann', 5), ('bob', 2), ('ann', 1);"
)
CASES = {
    "cases": [
        {
            "name": "totals",
            "setup": SETUP,
            "expected": [["ann", 6], ["bob", 2]],
            "ordered": True,
            "columns": ["name", "total"],
        },
        {"name": "averages in any order", "setup": SETUP, "expected": [["bob", 2], ["ann", 6]]},
        {"name": "no orders", "setup": "CREATE TABLE orders (name TEXT, amount INTEGER);",
         "expected": []},
    ]
}  # fmt: skip
QUERY = "SELECT name, SUM(amount) AS total FROM orders GROUP BY name ORDER BY total DESC;"
TESTS = json.dumps(CASES)


def job(code: str, tests: str = TESTS, timeout_s: float = 5.0) -> ExecutionJob:
    return ExecutionJob(
        code=code, tests=tests, language="sql", test_style="native", timeout_s=timeout_s
    )


def test_a_correct_query_passes_each_case(sandbox: PooledSandbox) -> None:
    outcome = sandbox.run(job(QUERY))
    assert outcome.verdict == Verdict.PASSED
    assert [t.name for t in outcome.tests] == ["totals", "averages in any order", "no orders"]


def test_floats_compare_with_integers_in_any_order(sandbox: PooledSandbox) -> None:
    tests = json.dumps(
        {"cases": [{"name": "avg", "setup": "CREATE TABLE t (x); INSERT INTO t VALUES (1), (10);",
                    "expected": [[1], [10]]}]}
    )  # fmt: skip
    assert sandbox.run(job("SELECT x * 1.0 FROM t", tests)).verdict == Verdict.PASSED


def test_wrong_rows_order_or_columns_fail(sandbox: PooledSandbox) -> None:
    wrong = sandbox.run(job("SELECT name, MAX(amount) AS total FROM orders GROUP BY name"))
    assert wrong.verdict == Verdict.FAILED
    assert "expected" in wrong.tests[0].message
    unordered = sandbox.run(job(QUERY.replace("DESC", "ASC")))
    assert [t.outcome for t in unordered.tests] == ["failed", "passed", "passed"]
    renamed = sandbox.run(job(QUERY.replace("AS total", "AS t").replace("BY total", "BY t")))
    assert "columns" in renamed.tests[0].message


@pytest.mark.parametrize(
    "query",
    [
        "SELEC name FROM orders",
        "SELECT nope FROM orders",
        "SELECT 1; SELECT 2;",
        "DELETE FROM orders",
        "ATTACH DATABASE '/tmp/x.db' AS x",
        "SELECT load_extension('/tmp/x')",
    ],
)
def test_queries_that_do_not_prepare_or_do_more_than_read_are_compile_errors(
    sandbox: PooledSandbox, query: str
) -> None:
    outcome = sandbox.run(job(query))
    assert outcome.verdict == Verdict.COMPILE_ERROR
    assert "solution.sql" in outcome.compile_output


def test_a_runaway_query_is_a_timeout_naming_its_case(sandbox: PooledSandbox) -> None:
    endless = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
        "SELECT name, (SELECT COUNT(*) FROM n) FROM orders"
    )
    outcome = sandbox.run(job(endless, timeout_s=1.5))
    assert outcome.verdict == Verdict.TIMEOUT
    assert outcome.tests[0].name == "totals"
    assert sandbox.run(job(QUERY)).verdict == Verdict.PASSED


def test_intake_rejects_malformed_cases() -> None:
    plugin = language("sql")
    assert plugin.check_tests(TESTS, "native", "") is None
    assert plugin.check_tests("not json", "native", "") is not None
    assert plugin.check_tests('{"cases": [{"setup": "x"}]}', "native", "") is not None
