"""LLM-as-judge pre-scores through the stand-in: stored per dimension, cached, never guessed."""

import json

import pytest
from generation_builder import GEN_BATCH, add_humaneval_batch
from sqlalchemy import Engine
from sqlmodel import Session, select
from stand_ins.openai_server import StandInServer

from factory.generation.client import OpenAIChatClient, RetryPolicy
from factory.generation.judge import JudgeReplyError, parse_judge_reply, run_judge
from factory.generation.pipeline import run_generation
from factory.models import GenerationFailure, JudgeScore
from factory.settings import GenerationSettings

SCORES = {"correctness": 5, "security": 4, "readability": 3, "efficiency": 4, "style": 2}


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        ("no json here", "no JSON object"),
        ("{'correctness': 5}", "does not parse"),
        (json.dumps(SCORES | {"style": 6}), "outside 1-5"),
        (json.dumps(SCORES | {"security": "high"}), "not a whole number"),
        (json.dumps({k: v for k, v in SCORES.items() if k != "efficiency"}), "'efficiency'"),
    ],
)
def test_a_reply_without_five_valid_scores_is_refused(reply: str, error: str) -> None:
    with pytest.raises(JudgeReplyError, match=error):
        parse_judge_reply(reply)


def test_scores_are_read_from_json_inside_prose() -> None:
    reply = "Sure.\n" + json.dumps(SCORES | {"rationale": "clear but terse"}) + "\nThanks."

    assert parse_judge_reply(reply) == (SCORES, "clear but terse")


def test_the_judge_scores_every_candidate_once_and_reuses_the_cache(
    engine: Engine, llm_server: StandInServer
) -> None:
    add_humaneval_batch(engine, GEN_BATCH, [0])  # three demo replay candidates
    run_generation(engine=engine, batch_id=GEN_BATCH, settings=GenerationSettings(), client=None)
    llm_server.state.reply = lambda body: json.dumps(SCORES | {"rationale": "ok"})
    settings = GenerationSettings(judge_model="judge-1")
    client = OpenAIChatClient(
        base_url=llm_server.base_url, api_key="", timeout_s=2.0, policy=RetryPolicy(max_retries=0)
    )

    report = run_judge(engine=engine, batch_id=GEN_BATCH, settings=settings, client=client)
    rerun = run_judge(engine=engine, batch_id=GEN_BATCH, settings=settings, client=client)

    assert report.judged == rerun.judged == 3
    assert llm_server.request_count == 3
    assert all(body["temperature"] == 0.0 for body in llm_server.requests)
    with Session(engine) as session:
        scores = list(session.exec(select(JudgeScore)))
    assert len(scores) == 15
    assert {(s.dimension, s.score) for s in scores} == set(SCORES.items())


def test_an_unusable_judge_reply_is_a_failure_row(
    engine: Engine, llm_server: StandInServer
) -> None:
    add_humaneval_batch(engine, GEN_BATCH, [2])
    run_generation(engine=engine, batch_id=GEN_BATCH, settings=GenerationSettings(), client=None)
    llm_server.state.reply = lambda body: "Looks fine to me!"
    settings = GenerationSettings(judge_model="judge-1")
    client = OpenAIChatClient(base_url=llm_server.base_url, api_key="", timeout_s=2.0)

    report = run_judge(engine=engine, batch_id=GEN_BATCH, settings=settings, client=client)

    assert report.failures == 3 and report.judged == 0
    with Session(engine) as session:
        failures = list(session.exec(select(GenerationFailure)))
        assert session.exec(select(JudgeScore)).all() == []
    assert {f.error_type for f in failures} == {"judge_unparseable"}
    assert all("no JSON object" in f.error for f in failures)
