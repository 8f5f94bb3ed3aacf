"""Generating a batch through the stand-in: candidates, cache, failure rows, cost metadata."""

import pytest
from generation_builder import GEN_BATCH as BATCH
from sqlalchemy import Engine
from sqlmodel import Session, select
from stand_ins.openai_server import BAD_REQUEST, SERVER_ERROR, StandInServer

from factory.errors import ConfigError
from factory.generation.client import OpenAIChatClient, RetryPolicy
from factory.generation.pipeline import run_generation, sources_for
from factory.generation.replay import demo_replay_path
from factory.models import Candidate, GenerationFailure, LLMCacheEntry, Prompt
from factory.settings import GenerationSettings

PRICES = {"coder-a": {"input": 1.0, "output": 2.0}}


def settings_for(server: StandInServer, **overrides: object) -> GenerationSettings:
    values = {
        "base_url": server.base_url,
        "models": ["coder-a", "coder-b"],
        "candidates_per_prompt": 2,
        "concurrency": 3,
        "timeout_s": 2.0,
        "max_retries": 1,
        "prices": PRICES,
    } | overrides
    return GenerationSettings(**values)


def client_for(server: StandInServer, settings: GenerationSettings) -> OpenAIChatClient:
    return OpenAIChatClient(
        base_url=server.base_url,
        api_key="",
        timeout_s=settings.timeout_s,
        policy=RetryPolicy(max_retries=settings.max_retries, initial_wait_s=0.01, max_wait_s=0.02),
    )


def candidates_of(engine: Engine) -> list[Candidate]:
    with Session(engine) as session:
        return list(session.exec(select(Candidate).order_by(Candidate.id)))


def test_each_prompt_gets_n_candidates_per_model_with_code_and_usage(
    engine: Engine, three_prompts: list[Prompt], llm_server: StandInServer
) -> None:
    settings = settings_for(llm_server)

    report = run_generation(
        engine=engine, batch_id=BATCH, settings=settings, client=client_for(llm_server, settings)
    )

    rows = candidates_of(engine)
    assert len(rows) == 3 * 2 * 2 == llm_server.request_count
    assert {(r.model, r.sample_index) for r in rows} == {
        (m, i) for m in ("coder-a", "coder-b") for i in (0, 1)
    }
    assert all(r.extraction == "fenced" and r.code.startswith("def solve") for r in rows)
    assert all("```python" in r.raw_reply and r.request_sha256 for r in rows)
    usage = report.metadata()["usage_by_model"]
    sent_a = [r for r in rows if r.model == "coder-a"]
    assert usage["coder-a"]["prompt_tokens"] == sum(r.prompt_tokens for r in sent_a) > 0
    expected_cost = sum(r.prompt_tokens * 1.0 + r.completion_tokens * 2.0 for r in sent_a) / 1e6
    assert usage["coder-a"]["cost_usd"] == pytest.approx(expected_cost)
    assert usage["coder-b"]["cost_usd"] == 0.0 and usage["coder-b"]["priced"] is False
    assert report.metadata()["requests_sent"] == 12


def test_a_second_run_is_served_from_the_cache_and_sends_zero_requests(
    engine: Engine, three_prompts: list[Prompt], llm_server: StandInServer
) -> None:
    settings = settings_for(llm_server)
    client = client_for(llm_server, settings)
    run_generation(engine=engine, batch_id=BATCH, settings=settings, client=client)
    first = {(r.prompt_id, r.model, r.sample_index): r.code for r in candidates_of(engine)}
    sent = llm_server.request_count

    report = run_generation(engine=engine, batch_id=BATCH, settings=settings, client=client)

    assert llm_server.request_count == sent  # not one more request
    metadata = report.metadata()
    assert metadata["requests_sent"] == 0 and metadata["cost_usd"] == 0.0
    assert metadata["usage_by_model"]["coder-a"]["cache_hits"] == 6
    assert metadata["candidates_unchanged"] == 12 and metadata["candidates_written"] == 0
    again = {(r.prompt_id, r.model, r.sample_index): r.code for r in candidates_of(engine)}
    assert again == first


