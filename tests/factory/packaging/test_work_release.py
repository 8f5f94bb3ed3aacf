"""Configs of work beyond pairs: each loads with `datasets` in its trainer's shape, every row is
traced to its submission, annotator and prompt, rankings give their implied pairs (fewer on
aggregate ties, none the safety veto refuses), and simulated or unfinished work stays out."""

from pathlib import Path
from typing import Any

import datasets
import pytest
from release_builders import config, reviewed_batch
from sqlalchemy import Engine
from sqlmodel import Session, select
from work_builders import BUGGY, GOOD, LOOPED, REGRESSION, TESTS
from work_release_builders import (
    NOTES,
    SPAN,
    AnsweredWork,
    answered_work_batch,
    required,
)

from factory.errors import FactoryUserError
from factory.models import (
    Annotation,
    Prompt,
    ReasoningNote,
    Release,
    ReleaseItem,
    Reviewer,
    ReviewTask,
    Submission,
)
from factory.packaging.plan import plan_release
from factory.packaging.release import build_release
from factory.packaging.schemas import SCHEMAS, WORK_SCHEMAS
from factory.tasktypes.bug_fix import answer_markdown

ROWS = {
    "ranking_pairs": 6,  # four candidates: 4 * 3 / 2
    "ranking_listwise": 1,
    "code_review": 2,
    "code_review_reward": 2,
    "bug_fix_sft": 1,
    "bug_fix_pairs": 1,
    "authoring": 1,
    "reasoning": 2,  # the reasoning task, and the notes beside the bug fix
    "refactoring_steps": 1,
    "refactoring_sft": 1,
}


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))


def release_of(engine: Engine, work: AnsweredWork, out: Path, **packaging: Any) -> Release:
    return build_release(engine, [work.batch.batch_id], config(**packaging), out_root=out)


def load(release: Release, name: str, tmp_path: Path) -> list[dict[str, Any]]:
    """Every row of a config as `datasets` loads it from the release folder, with its split."""
    loaded = datasets.load_dataset(release.path, name, cache_dir=str(tmp_path / "cache"))
    assert list(loaded[next(iter(loaded))].column_names) == SCHEMAS[name].names
    return [row | {"split": split} for split in sorted(loaded) for row in loaded[split]]


def by_id(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in rows}


