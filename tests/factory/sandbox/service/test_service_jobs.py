"""/v1/jobs and /v1/jobs/batch judge test jobs exactly as the pool does for the execution stage."""

import pytest
from sandbox_service_builders import Service

from factory.sandbox import ExecutionJob
from factory.sandbox.pool import PooledSandbox

pytestmark = [pytest.mark.docker, pytest.mark.slow]

ADD_TESTS = (
    "def test_adds():\n    assert add(2, 3) == 5\n\ndef test_zero():\n    assert add(0, 0) == 0\n"
)
JOBS = [
    ExecutionJob(code="def add(a, b):\n    return a + b\n", tests=ADD_TESTS),
    ExecutionJob(code="def add(a, b):\n    return a * b\n", tests=ADD_TESTS),
    ExecutionJob(
        code="def inc(x):\n    return x + 1\n",
        tests="def check(candidate):\n    assert candidate(1) == 2\n    assert candidate(2) == 4\n",
        entry_point="inc",
        test_style="check",
    ),
    ExecutionJob(
        code="int add(int a, int b) { return a + b; }",
        tests="TEST(adds) { CHECK(add(2, 3) == 5); }\nTEST(negative) { CHECK(add(-1, 1) == 0); }",
        language="c",
        test_style="native",
    ),
    ExecutionJob(
        code="int add(int a, int b) { return a + b }",
        tests="TEST(adds) { CHECK(add(2, 3) == 5); }",
        language="cpp",
        test_style="native",
    ),
    ExecutionJob(
        code="function add(a, b) { return a - b; }",
        tests="const assert = require('node:assert');\nassert.strictEqual(add(2, 3), 5);\n",
        language="javascript",
        test_style="program",
    ),
]


def _body(job: ExecutionJob, job_id: str) -> dict:
    return {
        "id": job_id,
        "code": job.code,
        "tests": job.tests,
        "language": job.language,
        "entry_point": job.entry_point,
        "test_style": job.test_style,
        "timeout_s": job.timeout_s,
        "compile_timeout_s": job.compile_timeout_s,
        "memory_mb": 256,
    }


def _summary(verdict: str, error_type: str | None, tests: list[tuple[str, str]]) -> tuple:
    return verdict, error_type, tests


@pytest.fixture(scope="module")
def direct(docker_sandbox: PooledSandbox) -> list[tuple]:
    """Each job's outcome from the pool itself, as the execution stage gets it."""
    outcomes = docker_sandbox.run_many([_with_memory(job) for job in JOBS])
    return [
        _summary(str(o.verdict), o.error_type, [(t.name, t.outcome) for t in o.tests])
        for o in outcomes
    ]


def _with_memory(job: ExecutionJob) -> ExecutionJob:
    return ExecutionJob(
        code=job.code,
        tests=job.tests,
        entry_point=job.entry_point,
        test_style=job.test_style,
        timeout_s=job.timeout_s,
        memory_mb=256,
        language=job.language,
        compile_timeout_s=job.compile_timeout_s,
    )


def _from_service(result: dict) -> tuple:
    tests = [(t["name"], t["outcome"]) for t in result["tests"]]
    return _summary(result["verdict"], result["error_type"], tests)


def test_each_job_gets_the_verdict_the_pool_gives(service: Service, direct: list[tuple]) -> None:
    assert [v[0] for v in direct] == [
        "passed", "failed", "failed", "passed", "compile_error", "failed",
    ]  # fmt: skip
    for index, job in enumerate(JOBS):
        response = service.post("/v1/jobs", _body(job, f"job-{index}"))
        assert response.status_code == 200, response.text
        result = response.json()
        assert result["id"] == f"job-{index}"
        assert _from_service(result) == direct[index]
        assert set(result) >= {"compile_output", "timings", "stdout", "stderr", "backend"}
    compiled = service.post("/v1/jobs", _body(JOBS[4], "broken")).json()
    assert "error" in compiled["compile_output"]


def test_a_batch_answers_every_job_in_order(service: Service, direct: list[tuple]) -> None:
    body = {"jobs": [_body(job, f"b{index}") for index, job in enumerate(JOBS)]}
    response = service.post("/v1/jobs/batch", body)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["id"] for r in results] == [f"b{index}" for index in range(len(JOBS))]
    assert [_from_service(r) for r in results] == direct


def test_defaults_come_from_the_sandbox_settings(service: Service) -> None:
    body = {"code": "def add(a, b):\n    return a + b\n", "tests": ADD_TESTS}
    result = service.post("/v1/jobs", body).json()
    assert (result["language"], result["test_style"], result["verdict"]) == (
        "python",
        "pytest",
        "passed",
    )


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"code": "x", "tests": "y", "language": "cobol"}, ["'cobol'", "supported"]),
        ({"code": "x", "tests": "y", "language": "ruby", "test_style": "native"}, ["Ruby"]),
        ({"code": "x", "tests": "y", "test_style": "check"}, ["entry_point"]),
        ({"code": "x", "tests": "y", "memory_mb": 100000}, ["memory_mb", "256"]),
        ({"code": "x", "tests": "nothing", "language": "c"}, ["TEST"]),
    ],
)
def test_a_job_the_sandbox_cannot_run_is_refused_naming_why(
    service: Service, body: dict, words: list[str]
) -> None:
    response = service.post("/v1/jobs", body)
    assert response.status_code == 400
    assert all(word in response.json()["detail"] for word in words), response.json()


def test_a_batch_with_one_bad_job_is_refused_whole_naming_it(service: Service) -> None:
    body = {"jobs": [_body(JOBS[0], "good"), {"code": "x", "tests": "y", "language": "cobol"}]}
    response = service.post("/v1/jobs/batch", body)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("jobs[1]: ")