def test_a_new_batch_repeating_a_prompt_spends_no_tokens_on_it(
    engine: Engine, three_prompts: list[Prompt], llm_server: StandInServer
) -> None:
    from generation_builder import add_humaneval_batch

    settings = settings_for(llm_server, models=["coder-a"], candidates_per_prompt=1)
    client = client_for(llm_server, settings)
    run_generation(engine=engine, batch_id=BATCH, settings=settings, client=client)
    add_humaneval_batch(engine, "batch-later", [2, 7])  # HumanEval/2 again, HumanEval/7 new
    sent = llm_server.request_count

    run_generation(engine=engine, batch_id="batch-later", settings=settings, client=client)

    assert llm_server.request_count == sent + 1  # only HumanEval/7


def test_a_changed_sampling_setting_is_a_new_request(
    engine: Engine, three_prompts: list[Prompt], llm_server: StandInServer
) -> None:
    settings = settings_for(llm_server, models=["coder-a"], candidates_per_prompt=1)
    run_generation(
        engine=engine, batch_id=BATCH, settings=settings, client=client_for(llm_server, settings)
    )
    hotter = settings.model_copy(update={"temperature": 1.2})

    run_generation(
        engine=engine, batch_id=BATCH, settings=hotter, client=client_for(llm_server, hotter)
    )

    assert llm_server.request_count == 6
    with Session(engine) as session:
        assert len(session.exec(select(LLMCacheEntry)).all()) == 6


def test_a_request_that_finally_fails_is_a_failure_row_not_an_empty_candidate(
    engine: Engine, three_prompts: list[Prompt], llm_server: StandInServer
) -> None:
    settings = settings_for(llm_server, models=["coder-a"], candidates_per_prompt=1, concurrency=1)
    llm_server.script(SERVER_ERROR, SERVER_ERROR, BAD_REQUEST)  # prompt 1: 2 tries; prompt 2: 1

    report = run_generation(
        engine=engine, batch_id=BATCH, settings=settings, client=client_for(llm_server, settings)
    )

    with Session(engine) as session:
        failures = list(session.exec(select(GenerationFailure).order_by(GenerationFailure.id)))
    assert sorted((f.error_type, f.attempts) for f in failures) == [
        ("http_400", 1),
        ("http_500", 2),
    ]
    assert all(f.request_sha256 and f.model == "coder-a" and f.error for f in failures)
    assert len(candidates_of(engine)) == 1
    assert report.metadata()["failures_by_type"] == {"http_500": 1, "http_400": 1}
    assert len(report.prompts_without_candidates) == 2

    # The rerun asks again only for what failed, and replaces the failure rows.
    run_generation(
        engine=engine, batch_id=BATCH, settings=settings, client=client_for(llm_server, settings)
    )
    with Session(engine) as session:
        assert session.exec(select(GenerationFailure)).all() == []
    assert len(candidates_of(engine)) == 3
    assert llm_server.request_count == 4 + 2  # 2 + 1 + 1 the first time, then the 2 failed


def test_a_reply_without_code_is_kept_raw_with_extraction_none(
    engine: Engine, three_prompts: list[Prompt], llm_server: StandInServer
) -> None:
    llm_server.state.reply = lambda body: "I would rather not write code today."
    settings = settings_for(llm_server, models=["coder-a"], candidates_per_prompt=1)

    report = run_generation(
        engine=engine, batch_id=BATCH, settings=settings, client=client_for(llm_server, settings)
    )

    rows = candidates_of(engine)
    assert [(r.extraction, r.code) for r in rows] == [("none", "")] * 3
    assert all(r.raw_reply == "I would rather not write code today." for r in rows)
    assert report.metadata()["extraction"] == {"none": 3}


def test_the_demo_replay_file_is_the_default_source() -> None:
    sources = sources_for(GenerationSettings())

    assert sources.demo and not sources.generate
    assert sources.replay_path == demo_replay_path() and sources.replay_path.is_file()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"base_url": "http://127.0.0.1:1/v1"}, "models is empty"),
        ({"models": ["m"]}, "base_url is empty"),
        ({"replay_file": "/nonexistent/replay.jsonl"}, "does not exist"),
    ],
)
def test_inconsistent_settings_are_config_errors(values: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        sources_for(GenerationSettings(**values))
