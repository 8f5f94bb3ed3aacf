"""The `candidates` asset and its blocking gate, materialised for one batch partition."""

import hashlib
from pathlib import Path

import pytest
import yaml
from generation_builder import GEN_BATCH, add_humaneval_batch
from sqlalchemy import Engine
from sqlmodel import Session
from stage_runs import materialize_batch
from stand_ins.openai_server import running_stand_in

from assets.generation import candidates, candidates_gate
from factory.models import Candidate
from factory.vocab import CandidateSource
from resources.llm import LLMResource


def run_candidates(engine: Engine, tmp_path: Path, config: dict):  # type: ignore[no-untyped-def]
    config_path = tmp_path / "factory.yaml"
    config_path.write_text(yaml.safe_dump(config))
    return materialize_batch(
        [candidates, candidates_gate], engine, GEN_BATCH, config_path=config_path, llm=LLMResource()
    )


def materialization_metadata(result) -> dict:  # type: ignore[no-untyped-def]
    [event] = result.get_asset_materialization_events()
    return {k: v.value for k, v in event.materialization.metadata.items()}


def gate_evaluation(result):  # type: ignore[no-untyped-def]
    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.check_name == "candidates_gate"
    return evaluation


def test_the_demo_batch_gets_replayed_candidates_and_passes_the_gate(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    add_humaneval_batch(sqlite_engine, GEN_BATCH, [0, 2, 13, 5])

    result = run_candidates(sqlite_engine, tmp_path, {})

    metadata = materialization_metadata(result)
    assert metadata["candidates_written"] == 3 + 3 + 4
    assert metadata["prompts_without_candidates"] == 1  # HumanEval/5 is not in the demo file
    assert metadata["sources"]["bundled_demo_file"] is True
    evaluation = gate_evaluation(result)
    assert evaluation.passed
    assert evaluation.metadata["rows"].value == 10


def test_too_few_candidates_per_prompt_fails_the_blocking_gate(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    add_humaneval_batch(sqlite_engine, GEN_BATCH, [0, 13])

    result = run_candidates(
        sqlite_engine, tmp_path, {"generation": {"min_candidates_per_prompt": 4}}
    )

    evaluation = gate_evaluation(result)
    assert not evaluation.passed
    failed = evaluation.metadata["failed_expectations"].value
    assert failed == ["expect_column_values_to_be_between(candidates_for_prompt)"]


@pytest.mark.parametrize("reply", ["no code at all", "```python\n\n```"])
def test_replies_without_code_fail_the_extraction_rate(
    sqlite_engine: Engine, tmp_path: Path, reply: str
) -> None:
    add_humaneval_batch(sqlite_engine, GEN_BATCH, [0, 2])
    with running_stand_in(reply=lambda body: reply) as server:
        config = {"generation": {"base_url": server.base_url, "models": ["coder"]}}
        result = run_candidates(sqlite_engine, tmp_path, config)

    evaluation = gate_evaluation(result)
    assert not evaluation.passed
    assert "expect_column_values_to_be_in_set(extracted)" in (
        evaluation.metadata["failed_expectations"].value
    )


def test_a_rerun_through_the_server_spends_no_tokens(sqlite_engine: Engine, tmp_path: Path) -> None:
    add_humaneval_batch(sqlite_engine, GEN_BATCH, [0, 2])
    with running_stand_in() as server:
        config = {
            "generation": {
                "base_url": server.base_url,
                "models": ["coder"],
                "prices": {"coder": {"input": 3.0, "output": 15.0}},
            }
        }
        first = materialization_metadata(run_candidates(sqlite_engine, tmp_path, config))
        second = materialization_metadata(run_candidates(sqlite_engine, tmp_path, config))
        requests = server.request_count

    assert requests == 4
    assert first["requests_sent"] == 4 and first["cost_usd"] > 0
    assert second["requests_sent"] == 0 and second["cost_usd"] == 0
    assert second["usage_by_model"]["coder"]["cache_hits"] == 4


def test_a_rerun_after_grading_passes_the_gate(sqlite_engine: Engine, tmp_path: Path) -> None:
    """Grading stores each reference solution as a candidate; it is not generation's output, so
    a prompt no source covers (HumanEval/5) must not look like one with too few candidates."""
    prompts = add_humaneval_batch(sqlite_engine, GEN_BATCH, [0, 5])
    assert gate_evaluation(run_candidates(sqlite_engine, tmp_path, {})).passed
    with Session(sqlite_engine) as session:
        for prompt in prompts:
            session.add(
                Candidate(
                    prompt_id=prompt.id,
                    batch_id=GEN_BATCH,
                    source=CandidateSource.REFERENCE,
                    code=prompt.reference_solution,
                    code_sha256=hashlib.sha256(prompt.reference_solution.encode()).hexdigest(),
                    extraction="replay",
                )
            )
        session.commit()

    rerun = run_candidates(sqlite_engine, tmp_path, {})

    assert materialization_metadata(rerun)["candidates_written"] == 0
    assert gate_evaluation(rerun).passed
