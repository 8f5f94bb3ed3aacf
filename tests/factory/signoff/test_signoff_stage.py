"""The sign-off stage reports whether and by whom a batch is signed off; its gate suite passes
only a sign-off in force that covers the batch's reviews (and a simulated one only when
packaging.allow_simulated). On SQLite and PostgreSQL."""

from signoff_builders import reviewed_web_batch, reviewer_id
from sqlalchemy import Engine
from sqlmodel import Session, select

from expectations import signoff as suite
from expectations.gate import run_suite
from factory.models import ReviewTask
from factory.models._base import utcnow
from factory.settings import FactoryConfig, PackagingSettings
from factory.signoff import stage
from factory.signoff.records import revoke_sign_off, sign_off
from factory.signoff.simulated import simulated_sign_off
from factory.stages.context import StageContext


def gate(engine: Engine, batch: str, *, allow_simulated: bool = False):  # type: ignore[no-untyped-def]
    config = FactoryConfig(packaging=PackagingSettings(allow_simulated=allow_simulated))
    ctx = StageContext(config=config, engine=engine)
    return run_suite(suite.build_suite(config), suite.load_frame(ctx, batch))


def test_unsigned_batch_is_reported_and_blocked(engine: Engine) -> None:
    batch = reviewed_web_batch(engine)
    report = stage.run(StageContext(config=FactoryConfig(), engine=engine), batch)
    assert not report.signed_off and "**not signed off**" in report.summary()
    assert report.metadata()["signed_by"] is None
    result = gate(engine, batch)
    assert not result.success
    assert "expect_table_row_count_to_be_between" in [o.label for o in result.failed]


def test_a_sign_off_in_force_passes_and_a_revoked_one_does_not(engine: Engine) -> None:
    batch = reviewed_web_batch(engine)
    sam = reviewer_id(engine, "sam")
    sign_off(engine, batch, sam, "checked agreement")
    report = stage.run(StageContext(config=FactoryConfig(), engine=engine), batch)
    metadata = report.metadata()
    assert report.signed_off and metadata["signed_by"] == "sam"
    assert metadata["simulated"] is False and metadata["note"] == "checked agreement"
    assert gate(engine, batch).success
    revoke_sign_off(engine, batch, sam, "re-review needed")
    report = stage.run(StageContext(config=FactoryConfig(), engine=engine), batch)
    assert not report.signed_off and report.metadata()["revoked_sign_offs"] == 1
    assert not gate(engine, batch).success


def test_a_sign_off_the_reviews_outgrew_is_blocked(engine: Engine) -> None:
    batch = reviewed_web_batch(engine)
    sign_off(engine, batch, reviewer_id(engine, "sam"), "checked")
    with Session(engine) as session:
        task = session.exec(select(ReviewTask)).first()
        task.completed_at = utcnow()
        session.add(task)
        session.commit()
    result = gate(engine, batch)
    assert [o.label for o in result.failed] == [
        "expect_column_values_to_be_in_set(covers_current_reviews)"
    ]


def test_a_simulated_sign_off_passes_only_when_simulation_is_allowed(engine: Engine) -> None:
    batch = reviewed_web_batch(engine)
    simulated_sign_off(engine, batch)
    report = stage.run(StageContext(config=FactoryConfig(), engine=engine), batch)
    assert report.signed_off and report.metadata()["simulated"] is True
    assert "SIMULATED" in report.summary()
    assert [o.label for o in gate(engine, batch).failed] == [
        "expect_column_values_to_be_in_set(simulated)"
    ]
    assert gate(engine, batch, allow_simulated=True).success
