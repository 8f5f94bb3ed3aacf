"""Optional LLM-as-judge pre-scores: 1-5 on each review dimension, stored as hints, never labels.

Runs only when `generation.judge_model` is set, through the same cached, retried client. A reply
that is not a JSON object with a 1-5 integer for every dimension becomes a GenerationFailure
(error type "judge_unparseable"), never a guessed score.
"""

import json
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, delete
from sqlmodel import Session, col

from factory.db import session_scope
from factory.generation.client import ChatClient
from factory.generation.costs import CostLedger
from factory.generation.pipeline import has_code
from factory.generation.requests import ChatMessage, ChatRequest
from factory.generation.runner import answer_all
from factory.generation.templates import JUDGE_TEMPLATE, render
from factory.models import Candidate, GenerationFailure, JudgeScore, Prompt
from factory.models.queries import batch_candidates
from factory.settings import GenerationSettings
from factory.vocab import DIMENSIONS, SCORE_MAX, SCORE_MIN

JUDGE_FAILURE_PREFIX = "judge_"
_JSON_OBJECT = re.compile(r"\{.*\}", re.S)


class JudgeReplyError(ValueError):
    pass


@dataclass(slots=True)
class JudgeReport:
    judged: int = 0
    failures: int = 0
    ledger: CostLedger = field(default_factory=lambda: CostLedger(prices={}))

    def metadata(self) -> dict[str, Any]:
        return {
            "judged_candidates": self.judged,
            "judge_failures": self.failures,
            "judge_usage": self.ledger.as_dict(),
        }


def judge_request(prompt: Prompt, candidate: Candidate, model: str, max_tokens: int) -> ChatRequest:
    text = render(
        JUDGE_TEMPLATE, language=prompt.language, prompt=prompt.prompt, code=candidate.code
    )
    return ChatRequest(
        model=model,
        messages=(ChatMessage("user", text),),
        temperature=0.0,  # a judge should be as repeatable as the server allows
        top_p=1.0,
        max_tokens=max_tokens,
    )


def parse_judge_reply(text: str) -> tuple[dict[str, int], str]:
    """Scores per dimension and the rationale; raises JudgeReplyError saying what is wrong."""
    match = _JSON_OBJECT.search(text)
    if match is None:
        raise JudgeReplyError("the reply contains no JSON object")
    try:
        data = json.loads(match.group(0))
    except json.JSONDecodeError as exc:
        raise JudgeReplyError(f"the reply's JSON object does not parse: {exc}") from exc
    scores = {}
    for dimension in DIMENSIONS:
        value = data.get(dimension.value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise JudgeReplyError(f"{dimension.value!r} is missing or not a whole number")
        if not SCORE_MIN <= value <= SCORE_MAX:
            raise JudgeReplyError(
                f"{dimension.value!r} = {value} is outside {SCORE_MIN}-{SCORE_MAX}"
            )
        scores[dimension.value] = value
    return scores, str(data.get("rationale", ""))[:2000]


def run_judge(
    *, engine: Engine, batch_id: str, settings: GenerationSettings, client: ChatClient
) -> JudgeReport:
    model = settings.judge_model
    report = JudgeReport(ledger=CostLedger(prices=settings.prices))
    with Session(engine) as session:
        rows = batch_candidates(session, batch_id)
    pairs = [(candidate, prompt) for candidate, prompt in rows if has_code(candidate)]
    requests = [judge_request(p, c, model, settings.max_tokens) for c, p in pairs]
    answers = answer_all(
        engine=engine,
        client=client,
        requests=requests,
        concurrency=settings.concurrency,
        ledger=report.ledger,
    )
    with session_scope(engine) as session:
        candidate_ids = [candidate.id for candidate, _ in pairs]
        session.exec(
            delete(JudgeScore).where(
                col(JudgeScore.candidate_id).in_(candidate_ids),
                col(JudgeScore.judge_model) == model,
            )
        )
        session.exec(
            delete(GenerationFailure).where(
                col(GenerationFailure.batch_id) == batch_id,
                col(GenerationFailure.model) == model,
                col(GenerationFailure.error_type).startswith(JUDGE_FAILURE_PREFIX),
            )
        )
        for (candidate, prompt), answer in zip(pairs, answers, strict=True):
            try:
                if answer.completion is None:
                    raise JudgeReplyError(str(answer.error))
                scores, rationale = parse_judge_reply(answer.completion.text)
            except JudgeReplyError as exc:
                kind = answer.error.error_type if answer.error else "unparseable"
                session.add(
                    GenerationFailure(
                        prompt_id=prompt.id,  # type: ignore[arg-type]
                        batch_id=batch_id,
                        model=model,
                        request_sha256=answer.request.sha256(),
                        attempts=answer.error.attempts if answer.error else 1,
                        error_type=f"{JUDGE_FAILURE_PREFIX}{kind}",
                        error=f"judging candidate {candidate.id}: {exc}",
                    )
                )
                report.failures += 1
                continue
            for dimension, score in scores.items():
                session.add(
                    JudgeScore(
                        candidate_id=candidate.id,  # type: ignore[arg-type]
                        judge_model=model,
                        dimension=dimension,
                        score=score,
                        rationale=rationale,
                    )
                )
            report.judged += 1
    return report
