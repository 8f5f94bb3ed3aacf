"""The release gate: the packaged tables, read back from the release folder, are fit to train on.

One row per row of the `dpo` config (TRL's standard prompt/chosen/rejected) with derived columns:
`chosen_differs`, `prompt_splits` (how many splits the row's prompt appears in, over every
config of the release), and two release-wide columns repeated on each row: `missing_columns`
(schema columns absent from any config's files) and `split_conflicts` (prompts, of any config,
found in more than one split). The suite wants every DPO schema column, no empty
prompt/chosen/rejected, chosen != rejected, each prompt in one split, and at least one row.
"""

from pathlib import Path

import great_expectations as gx
import pandas as pd
import pyarrow.parquet as pq

from factory.packaging.schemas import DPO, SCHEMAS
from factory.publishing.records import release_for_batch
from factory.settings import FactoryConfig
from factory.stages.context import StageContext

SUITE_NAME = "release"
DESCRIPTION = (
    "Read back from the release folder: every config's schema columns present, no empty "
    "prompt/chosen/rejected, chosen differs from rejected, no prompt in two splits, and at least "
    "one DPO row."
)
DPO_CONFIG = "dpo"
TEXT_COLUMNS = ("prompt", "chosen", "rejected")
DERIVED = ["split", "chosen_differs", "prompt_splits", "missing_columns", "split_conflicts"]
_BLANK = r"^\s*$"


def build_suite(config: FactoryConfig) -> gx.ExpectationSuite:
    expectations: list = [
        gx.expectations.ExpectTableRowCountToBeBetween(min_value=1),
        gx.expectations.ExpectTableColumnsToMatchSet(
            column_set=DPO.names + DERIVED, exact_match=False
        ),
        gx.expectations.ExpectColumnValuesToBeNull(column="missing_columns"),
    ]
    for column in TEXT_COLUMNS:
        expectations += [
            gx.expectations.ExpectColumnValuesToNotBeNull(column=column),
            gx.expectations.ExpectColumnValuesToNotMatchRegex(column=column, regex=_BLANK),
        ]
    expectations += [
        gx.expectations.ExpectColumnValuesToBeInSet(column="chosen_differs", value_set=[True]),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="prompt_splits", min_value=1, max_value=1
        ),
        gx.expectations.ExpectColumnValuesToBeNull(column="split_conflicts"),
    ]
    return gx.ExpectationSuite(name=SUITE_NAME, expectations=expectations)


def load_frame(ctx: StageContext, batch_id: str) -> pd.DataFrame:
    """The batch's newest release, read from its folder on disk."""
    with ctx.session() as session:
        release = release_for_batch(session, batch_id)
        return release_frame(Path(release.path))


def release_frame(folder: Path) -> pd.DataFrame:
    tables: dict[str, pd.DataFrame] = {}
    missing: list[str] = []
    for name in SCHEMAS:
        if (folder / name).is_dir():
            tables[name], absent = _read(folder, name)
            missing += absent
    dpo = tables.get(DPO_CONFIG, pd.DataFrame(columns=[*DPO.names, "split"]))
    seen = pd.concat(
        [t[["prompt_id", "split"]] for t in tables.values() if "prompt_id" in t.columns]
        or [pd.DataFrame(columns=["prompt_id", "split"])]
    )
    splits = seen.drop_duplicates().groupby("prompt_id")["split"].nunique()
    conflicts = sorted(int(p) for p in splits[splits > 1].index)
    frame = dpo.copy()
    if {"chosen", "rejected"} <= set(frame.columns):
        frame["chosen_differs"] = frame["chosen"] != frame["rejected"]
    else:
        frame["chosen_differs"] = False
    if "prompt_id" in frame.columns:
        frame["prompt_splits"] = frame["prompt_id"].map(splits).astype("Int64")
    else:
        frame["prompt_splits"] = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    frame["missing_columns"] = "; ".join(missing) or None
    frame["split_conflicts"] = ", ".join(map(str, conflicts)) or None
    return frame


def _read(folder: Path, name: str) -> tuple[pd.DataFrame, list[str]]:
    """One config's data files (Parquet when there is any, else JSONL) with their split, and
    "<file>: <columns>" for every file that lacks schema columns."""
    config_folder = folder / name
    files = sorted(config_folder.glob("*.parquet")) or sorted(config_folder.glob("*.jsonl"))
    frames, missing = [], []
    for path in files:
        if path.suffix == ".parquet":
            frame = pq.read_table(path).to_pandas()
        else:
            frame = pd.read_json(path, lines=True, dtype=False)
        absent = [c for c in SCHEMAS[name].names if c not in frame.columns]
        if absent:
            missing.append(f"{path.relative_to(folder).as_posix()}: {', '.join(absent)}")
        frame["split"] = path.name.split("-")[0]
        frames.append(frame)
    return (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()), missing
