"""Packaging benchmark: stream N synthetic preference pairs into the DPO configs and report time
and peak memory at several sizes, to show memory stays flat as releases grow.

Synthetic pairs go through the same row builders, split assignment and streaming writer as a
real release; only the database is left out. Usage:

    .venv/bin/python bench/packaging_bench.py                  # 10k, 100k, 1M pairs
    .venv/bin/python bench/packaging_bench.py --sizes 1000000
"""

import argparse
import resource
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil

from factory.packaging.dpo import write_dpo
from factory.packaging.records import CandidateInfo, PairRecord, PromptInfo
from factory.packaging.schemas import SCHEMAS
from factory.packaging.splits import split_of
from factory.packaging.writer import DatasetWriter
from factory.vocab import DIMENSIONS

PAIRS_PER_PROMPT = 3
TARGET_SECONDS = 60.0
DIMENSION_NAMES = [d.value for d in DIMENSIONS]
# Five score profiles (chosen side, rejected side), shared by the pairs instead of rebuilt.
SCORES = [
    (
        {d: float((j + k) % 5 + 1) for k, d in enumerate(DIMENSION_NAMES)},
        {d: max(1.0, float((j + k) % 5)) for k, d in enumerate(DIMENSION_NAMES)},
    )
    for j in range(5)
]


def synthetic_pairs(count: int) -> Iterator[PairRecord]:
    """Deterministic pairs, produced one at a time (never a list of them)."""
    prompt: PromptInfo | None = None
    for i in range(count):
        if i % PAIRS_PER_PROMPT == 0:
            p = i // PAIRS_PER_PROMPT
            prompt = PromptInfo(
                prompt_id=p,
                external_id=f"synthetic/{p}",
                batch_id="bench",
                language="python",
                task_type="code_generation",
                prompt=f"Write a function f_{p}(xs) that returns the {p % 7 + 2} largest values "
                "of xs in descending order, without modifying xs.",
                tests=f"def check(candidate):\n    assert candidate([3, 1]) == [3, 1][:{p % 3}]\n",
                entry_point=f"f_{p}",
                test_style="check",
                reference_solution=f"def f_{p}(xs):\n    return sorted(xs, reverse=True)\n",
                licence="MIT",
            )
        assert prompt is not None
        scores, lower = SCORES[i % 5]
        chosen = CandidateInfo(
            2 * i, "generated", "model-a",
            f"def f_{prompt.prompt_id}(xs):\n    return sorted(xs, reverse=True)[:{i % 9}]\n",
            "passed", 3, 3, scores, 2,
        )  # fmt: skip
        rejected = CandidateInfo(
            2 * i + 1, "generated", "model-b",
            f"def f_{prompt.prompt_id}(xs):\n    xs.sort()\n    return xs[::-1][:{i % 9}]\n",
            "failed", 1, 3, lower, 2,
        )  # fmt: skip
        yield PairRecord(
            pair_id=i,
            task_id=i,
            prompt=prompt,
            chosen=chosen,
            rejected=rejected,
            strength=1.0 + i % 3,
            label_source="annotations",
            rationale="Does not mutate its input; the other sorts xs in place.",
            n_reviews=1 + i % 2,
            simulated=False,
        )


class PeakRss:
    """Samples this process's resident memory every 50 ms; also reads ru_maxrss at the end."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._process = psutil.Process()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._process.memory_info().rss)
            self._stop.wait(0.05)

    def __enter__(self) -> "PeakRss":
        self.peak = self._process.memory_info().rss
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._process.memory_info().rss)


def with_splits(pairs: Iterator[PairRecord]) -> Iterator[tuple[str, PairRecord]]:
    """(split, pair), the split decided once per prompt as a real release does."""
    last_prompt, split = -1, ""
    for record in pairs:
        if record.prompt.prompt_id != last_prompt:
            last_prompt = record.prompt.prompt_id
            split = split_of(str(last_prompt), test_fraction=0.1, seed=0)
        yield split, record


def package(count: int, root: Path, *, rows_per_group: int) -> dict[str, dict[str, int]]:
    schemas = {name: SCHEMAS[name] for name in ("dpo", "dpo_conversational")}
    with DatasetWriter(root, schemas, rows_per_group=rows_per_group) as writer:
        write_dpo(writer, with_splits(synthetic_pairs(count)), chunk=rows_per_group)
    return writer.counts()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--rows-per-group", type=int, default=10_000)
    args = parser.parse_args()
    print(
        f"{'pairs':>10} {'seconds':>8} {'cpu s':>6} {'pairs/s':>9} {'peak RSS MiB':>13} "
        f"{'files MiB':>10}"
    )
    results = []
    for size in args.sizes:
        root = Path(tempfile.mkdtemp(prefix="packaging-bench-"))
        try:
            with PeakRss() as rss:
                start, cpu_start = time.perf_counter(), time.process_time()
                counts = package(size, root, rows_per_group=args.rows_per_group)
                seconds = time.perf_counter() - start
                cpu = time.process_time() - cpu_start
            written = sum(f.stat().st_size for f in root.rglob("*") if f.is_file())
            assert sum(counts["dpo"].values()) == size
        finally:
            shutil.rmtree(root, ignore_errors=True)
        results.append((size, seconds, rss.peak))
        print(
            f"{size:>10,} {seconds:>8.1f} {cpu:>6.1f} {size / seconds:>9,.0f} "
            f"{rss.peak / 2**20:>13.0f} {written / 2**20:>10.0f}",
            flush=True,
        )
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    largest, seconds, _ = results[-1]
    print(f"process ru_maxrss: {maxrss:.0f} MiB")
    verdict = "within" if seconds <= TARGET_SECONDS else "OVER"
    print(f"{largest:,} pairs in {seconds:.1f} s: {verdict} the {TARGET_SECONDS:.0f} s target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
