"""The intake gate's suite and frame loader (expectations.intake) on real ingested batches."""

from pathlib import Path

from sqlalchemy import Engine

from expectations.gate import run_suite
from expectations.intake import FRAME_COLUMNS, build_suite, load_frame
from factory.intake.ingest import ingest_batch
from factory.settings import FactoryConfig, IntakeSettings
from factory.stages import StageContext

DATA = Path(__file__).resolve().parents[1] / "data" / "intake"


def test_clean_batch_passes(engine: Engine) -> None:
    config = FactoryConfig()
    report = ingest_batch(engine, DATA / "mbpp_sample.jsonl", config)
    frame = load_frame(StageContext(config, engine), report.batch_id)
    assert list(frame.columns) == list(FRAME_COLUMNS) and len(frame) == 5
    result = run_suite(build_suite(config), frame)
    assert result.success, result.summary()


def test_batch_with_too_many_quarantined_records_fails_only_that_expectation(
    engine: Engine,
) -> None:
    config = FactoryConfig()
    report = ingest_batch(engine, DATA / "bad_batch.jsonl", config)
    frame = load_frame(StageContext(config, engine), report.batch_id)
    assert frame["quarantine_share"].iloc[0] == report.quarantined / report.received
    result = run_suite(build_suite(config), frame)
    assert [outcome.label for outcome in result.failed] == [
        "expect_column_max_to_be_between(quarantine_share)"
    ]
    lenient = FactoryConfig(intake=IntakeSettings(max_quarantine_share=0.9))
    assert run_suite(build_suite(lenient), frame).success


def test_unknown_batch_gives_an_empty_frame_that_fails(engine: Engine) -> None:
    config = FactoryConfig()
    frame = load_frame(StageContext(config, engine), "no-such-batch")
    assert frame.empty and list(frame.columns) == list(FRAME_COLUMNS)
    assert not run_suite(build_suite(config), frame).success


def test_language_outside_config_fails_the_language_expectation(engine: Engine) -> None:
    config = FactoryConfig()
    report = ingest_batch(engine, DATA / "mbpp_sample.jsonl", config)
    frame = load_frame(StageContext(config, engine), report.batch_id)
    narrowed = FactoryConfig(intake=IntakeSettings(languages=["javascript"]))
    failed = [o.label for o in run_suite(build_suite(narrowed), frame).failed]
    assert failed == ["expect_column_values_to_be_in_set(language)"]


def test_what_an_authoring_record_leaves_to_its_author_is_missing_not_empty(
    engine: Engine, tmp_path: Path
) -> None:
    import shutil

    from factory.samples import work_path

    config = FactoryConfig()
    path = Path(shutil.copy(work_path(), tmp_path / "work.jsonl"))
    report = ingest_batch(engine, path, config)
    frame = load_frame(StageContext(config, engine), report.batch_id)
    authored = frame[frame["external_id"] == "factory/python/parse-duration"]
    assert authored[["tests", "reference_solution"]].isna().all(axis=None)
    assert frame.drop(authored.index)[["tests", "reference_solution"]].notna().all(axis=None)
    result = run_suite(build_suite(config), frame)
    assert result.success, result.summary()
