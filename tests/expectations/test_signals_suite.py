"""The signals gate: every candidate carries its verdict and static evidence."""

from generation_builder import add_candidate, add_execution_run, add_humaneval_batch
from sqlalchemy import Engine, delete
from sqlmodel import Session, col

from expectations.gate import run_suite
from expectations.signals import build_suite, load_frame
from factory.models import Finding
from factory.settings import FactoryConfig
from factory.signals.collect import run_signals
from factory.stages import StageContext

BATCH = "batch-signals-gate"


def test_the_gate_passes_with_all_evidence_and_fails_when_some_is_missing(engine: Engine) -> None:
    (prompt,) = add_humaneval_batch(engine, BATCH, [0])
    header = "def has_close_elements(n, t):\n"
    good = add_candidate(engine, prompt, header + "    return False\n")
    broken = add_candidate(engine, prompt, header + "    return (\n", model="b")
    add_execution_run(engine, good, verdict="passed")
    add_execution_run(engine, broken, verdict="error", tests_passed=0)
    config = FactoryConfig()
    run_signals(engine=engine, batch_id=BATCH, config=config, runner=None)
    ctx = StageContext(config, engine)

    frame = load_frame(ctx, BATCH)
    assert len(frame) >= 2
    assert run_suite(build_suite(config), frame).success

    with Session(engine) as session:  # the good candidate's radon and sandbox verdict are lost
        session.exec(  # type: ignore[call-overload]
            delete(Finding).where(
                col(Finding.candidate_id) == good.id,
                col(Finding.tool).in_(["radon", "sandbox"]),
            )
        )
        session.commit()
    result = run_suite(build_suite(config), load_frame(ctx, BATCH))
    assert {outcome.label for outcome in result.failed} == {
        "expect_column_values_to_be_in_set(verdict_evidence)",
        "expect_column_values_to_be_in_set(static_evidence)",
    }


def test_an_empty_batch_fails(engine: Engine) -> None:
    config = FactoryConfig()
    assert not run_suite(
        build_suite(config), load_frame(StageContext(config, engine), "none")
    ).success
