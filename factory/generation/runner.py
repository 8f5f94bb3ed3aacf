"""Answer many chat requests: from the cache first, the rest concurrently through the client."""

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session

from factory.generation.cache import cached_completion, store_completion
from factory.generation.client import ChatClient, GenerationError
from factory.generation.costs import CostLedger
from factory.generation.requests import ChatRequest, Completion


@dataclass(frozen=True, slots=True)
class Answer:
    request: ChatRequest
    completion: Completion | None = None
    error: GenerationError | None = None


def answer_all(
    *,
    engine: Engine,
    client: ChatClient | None,
    requests: Sequence[ChatRequest],
    concurrency: int,
    ledger: CostLedger,
) -> list[Answer]:
    """One answer per request, in the order given; failures are answers too, never dropped."""
    answers: dict[str, Answer] = {}
    pending: dict[str, ChatRequest] = {}
    with Session(engine) as session:
        for request in requests:
            key = request.sha256()
            if key in answers or key in pending:
                continue
            completion = cached_completion(session, key)
            if completion is not None:
                answers[key] = Answer(request, completion=completion)
            else:
                pending[key] = request
    for answer in answers.values():
        if answer.completion is not None:
            ledger.record(answer.request.model, answer.completion)
    if pending and client is None:
        raise GenerationError(
            "no_server",
            f"{len(pending)} requests are not cached and no base_url is configured",
            attempts=0,
        )
    if pending:
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            futures = {
                pool.submit(client.complete, request): key  # type: ignore[union-attr]
                for key, request in pending.items()
            }
            for future in as_completed(futures):
                key = futures[future]
                request = pending[key]
                try:
                    completion = future.result()
                except GenerationError as exc:
                    ledger.record_failure(request.model, attempts=exc.attempts)
                    answers[key] = Answer(request, error=exc)
                    continue
                store_completion(engine, request, completion)
                ledger.record(request.model, completion)
                answers[key] = Answer(request, completion=completion)
    return [answers[request.sha256()] for request in requests]
