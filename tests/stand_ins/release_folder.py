"""A release folder laid out as packaging writes it (data per config/split, data card, QA report,
factory config), for tests of the stages that consume releases."""

from pathlib import Path

import pandas as pd

TOKEN = "hf_standin_0123456789abcdefSECRET"
REPO_ID = "factory-test/code-rlhf"

CARD = """---
license: apache-2.0
configs:
- config_name: dpo
  data_files:
  - split: train
    path: dpo/train-*.parquet
  - split: test
    path: dpo/test-*.parquet
---
# code-rlhf

Preference pairs for code generation.
"""


def write_release(folder: Path, *, rows: int = 4, note: str = "") -> Path:
    """A release folder: data files per config/split, data card, QA report and factory config."""
    (folder / "dpo").mkdir(parents=True, exist_ok=True)
    for split, count in (("train", rows), ("test", 1)):
        frame = pd.DataFrame(
            {
                "id": [f"{split}-{i}" for i in range(count)],
                "prompt": [f"Write f{i}{note}" for i in range(count)],
                "chosen": [f"def f{i}(): return {i}" for i in range(count)],
                "rejected": [f"def f{i}(): return None" for i in range(count)],
            }
        )
        frame.to_parquet(folder / "dpo" / f"{split}-00000.parquet", index=False)
    (folder / "README.md").write_text(CARD)
    (folder / "qa_report.json").write_text('{"passed": true}\n')
    (folder / "qa_report.md").write_text("# QA report\n\nAll gates passed.\n")
    (folder / "factory_config.yaml").write_text(f"packaging:\n  seed: 0\n# {note}\n")
    return folder
