"""The `agreement` asset: its metadata tables, a gate that passes agreeing reviewers and blocks
disagreeing or noisy ones (naming the offending cells), and its place in the Definitions.

Kappa and alpha equal scikit-learn / krippendorff on the same data: that is tested once, on the
report the asset publishes, in tests/factory/agreement/test_report.py.
"""

from pathlib import Path

from dagster import AssetKey, asset
from review_builders import build_batch, enqueue
from review_data_builder import add_annotation, add_reviewer, add_task
from sqlalchemy import Engine
from sqlmodel import Session
from stage_runs import materialize_batch

from assets.agreement import agreement, agreement_gate
from assets.partitions import batch_partitions
from factory.models import PreferencePair, Prompt
from factory.review.simulate import simulate_reviews
from factory.settings import ReviewSettings

PREFERENCES = [-3, -2, -1, 1, 2, 3, -2, 2]


@asset(deps=["agreement"], partitions_def=batch_partitions, group_name="post_review")
def downstream() -> None:
    """Stands in for packaging: must not run when the gate fails."""


def run(engine: Engine, batch_id: str, tmp_path: Path, gate_on: str = "point"):  # type: ignore[no-untyped-def]
    # Fewer bootstrap samples than the default keep the test quick; the figures are the same.
    config = tmp_path / "factory.yaml"
    config.write_text(f"agreement:\n  bootstrap_samples: 100\n  gate_on: {gate_on}\n")
    return materialize_batch(
        [agreement, agreement_gate, downstream], engine, batch_id, config_path=config
    )


def reviewed_batch(engine: Engine, *, agree: bool) -> tuple[str, int, int]:
    """Eight doubly reviewed tasks and three gold tasks; with `agree` False the second
    reviewer reverses every preference and score and misses every gold answer. Plus one task
    only the second reviewer saw, resolved on that review alone."""
    batch = build_batch(engine, prompts=len(PREFERENCES) + 1)
    with Session(engine) as session:
        ann, bob = add_reviewer(session, "ann"), add_reviewer(session, "bob")
        prompts = [session.get(Prompt, p.id) for p in batch.prompts]
        for i, (prompt, preference) in enumerate(zip(prompts, PREFERENCES, strict=False)):
            a, b, _ = batch.candidates[prompt.id]
            task = add_task(session, prompt, a, b, required_reviews=2)
            scores = (i % 5 + 1, (i + 2) % 5 + 1)
            add_annotation(session, task, ann, preference, scores=scores)
            second = (preference, scores) if agree else (-preference, scores[::-1])
            add_annotation(session, task, bob, second[0], scores=second[1])
        for prompt in prompts[:3]:
            a, _, broken = batch.candidates[prompt.id]
            gold = add_task(session, prompt, a, broken, is_gold=True, gold_preference=-3)
            add_annotation(session, gold, ann, -3)
            add_annotation(session, gold, bob, -3 if agree else 2)
        last = prompts[-1]
        a, b, _ = batch.candidates[last.id]
        alone = add_task(session, last, a, b)
        add_annotation(session, alone, bob, 2)
        session.add(
            PreferencePair(
                task_id=alone.id,
                prompt_id=last.id,
                chosen_candidate_id=b.id,
                rejected_candidate_id=a.id,
                strength=2.0,
                label_source="annotations",
            )
        )
        session.commit()
        return batch.batch_id, bob.id, alone.id


