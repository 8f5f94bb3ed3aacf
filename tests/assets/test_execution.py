"""The `executions` asset and its blocking gate, materialised for one batch on the real sandbox
(docker, and bwrap), and its place in the Definitions graph.
"""

from pathlib import Path

import pytest
from generation_builder import add_candidate, add_humaneval_batch
from sqlalchemy import Engine
from sqlmodel import Session, select
from stage_runs import materialize_batch

from assets.execution import executions, executions_gate
from factory.models import ExecutionRun, Prompt
from factory.sandbox.bwrap_backend import bwrap_problem
from factory.sandbox.docker_backend import docker_problem
from factory.sandbox.image import default_image, default_rootfs
from resources.sandbox import SandboxResource

BATCH = "batch-exec-asset"


def _skip_unless_available(backend: str) -> None:
    if backend == "docker":
        image = default_image()
        problem = docker_problem(image) if image else "no sandbox image built"
    else:
        problem = bwrap_problem(default_rootfs())
    if problem:
        pytest.skip(f"{backend} backend unavailable here: {problem}")


def materialise(engine: Engine, tmp_path: Path, backend: str):  # type: ignore[no-untyped-def]
    config = tmp_path / "factory.yaml"
    config.write_text("sandbox:\n  timeout_s: 5\n  stability_sample_rate: 1.0\n")
    return materialize_batch(
        [executions, executions_gate],
        engine,
        BATCH,
        config_path=config,
        sandbox=SandboxResource(backend=backend),
    )


@pytest.mark.parametrize(
    "backend",
    [
        pytest.param("docker", marks=pytest.mark.docker),
        pytest.param("bwrap", marks=pytest.mark.bwrap),
    ],
)
def test_a_batch_shows_its_funnel_and_passes_its_gate(
    sqlite_engine: Engine, tmp_path: Path, backend: str
) -> None:
    _skip_unless_available(backend)
    good, broken_reference = add_humaneval_batch(sqlite_engine, BATCH, [0, 2])
    with Session(sqlite_engine) as session:
        row = session.get(Prompt, broken_reference.id)
        assert row is not None
        row.reference_solution = row.reference_solution.replace("return", "return -1 +", 1)
        session.add(row)
        session.commit()
    add_candidate(sqlite_engine, good, good.reference_solution, model="right")
    add_candidate(sqlite_engine, good, good.prompt + "    return True\n", model="wrong")

    result = materialise(sqlite_engine, tmp_path, backend)

    assert result.success
    [event] = result.get_asset_materialization_events()
    metadata = {k: v.value for k, v in event.materialization.metadata.items()}
    assert (metadata["funnel_accepted"], metadata["funnel_gradable"]) == (2, 1)
    assert metadata["funnel_stable"] == 1 and metadata["not_gradable"] == 1
    assert metadata["verdicts"] == {"failed": 1, "passed": 1}
    assert metadata["backend"] == backend
    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.check_name == "executions_gate" and evaluation.passed

    again = materialise(sqlite_engine, tmp_path, backend)
    [event] = again.get_asset_materialization_events()
    assert event.materialization.metadata["executed"].value == 0
    with Session(sqlite_engine) as session:
        # 2 references x 2 attempts + 2 candidates x 2 (sample rate 1.0), once each.
        assert len(session.exec(select(ExecutionRun)).all()) == 8


def test_definitions_have_the_execution_asset_and_its_blocking_gate() -> None:
    from definitions import defs

    graph = defs.resolve_asset_graph()
    key = executions.key
    assert key in graph.get_all_asset_keys()
    assert graph.get(key).group_name == "pre_review"
    assert [k.to_user_string() for k in graph.get(key).parent_keys] == ["candidates"]
    checks = [c for c in graph.asset_check_keys if c.asset_key == key]
    assert [c.name for c in checks] == ["executions_gate"]
    assert all(spec.blocking for spec in executions_gate.check_specs)
