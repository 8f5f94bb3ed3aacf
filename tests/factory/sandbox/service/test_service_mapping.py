"""SandboxFusion requests to the sandbox's run jobs and run outcomes back to SandboxFusion
responses; the token and client name from a request's headers."""

import base64

import pytest

from factory.sandbox.job import RunOutcome, StepOutcome
from factory.sandbox.service.auth import client_name, credentials, token_matches
from factory.sandbox.service.fusion import RunCodeRequest, run_code_response, run_job
from factory.settings import SandboxServiceSettings, SandboxSettings
from factory.vocab import Verdict

SETTINGS = SandboxSettings(memory_mb=512, service=SandboxServiceSettings(max_timeout_s=30))


def request(**fields: object) -> RunCodeRequest:
    return RunCodeRequest.model_validate({"code": "print(1)", "language": "python", **fields})


@pytest.mark.parametrize(
    ("name", "ours"),
    [("nodejs", "javascript"), ("js", "javascript"), ("ts", "typescript"), ("cpp", "cpp")],
)
def test_sandboxfusion_language_names_map_to_ours(name: str, ours: str) -> None:
    assert run_job(request(language=name), SETTINGS).language == ours


def test_memory_is_the_sandboxs_own_unless_a_smaller_limit_is_asked() -> None:
    assert run_job(request(memory_limit_MB=-1), SETTINGS).memory_mb == 512
    assert run_job(request(memory_limit_MB=1024), SETTINGS).memory_mb == 512
    assert run_job(request(memory_limit_MB=128), SETTINGS).memory_mb == 128


def test_files_are_decoded_and_unknown_fields_ignored() -> None:
    job = run_job(
        request(files={"a.bin": base64.b64encode(b"\x00\xff").decode(), "skip": None}, extra=1),
        SETTINGS,
    )
    assert job.files == {"a.bin": b"\x00\xff"}
    assert job.stdin == ""


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"language": "perl"}, ["'perl'", "supported"]),
        ({"compile_timeout": 31}, ["compile_timeout", "30"]),
        ({"run_timeout": 0}, ["run_timeout"]),
        ({"files": {"/etc/x": ""}}, ["/etc/x", "relative"]),
        ({"files": {"a/../../x": ""}}, ["a/../../x"]),
        ({"fetch_files": ["/proc/1/environ"]}, ["/proc/1/environ"]),
        ({"language": "go", "files": {"go.mod": ""}}, ["go.mod", "program's own"]),
    ],
)
def test_requests_the_sandbox_cannot_run_name_the_reason(fields: dict, words: list[str]) -> None:
    with pytest.raises(ValueError) as refused:
        run_job(request(**fields), SETTINGS)
    assert all(word in str(refused.value) for word in words), str(refused.value)


def step(**fields: object) -> StepOutcome:
    base: dict = {"timed_out": False, "exit_code": 0, "time_s": 0.5, "stdout": "", "stderr": ""}
    return StepOutcome(**{**base, **fields})


def test_a_build_that_ran_out_of_time_is_a_failed_time_limited_compile_without_a_run() -> None:
    outcome = RunOutcome(
        verdict=Verdict.COMPILE_ERROR,
        error_type="CompileTimeout",
        compile=step(timed_out=True, exit_code=None, stderr="cc1plus: ..."),
    )
    response = run_code_response(outcome)
    assert response["status"] == "Failed"
    assert response["compile_result"]["status"] == "TimeLimitExceeded"
    assert response["compile_result"]["return_code"] is None
    assert response["run_result"] is None


def test_a_run_ended_by_a_signal_fails_with_minus_the_signal() -> None:
    outcome = RunOutcome(verdict=Verdict.ERROR, error_type="SIGSEGV", run=step(exit_code=-11))
    response = run_code_response(outcome)
    assert (response["status"], response["run_result"]["return_code"]) == ("Failed", -11)
    assert response["run_result"]["status"] == "Finished"


def test_the_sandboxs_own_failure_is_a_sandbox_error_with_its_message() -> None:
    outcome = RunOutcome(verdict=Verdict.SANDBOX_ERROR, message="fork server exited")
    response = run_code_response(outcome)
    assert (response["status"], response["message"]) == ("SandboxError", "fork server exited")


def test_success_carries_the_fetched_files_in_base64() -> None:
    outcome = RunOutcome(verdict=Verdict.PASSED, run=step(stdout="ok\n"), files={"f": b"\x01"})
    response = run_code_response(outcome)
    assert (response["status"], response["message"]) == ("Success", "")
    assert response["files"] == {"f": base64.b64encode(b"\x01").decode()}


def test_credentials_come_from_bearer_or_basic_auth() -> None:
    assert credentials("Bearer abc") == ("", "abc")
    assert credentials("bearer  abc ") == ("", "abc")
    basic = base64.b64encode(b"verl:s3:cret").decode()
    assert credentials(f"Basic {basic}") == ("verl", "s3:cret")
    for value in (
        "",
        "Bearer",
        "Token abc",
        "Basic %%%",
        "Basic " + base64.b64encode(b"x").decode(),
    ):
        assert credentials(value) is None


def test_token_comparison_and_client_names() -> None:
    assert token_matches("abc", "abc")
    assert not token_matches("abd", "abc") and not token_matches("ab", "abc")
    assert client_name("trainer-1", "verl") == "trainer-1"
    assert client_name(None, "verl") == "verl"
    assert client_name("bad name with spaces", "") == "default"
