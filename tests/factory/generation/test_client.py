"""The real openai client against the local stand-in: retries only what a retry can fix."""

import time

import pytest
from stand_ins.openai_server import (
    BAD_REQUEST,
    HANG,
    MALFORMED,
    OK,
    RATE_LIMITED,
    SERVER_ERROR,
    StandInServer,
)

from factory.generation.client import GenerationError, OpenAIChatClient, RetryPolicy
from factory.generation.requests import ChatMessage, ChatRequest

REQUEST = ChatRequest(
    model="stand-in-coder",
    messages=(ChatMessage("system", "be brief"), ChatMessage("user", "write add(a, b)")),
    temperature=0.2,
    top_p=0.9,
    max_tokens=64,
)
FAST = RetryPolicy(max_retries=2, initial_wait_s=0.01, max_wait_s=0.05)


def make_client(server: StandInServer, *, timeout_s: float = 0.3) -> OpenAIChatClient:
    return OpenAIChatClient(
        base_url=server.base_url, api_key="sk-test-secret", timeout_s=timeout_s, policy=FAST
    )


def test_a_normal_reply_carries_text_usage_and_the_sampling_settings(
    llm_server: StandInServer,
) -> None:
    completion = make_client(llm_server).complete(REQUEST)

    assert "```python" in completion.text
    assert completion.prompt_tokens == 5  # words in the two messages, as the stand-in counts
    assert completion.completion_tokens == len(completion.text.split())
    assert completion.attempts == 1 and not completion.cached
    sent = llm_server.requests[0]
    assert sent["model"] == "stand-in-coder"
    assert (sent["temperature"], sent["top_p"], sent["max_tokens"]) == (0.2, 0.9, 64)


@pytest.mark.parametrize(
    ("script", "expected_requests"),
    [
        ((RATE_LIMITED, OK), 2),
        ((SERVER_ERROR, OK), 2),
        ((RATE_LIMITED, SERVER_ERROR, OK), 3),
        ((HANG, OK), 2),
    ],
)
def test_rate_limits_server_errors_and_timeouts_are_retried(
    llm_server: StandInServer, script: tuple[str, ...], expected_requests: int
) -> None:
    llm_server.script(*script)

    completion = make_client(llm_server).complete(REQUEST)

    assert llm_server.request_count == expected_requests
    assert completion.attempts == expected_requests
    assert completion.text


@pytest.mark.parametrize(
    ("script", "error_type", "expected_requests"),
    [
        ((SERVER_ERROR,) * 5, "http_500", 3),  # 1 try + max_retries=2, then it gives up
        ((RATE_LIMITED,) * 5, "http_429", 3),
        ((HANG,) * 5, "timeout", 3),
        ((BAD_REQUEST,), "http_400", 1),  # never retried: the same request fails the same way
        ((MALFORMED,), "malformed_response", 1),
    ],
)
def test_a_request_that_finally_fails_raises_a_typed_error_with_its_attempts(
    llm_server: StandInServer, script: tuple[str, ...], error_type: str, expected_requests: int
) -> None:
    llm_server.script(*script)

    with pytest.raises(GenerationError) as caught:
        make_client(llm_server).complete(REQUEST)

    assert caught.value.error_type == error_type
    assert caught.value.attempts == expected_requests
    assert llm_server.request_count == expected_requests
    assert "sk-test-secret" not in str(caught.value)


def test_retry_after_from_the_server_sets_the_wait(llm_server: StandInServer) -> None:
    llm_server.state.retry_after_s = 0.6  # far above FAST's 0.05 s backoff cap
    llm_server.script(RATE_LIMITED, OK)

    started = time.monotonic()
    make_client(llm_server).complete(REQUEST)

    assert time.monotonic() - started >= 0.6
    assert llm_server.request_count == 2


def test_an_unreachable_server_is_a_connection_error() -> None:
    client = OpenAIChatClient(
        base_url="http://127.0.0.1:9/v1", api_key="", timeout_s=0.5, policy=FAST
    )

    with pytest.raises(GenerationError) as caught:
        client.complete(REQUEST)

    assert caught.value.error_type == "connection_error"
    assert caught.value.attempts == 3


def test_the_client_repr_never_shows_the_key(llm_server: StandInServer) -> None:
    assert "sk-test-secret" not in repr(make_client(llm_server))
