"""The persistent request cache: a completed chat completion is never paid for twice."""

from sqlalchemy import Engine
from sqlmodel import Session

from factory.db import session_scope
from factory.generation.requests import ChatRequest, Completion
from factory.models import LLMCacheEntry


def cached_completion(session: Session, request_sha256: str) -> Completion | None:
    entry = session.get(LLMCacheEntry, request_sha256)
    if entry is None:
        return None
    return Completion(
        text=_reply_text(entry.response),
        prompt_tokens=entry.prompt_tokens,
        completion_tokens=entry.completion_tokens,
        response=entry.response,
        cached=True,
        attempts=0,
    )


def store_completion(engine: Engine, request: ChatRequest, completion: Completion) -> None:
    """Commit at once, in its own transaction: tokens already paid for survive a later crash."""
    with session_scope(engine) as session:
        key = request.sha256()
        if session.get(LLMCacheEntry, key) is not None:
            return
        session.add(
            LLMCacheEntry(
                request_sha256=key,
                model=request.model,
                request=request.canonical(),
                response=completion.response,
                prompt_tokens=completion.prompt_tokens,
                completion_tokens=completion.completion_tokens,
            )
        )


def _reply_text(response: dict) -> str:
    choices = response.get("choices") or [{}]
    return (choices[0].get("message") or {}).get("content") or ""