def test_every_config_loads_with_datasets_in_its_trainers_shape(sqlite_engine, tmp_path):
    work = answered_work_batch(sqlite_engine)
    release = release_of(sqlite_engine, work, tmp_path / "out")
    loaded = {name: load(release, name, tmp_path) for name in WORK_SCHEMAS}
    assert {name: len(rows) for name, rows in loaded.items()} == ROWS
    assert {name: release.counts[name] for name in WORK_SCHEMAS} == ROWS

    ids = work.candidates
    pairs = {
        (r["chosen_candidate_id"], r["rejected_candidate_id"]): r for r in loaded["ranking_pairs"]
    }
    order = [ids[name] for name in ("good", "looped", "buggy", "zero")]
    assert set(pairs) == {(a, b) for i, a in enumerate(order) for b in order[i + 1 :]}
    first_last = pairs[(ids["good"], ids["zero"])]
    assert first_last["margin"] == 3.0 and first_last["n_rankers"] == 1
    assert first_last["prompt"] == work.batch.prompts["ranking"].prompt
    assert first_last["chosen"] == f"```python\n{GOOD.rstrip()}\n```"
    assert first_last["chosen_correctness"] == 5.0 and first_last["rejected_correctness"] == 2.0
    (listwise,) = loaded["ranking_listwise"]
    assert listwise["candidate_ids"] == order and listwise["ranks"] == [1.0, 2.0, 3.0, 4.0]
    assert listwise["completions"][0] == first_last["chosen"] and listwise["strict"]
    assert listwise["scores"][0]["security"] == 5.0
    assert listwise["verdicts"] == ["passed", "passed", "failed", "failed"]

    reviews = sorted(loaded["code_review"], key=lambda r: r["clean"])
    assert [r["spans"] for r in reviews] == [[SPAN], []]
    assert {r["n_reviewers"] for r in reviews} == {2} and reviews[0]["code"] == LOOPED
    assert reviews[0]["code_source"] == "candidate"
    scored = sorted(loaded["code_review_reward"], key=lambda r: r["score"])
    assert [r["score"] for r in scored] == [0.875, 1.0]  # one low finding costs 1/8
    assert scored[0]["completion"] == f"```python\n{LOOPED.rstrip()}\n```"

    (fix,) = loaded["bug_fix_sft"]
    user, assistant = fix["messages"]
    assert (user["role"], assistant["role"]) == ("user", "assistant")
    assert BUGGY.rstrip() in user["content"] and "has a bug" in user["content"]
    payload = {k: fix[k] for k in ("root_cause", "how_found", "fixed_code", "regression_test")}
    assert assistant["content"] == answer_markdown(payload, language="python")
    assert fix["buggy_code"] == BUGGY and fix["regression_test"] == REGRESSION
    assert fix["checks"][0]["check"] == "regression test on the fix"
    (fix_pair,) = loaded["bug_fix_pairs"]
    assert fix_pair["chosen"] == f"```python\n{GOOD.rstrip()}\n```"
    assert fix_pair["rejected"] == f"```python\n{BUGGY.rstrip()}\n```"
    assert fix_pair["prompt"] == work.batch.prompts["bug_fix"].prompt

    (authored,) = loaded["authoring"]
    assert authored["messages"][0]["content"] == work.batch.prompts["authoring"].prompt
    assert authored["messages"][1]["content"] == f"```python\n{GOOD.rstrip()}\n```"
    assert authored["tests"] == TESTS and authored["prompt_had_tests"] is False
    assert authored["checks"][0]["verdict"] == "passed"

    (steps,) = loaded["refactoring_steps"]
    assert steps["labels"] == [False, True] and len(steps["completions"]) == 2
    assert steps["completions"][1].startswith("Step 2 (replace_algorithm): sum() of the whole")
    assert LOOPED.rstrip() in steps["prompt"]
    (refactored,) = loaded["refactoring_sft"]
    assert refactored["final_code"] == GOOD and refactored["steps_breaking_tests"] == 1
    assert refactored["messages"][1]["content"].endswith(f"```python\n{GOOD.rstrip()}\n```")
    assert [s["breaks_tests"] for s in refactored["steps"]] == [True, False]

    reasoning = {row["kind"]: row for row in loaded["reasoning"]}
    solved = reasoning["reasoning"]
    assert [n["text"] for n in solved["notes"]] == list(NOTES)
    assert [n["seconds_in"] for n in solved["notes"]] == [30.0, 60.0]
    answer = f"```python\n{LOOPED.rstrip()}\n```"
    assert solved["answer"] == answer and solved["approach"] == "direct"
    thought = f"<think>\n{NOTES[0]}\n\n{NOTES[1]}\n</think>\n\n{answer}"
    assert solved["messages"][1] == {"role": "assistant", "content": thought}
    beside_fix = reasoning["bug_fix"]
    assert beside_fix["answer"] == answer_markdown(payload)  # the kind's own answer text
    assert beside_fix["messages"][1]["content"].startswith("<think>\ntotal([5]) gives 0\n\n")


def test_every_row_traces_to_its_submission_annotator_and_prompt(engine, tmp_path):
    work = answered_work_batch(engine)
    release = release_of(engine, work, tmp_path / "out")
    with Session(engine) as session:
        items = session.exec(select(ReleaseItem).where(ReleaseItem.release_id == release.id)).all()
        for name in WORK_SCHEMAS:
            rows = by_id(load(release, name, tmp_path))
            mine = [item for item in items if item.config == name]
            assert sorted(i.row_key for i in mine) == sorted(rows), name
            for item in mine:
                row = rows[item.row_key]
                assert item.split == row["split"] and item.submission_id is not None
                submission = session.get(Submission, item.submission_id)
                task = session.get(ReviewTask, submission.task_id)
                author = session.get(Reviewer, submission.reviewer_id)
                assert item.prompt_id == task.prompt_id == row["prompt_id"]
                assert row["task_id"] == task.id and author.username in ("ann", "bob")
                named = row.get("submission_ids") or [row["submission_id"]]
                assert submission.id in named
                if "candidate_id" in row:
                    assert item.candidate_id == row["candidate_id"] == task.candidate_a_id
                if name == "ranking_pairs":
                    assert item.candidate_id == row["chosen_candidate_id"]
    assert sum(1 for i in items if i.submission_id is not None) == sum(ROWS.values())