def test_agreeing_reviewers_pass_and_the_tables_show_every_cell(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    batch_id, _, _ = reviewed_batch(sqlite_engine, agree=True)
    result = run(sqlite_engine, batch_id, tmp_path)
    assert result.success
    (materialization,) = result.asset_materializations_for_node("agreement")
    metadata = {key: value.value for key, value in materialization.metadata.items()}
    assert metadata["passed"] is True
    assert metadata["failing_cells"] == [] and metadata["flagged_reviewers"] == []
    cells = metadata["cells"]
    # Both reviewers agree exactly on 8 + 3 gold items: kappa 1 with a degenerate interval.
    assert (
        "| preference_kappa | * | * | preference | 11 | 1.000 | [1.000, 1.000] | estimate | yes |"
        in cells
    )
    assert "| dimension_alpha | python | code_generation | security | 16 | 1.000 |" in cells
    assert "| 1 | 3 | 3 | 1.00 | no |" in metadata["gold_accuracy"]
    assert metadata["cells_gated"] == metadata["cells_total"] == 3 * 6
    (check,) = result.get_asset_check_evaluations()
    assert check.check_name == "agreement_gate" and check.passed
    assert result.asset_materializations_for_node("downstream")


def test_disagreeing_reviewers_fail_the_gate_and_block_downstream(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    batch_id, bob_id, alone_id = reviewed_batch(sqlite_engine, agree=False)
    result = run(sqlite_engine, batch_id, tmp_path)
    assert not result.success
    (materialization,) = result.asset_materializations_for_node("agreement")
    metadata = {key: value.value for key, value in materialization.metadata.items()}
    assert metadata["passed"] is False
    assert "preference_kappa[*/*/preference]" in metadata["failing_cells"]
    assert "dimension_alpha[python/*/correctness]" in metadata["failing_cells"]
    assert metadata["flagged_reviewers"] == [bob_id]
    assert metadata["unverified_task_ids"] == [alone_id]  # rests on the flagged reviewer alone
    assert f"| {bob_id} | 3 | 0 | 0.00 | **yes** |" in metadata["gold_accuracy"]
    (check,) = result.get_asset_check_evaluations()
    assert check.check_name == "agreement_gate" and not check.passed
    gate = {key: value.value for key, value in check.metadata.items()}
    offending = gate["expect_column_values_to_be_null(offending)"]
    assert offending["unexpected_count"] == 18 + 1  # every cell, and the flagged reviewer
    assert offending["partial_unexpected"][0].startswith("preference_kappa[*/*/preference] = -")
    assert gate["expect_column_values_to_be_between(gold_accuracy)"]["partial_unexpected"] == [0.0]
    assert not result.asset_materializations_for_node("downstream")


def test_simulated_reviewers_agree_the_way_a_consistent_panel_would(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    """Simulated reviewers share each candidate's evidence and hidden quality, with a little
    noise of their own: their figures clear the default thresholds, so the demo's gate passes."""
    batch = build_batch(sqlite_engine, prompts=8)
    review = {"pair_strategy": "mixed", "overlap_fraction": 1.0, "gold_rate": 0.2}
    enqueue(sqlite_engine, batch.batch_id, **review)
    simulate_reviews(sqlite_engine, batch.batch_id, reviewers=3, settings=ReviewSettings(**review))
    result = run(sqlite_engine, batch.batch_id, tmp_path)
    (materialization,) = result.asset_materializations_for_node("agreement")
    assert materialization.metadata["failing_cells"].value == []
    (check,) = result.get_asset_check_evaluations()
    assert check.passed
    assert result.asset_materializations_for_node("downstream")


def test_definitions_place_agreement_after_review_with_a_blocking_gate() -> None:
    from definitions import defs

    graph = defs.resolve_asset_graph()
    node = graph.get(AssetKey("agreement"))
    assert AssetKey("review_tasks") in node.parent_keys
    assert node.group_name == "post_review"
    checks = {key for key in graph.asset_check_keys if key.asset_key == node.key}
    assert {key.name for key in checks} == {"agreement_gate"}
    assert all(graph.get_check_spec(key).blocking for key in checks)
    selected = defs.resolve_job_def("post_review_job").asset_layer.selected_asset_keys
    assert AssetKey("agreement") in selected


def test_a_batch_with_nothing_to_judge_fails(sqlite_engine: Engine, tmp_path: Path) -> None:
    """Single reviews only, no gold: no evidence the labels are reliable."""
    batch = build_batch(sqlite_engine, prompts=3)
    with Session(sqlite_engine) as session:
        ann = add_reviewer(session, "ann")
        for prompt in batch.prompts:
            a, b, _ = batch.candidates[prompt.id]
            add_annotation(session, add_task(session, prompt, a, b), ann, -2, scores=(4, 2))
        session.commit()
    result = run(sqlite_engine, batch.batch_id, tmp_path)
    (materialization,) = result.asset_materializations_for_node("agreement")
    assert materialization.metadata["passed"].value is False
    assert materialization.metadata["judged_figures"].value == 0
    assert "no figure could be judged" in materialization.metadata["summary"].value
    (check,) = result.get_asset_check_evaluations()
    assert not check.passed
    assert not result.asset_materializations_for_node("downstream")


def nearly_agreeing_batch(engine: Engine) -> str:
    """Eight doubly reviewed tasks on which the second reviewer is often a step off and twice
    reverses a slight preference: kappa 0.63 by the estimate, its 95% interval reaching 0.19."""
    batch = build_batch(engine, prompts=len(PREFERENCES))
    second = [-1, -2, 1, 1, 3, 1, -3, -1]
    with Session(engine) as session:
        ann, bob = add_reviewer(session, "ann"), add_reviewer(session, "bob")
        for i, prompt in enumerate(batch.prompts):
            a, b, _ = batch.candidates[prompt.id]
            task = add_task(session, session.get(Prompt, prompt.id), a, b, required_reviews=2)
            scores = (i % 5 + 1, (i + 2) % 5 + 1)
            add_annotation(session, task, ann, PREFERENCES[i], scores=scores)
            add_annotation(session, task, bob, second[i], scores=scores)
        session.commit()
    return batch.batch_id


def test_the_gate_can_judge_the_lower_bound(engine: Engine, tmp_path: Path) -> None:
    batch_id = nearly_agreeing_batch(engine)
    assert run(engine, batch_id, tmp_path).success  # the estimate clears the threshold
    bounded = tmp_path / "bounded"
    bounded.mkdir()
    result = run(engine, batch_id, bounded, gate_on="lower_bound")
    assert not result.success
    (materialization,) = result.asset_materializations_for_node("agreement")
    assert "preference_kappa[*/*/preference]" in materialization.metadata["failing_cells"].value
    assert "| lower 95% bound | **NO** |" in materialization.metadata["cells"].value
    (check,) = result.get_asset_check_evaluations()
    gate = {key: value.value for key, value in check.metadata.items()}
    offending = gate["expect_column_values_to_be_null(offending)"]["partial_unexpected"]
    assert any("(lower 95% bound) < 0.4" in line for line in offending)
    assert not result.asset_materializations_for_node("downstream")
