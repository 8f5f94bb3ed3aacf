"""Replay files: parsing and quarantining bad lines, and replaying them into a batch."""

import json
from pathlib import Path

import pytest
from generation_builder import GEN_BATCH, add_humaneval_batch
from sqlalchemy import Engine
from sqlmodel import Session, select

from factory.generation.pipeline import run_generation
from factory.generation.replay import read_replay
from factory.models import Candidate, QuarantinedRecord
from factory.settings import GenerationSettings

GOOD = {
    "prompt_external_id": "HumanEval/0",
    "model": "team-x",
    "code": "def has_close_elements(numbers, threshold):\n    return False\n",
    "provenance": "exported from team X's cluster",
}


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(
    ("line", "reason_code"),
    [
        ("{not json", "malformed_json"),
        ("[1, 2]", "malformed_json"),
        (json.dumps({k: v for k, v in GOOD.items() if k != "code"}), "missing_field"),
        (json.dumps(GOOD | {"provenance": "  "}), "missing_field"),
        (json.dumps(GOOD | {"model": 7}), "missing_field"),
        (json.dumps(GOOD | {"score": 1}), "unknown_field"),
        (json.dumps(GOOD | {"sample_index": -1}), "invalid_field"),
        (json.dumps(GOOD | {"sample_index": "2"}), "invalid_field"),
        (json.dumps(GOOD | {"model": "m" * 201}), "field_too_long"),
    ],
)
def test_a_bad_line_is_rejected_with_its_line_number_and_reason(
    tmp_path: Path, line: str, reason_code: str
) -> None:
    path = write_lines(tmp_path / "replay.jsonl", [json.dumps(GOOD), line])

    records, rejections = read_replay(path)

    assert len(records) == 1
    [rejection] = rejections
    assert rejection.line_no == 2
    assert rejection.error.code == reason_code
    assert "line 2" in rejection.error.reason
    assert rejection.raw_text == line


def test_sample_indexes_number_a_models_candidates_and_duplicates_are_rejected(
    tmp_path: Path,
) -> None:
    path = write_lines(
        tmp_path / "replay.jsonl",
        [json.dumps(GOOD), json.dumps(GOOD), json.dumps(GOOD | {"sample_index": 1})],
    )

    records, rejections = read_replay(path)

    assert [r.sample_index for r in records] == [0, 1]
    assert [(r.line_no, r.error.code) for r in rejections] == [(3, "duplicate_candidate")]


def test_the_demo_file_replays_into_the_sample_batch_and_says_what_it_did_not_cover(
    engine: Engine,
) -> None:
    add_humaneval_batch(engine, GEN_BATCH, [0, 2, 5])  # the demo file has no HumanEval/5

    report = run_generation(
        engine=engine, batch_id=GEN_BATCH, settings=GenerationSettings(), client=None
    )

    with Session(engine) as session:
        rows = list(session.exec(select(Candidate)))
    assert len(rows) == 6 and {r.source for r in rows} == {"replay"}
    assert all(r.provenance.startswith("hand-written for the factory demo; ") for r in rows)
    assert all(r.code == r.raw_reply and r.extraction == "replay" for r in rows)
    metadata = report.metadata()
    assert metadata["sources"]["bundled_demo_file"] is True
    assert metadata["prompts_without_candidates_sample"] == ["HumanEval/5"]
    assert metadata["replay_lines_used"] == 6
    assert metadata["replay_lines_for_other_batches"] > 40
    assert metadata["requests_sent"] == 0

    again = run_generation(
        engine=engine, batch_id=GEN_BATCH, settings=GenerationSettings(), client=None
    )
    assert again.candidates_unchanged == 6 and again.candidates_written == 0


def test_bad_replay_lines_are_quarantined_for_the_batch_and_replaced_on_rerun(
    engine: Engine, tmp_path: Path
) -> None:
    add_humaneval_batch(engine, GEN_BATCH, [0])
    path = write_lines(tmp_path / "replay.jsonl", [json.dumps(GOOD), "{oops"])
    settings = GenerationSettings(replay_file=str(path))

    run_generation(engine=engine, batch_id=GEN_BATCH, settings=settings, client=None)
    run_generation(engine=engine, batch_id=GEN_BATCH, settings=settings, client=None)

    with Session(engine) as session:
        quarantined = list(session.exec(select(QuarantinedRecord)))
        candidates = list(session.exec(select(Candidate)))
    assert [(q.stage, q.line_no, q.reason_code, q.raw_text) for q in quarantined] == [
        ("generation", 2, "malformed_json", "{oops")
    ]
    assert [c.model for c in candidates] == ["team-x"]