def test_aggregate_ties_give_fewer_pairs(sqlite_engine, tmp_path):
    both = (("good", "looped", "buggy", "zero"), ("looped", "good", "buggy", "zero"))
    work = answered_work_batch(sqlite_engine, rankings=both)
    release = release_of(sqlite_engine, work, tmp_path / "out")
    ids = work.candidates
    pairs = {
        (r["chosen_candidate_id"], r["rejected_candidate_id"]): r
        for r in load(release, "ranking_pairs", tmp_path)
    }
    assert len(pairs) == 5  # good and looped tie at a mean rank of 1.5
    assert not {(ids["good"], ids["looped"]), (ids["looped"], ids["good"])} & set(pairs)
    good_buggy = pairs[(ids["good"], ids["buggy"])]
    assert good_buggy["margin"] == 1.5 and good_buggy["n_rankers"] == 2
    assert good_buggy["submission_ids"] == work.submissions["ranking"]
    assert "(4 ranked)\n\n" in good_buggy["rationale"]  # both rankers' rationales
    (listwise,) = load(release, "ranking_listwise", tmp_path)
    assert listwise["ranks"] == [1.5, 1.5, 3.0, 4.0] and not listwise["strict"]
    assert listwise["n_rankers"] == 2


def test_implied_pairs_are_vetoed_like_pairwise_ones(sqlite_engine, tmp_path):
    work = answered_work_batch(sqlite_engine, rankings=(("buggy", "good", "looped", "zero"),))
    release = release_of(sqlite_engine, work, tmp_path / "out")
    ids = work.candidates
    pairs = {
        (r["chosen_candidate_id"], r["rejected_candidate_id"])
        for r in load(release, "ranking_pairs", tmp_path)
    }
    # A failing candidate is never chosen over a passing one; over another failing one it is.
    assert (ids["buggy"], ids["good"]) not in pairs and (ids["buggy"], ids["zero"]) in pairs
    assert len(pairs) == 4
    assert release.qa_report["safety_vetoes"]["refused"] == {"chosen_failing": 2}


def test_simulated_submissions_are_refused_unless_allowed(sqlite_engine, tmp_path):
    work = answered_work_batch(sqlite_engine, simulated=True)
    out = tmp_path / "out"
    with pytest.raises(FactoryUserError) as error:
        release_of(sqlite_engine, work, out, allow_simulated=False)
    message = str(error.value)
    assert work.batch.batch_id in message and "simulated" in message
    assert "allow_simulated" in message
    assert not out.exists() or list(out.iterdir()) == []
    with Session(sqlite_engine) as session:
        assert session.exec(select(Release)).all() == []
    release = release_of(sqlite_engine, work, out, allow_simulated=True)
    assert release.qa_report["simulated"] is True
    assert "Simulated labels" in (Path(release.path) / "README.md").read_text()
    labels = {r["kind"]: r["simulated_labels"] for r in load(release, "reasoning", tmp_path)}
    assert labels == {"reasoning": True, "bug_fix": False}


def test_unfinished_tasks_and_contaminated_prompts_are_left_out(sqlite_engine, tmp_path):
    work = answered_work_batch(sqlite_engine)
    required(sqlite_engine, work.batch.tasks["ranking"].id or 0, 2)  # a slot still free
    with Session(sqlite_engine) as session:
        task = session.get(ReviewTask, work.batch.tasks["ranking"].id)
        task.status = "open"
        prompt = session.get(Prompt, work.batch.prompts["bug_fix"].id)
        prompt.contaminated = True
        session.add_all([task, prompt])
        session.commit()
    release = release_of(sqlite_engine, work, tmp_path / "out")
    folder = Path(release.path)
    for name in ("ranking_pairs", "ranking_listwise", "bug_fix_sft", "bug_fix_pairs"):
        assert not (folder / name).exists() and name not in release.counts
    kinds = {row["kind"] for row in load(release, "reasoning", tmp_path)}
    assert kinds == {"reasoning"}  # the bug fix's notes went with its prompt
    exclusions = release.qa_report["packaging_exclusions"]
    assert exclusions["work_not_complete"] == 1 and exclusions["contaminated_prompt"] == 1
    assert "tie" not in exclusions  # finished work is no unresolved pair
    card = (folder / "README.md").read_text()
    assert "config_name: ranking_pairs" not in card and "config_name: authoring" in card


