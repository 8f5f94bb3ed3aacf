"""The chat client: the real `openai` client, with the factory's own retry policy around it.

The openai client's built-in retries are switched off (`max_retries=0`) so that one policy,
here, decides: retry rate limits (429), server errors (5xx), timeouts and connection errors
with bounded exponential backoff that honours Retry-After; never retry what a retry cannot fix
(400, 401, 404, a malformed reply).
"""

import email.utils
import time
from dataclasses import dataclass
from typing import Any, Protocol

import openai
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from factory.generation.requests import ChatRequest, Completion

RETRYABLE_STATUS_MIN = 500
MAX_RETRY_AFTER_S = 60.0


class GenerationError(RuntimeError):
    """A request that failed for good, after `attempts` tries; becomes a GenerationFailure row."""

    def __init__(self, error_type: str, message: str, *, attempts: int) -> None:
        self.error_type = error_type
        self.attempts = attempts
        super().__init__(message)


class ChatClient(Protocol):
    def complete(self, request: ChatRequest) -> Completion: ...


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_retries: int = 4  # retries after the first attempt
    initial_wait_s: float = 0.5
    max_wait_s: float = 20.0


def is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, openai.APITimeoutError | openai.APIConnectionError):
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code == 429 or exc.status_code >= RETRYABLE_STATUS_MIN
    return False


def retry_after_seconds(exc: BaseException | None) -> float | None:
    """The server's Retry-After (seconds or an HTTP date), if it sent one."""
    if not isinstance(exc, openai.APIStatusError):
        return None
    value = exc.response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class _WaitHonouringRetryAfter:
    """Exponential backoff with jitter, unless the server said how long to wait."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._backoff = wait_exponential_jitter(
            initial=policy.initial_wait_s, max=policy.max_wait_s
        )
        self._cap = max(policy.max_wait_s, MAX_RETRY_AFTER_S)

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        told = retry_after_seconds(exc)
        if told is not None:
            return min(told, self._cap)
        return self._backoff(state)


class OpenAIChatClient:
    """Chat completions from any OpenAI-compatible server (vLLM, SGLang, TGI, Ollama, hosted)."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        timeout_s: float,
        policy: RetryPolicy | None = None,
    ) -> None:
        # A local server needs no key, but the client insists on one.
        self._client = openai.OpenAI(
            base_url=base_url, api_key=api_key or "unused", timeout=timeout_s, max_retries=0
        )
        self.base_url = base_url
        self._policy = policy or RetryPolicy()

    def __repr__(self) -> str:  # never shows the key
        return f"OpenAIChatClient(base_url={self.base_url!r})"

    def complete(self, request: ChatRequest) -> Completion:
        retrying = Retrying(
            retry=retry_if_exception(is_retryable),
            stop=stop_after_attempt(self._policy.max_retries + 1),
            wait=_WaitHonouringRetryAfter(self._policy),
            reraise=True,
        )
        try:
            response = retrying(self._create, request)
        except openai.APIStatusError as exc:
            raise GenerationError(
                f"http_{exc.status_code}", _describe(exc), attempts=_attempts(retrying)
            ) from exc
        except openai.APITimeoutError as exc:
            raise GenerationError("timeout", _describe(exc), attempts=_attempts(retrying)) from exc
        except openai.APIConnectionError as exc:
            raise GenerationError(
                "connection_error", _describe(exc), attempts=_attempts(retrying)
            ) from exc
        except (openai.APIResponseValidationError, ValueError, TypeError) as exc:
            raise GenerationError(
                "malformed_response", _describe(exc), attempts=_attempts(retrying)
            ) from exc
        return _to_completion(response, attempts=_attempts(retrying))

    def _create(self, request: ChatRequest) -> dict[str, Any]:
        response = self._client.chat.completions.create(
            model=request.model,
            messages=request.api_messages(),  # type: ignore[arg-type]
            temperature=request.temperature,
            top_p=request.top_p,
            max_tokens=request.max_tokens,
            **request.extra,
        )
        if isinstance(response, str):  # a 200 whose body is not JSON
            raise ValueError(f"reply is not JSON: {response[:200]!r}")
        return response.model_dump(mode="json")


def _to_completion(response: dict[str, Any], *, attempts: int) -> Completion:
    choices = response.get("choices")
    if not choices or not isinstance(choices, list):
        raise GenerationError("malformed_response", "reply has no choices", attempts=attempts)
    message = choices[0].get("message") or {}
    usage = response.get("usage") or {}
    return Completion(
        text=message.get("content") or "",
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=int(usage.get("completion_tokens") or 0),
        response=response,
        attempts=attempts,
    )


def _attempts(retrying: Retrying) -> int:
    return int(retrying.statistics.get("attempt_number", 1))


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]