def test_a_prompts_rows_share_one_split_across_configs(sqlite_engine, tmp_path):
    work = answered_work_batch(sqlite_engine)
    release = release_of(sqlite_engine, work, tmp_path / "out", test_fraction=0.5)
    splits: dict[int, set[str]] = {}
    for name in [*WORK_SCHEMAS, "rlvr", "sft"]:
        for row in load(release, name, tmp_path):
            splits.setdefault(row["prompt_id"], set()).add(row["split"])
    assert all(len(found) == 1 for found in splits.values())
    assert set().union(*splits.values()) == {"train", "test"}


def test_notes_beside_a_pairwise_review_are_released_as_its_reasoning(sqlite_engine, tmp_path):
    batch = reviewed_batch(sqlite_engine)
    alice = batch.reviewers["alice"]
    with Session(sqlite_engine) as session:
        review = session.exec(
            select(Annotation).where(
                Annotation.task_id == batch.adjudicated_task, Annotation.reviewer_id == alice
            )
        ).one()
        for n, text in enumerate(("A's loop misses nothing", "B is longer for no gain")):
            session.add(
                ReasoningNote(
                    claim_id=review.claim_id,
                    task_id=review.task_id,
                    reviewer_id=alice,
                    seconds_in=10.0 * (n + 1),
                    text=text,
                )
            )
        session.commit()
        annotation_id, rationale = review.id, review.rationale
    release = build_release(sqlite_engine, [batch.batch_id], config(), out_root=tmp_path / "out")
    (row,) = load(release, "reasoning", tmp_path)
    assert row["id"] == f"annotation-{annotation_id}" and row["kind"] == "pairwise"
    assert row["answer"] == f"Preference: A much better (-3).\n\n{rationale}"
    assert row["submission_id"] is None and row["annotation_id"] == annotation_id
    assert "Candidate A:" in row["request"] and "Candidate B:" in row["request"]
    with Session(sqlite_engine) as session:
        item = session.exec(
            select(ReleaseItem).where(
                ReleaseItem.release_id == release.id, ReleaseItem.config == "reasoning"
            )
        ).one()
    assert item.row_key == row["id"] and item.prompt_id == row["prompt_id"]


def test_the_card_describes_each_config_and_the_plan_counts_its_rows(sqlite_engine, tmp_path):
    work = answered_work_batch(sqlite_engine)
    release = release_of(sqlite_engine, work, tmp_path / "out")
    with Session(sqlite_engine) as session:
        plan = plan_release(session, [work.batch.batch_id], config())
    assert plan.config_counts == release.qa_report["packaged"]
    again = release_of(sqlite_engine, work, tmp_path / "out")
    assert again.id == release.id  # the same work plans the same files: no new version
    card = (Path(release.path) / "README.md").read_text()
    for name in WORK_SCHEMAS:
        assert f"config_name: {name}" in card and f"### `{name}`" in card
        section = card.split(f"### `{name}`")[1].split("###")[0]
        assert "Columns: `id` (string)" in section
        rows = release.qa_report["packaged"][name]
        assert all(f"`{split}`: 1 file(s), {n} row(s)" in section for split, n in rows.items())
    assert "`ranking_pairs` and `bug_fix_pairs` have the `prompt`" in card
    assert "stepwise-supervision format" in card and "<think>" in card


@pytest.mark.train
@pytest.mark.slow
def test_pair_configs_train_a_dpo_step_and_conversations_an_sft_step(sqlite_engine, tmp_path):
    from trl.data_utils import is_conversational
    from trl_builders import one_dpo_step, one_sft_step

    work = answered_work_batch(sqlite_engine)
    release = release_of(sqlite_engine, work, tmp_path / "out", test_fraction=0.0)

    def train_split(name: str) -> datasets.Dataset:
        rows = datasets.load_dataset(
            release.path, name, split="train", cache_dir=str(tmp_path / "cache")
        )
        return rows if rows.num_rows > 1 else datasets.concatenate_datasets([rows, rows])

    for name in ("ranking_pairs", "bug_fix_pairs"):
        train = train_split(name)
        assert not is_conversational(train[0])  # the standard format, as `dpo`
        one_dpo_step(train, tmp_path / f"trl-{name}")
    for name in ("bug_fix_sft", "authoring", "reasoning", "refactoring_sft"):
        train = train_split(name)
        assert all(is_conversational(row) for row in train), name
        one_sft_step(train, tmp_path / f"trl-{name}")
