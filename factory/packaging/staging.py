"""Streaming a planned release's rows into a folder, and noting where each row came from.

Each written row yields one `ItemRef` (config, split, row id, and the prompt, pair, candidate or
submission it was built from): the ReleaseItem rows that make every published row traceable.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from factory.packaging.dpo import CONVERSATIONAL, STANDARD, row_key, write_dpo
from factory.packaging.plan import ReleasePlan
from factory.packaging.records import PairRecord
from factory.packaging.reward import reward_row
from factory.packaging.rlvr import rlvr_row
from factory.packaging.schemas import SCHEMAS
from factory.packaging.sft import candidate_row, reference_row
from factory.packaging.swe import SWE, swe_row
from factory.packaging.verl import VERL, verl_row
from factory.packaging.work_plan import WORK_CONFIGS
from factory.packaging.writer import DatasetWriter
from factory.rewards import write_reward_package
from factory.settings import FactoryConfig

CONFIG_ORDER = (STANDARD, CONVERSATIONAL, "rlvr", VERL, "sft", "reward", SWE, *WORK_CONFIGS)


@dataclass(frozen=True, slots=True)
class ItemRef:
    config: str
    split: str
    row_key: str
    prompt_id: int | None
    pair_id: int | None = None
    candidate_id: int | None = None
    instance_id: str | None = None  # a repository task's row
    submission_id: int | None = None  # a row of work beyond pairs


@dataclass(slots=True)
class StagedData:
    counts: dict[str, dict[str, int]]  # config -> split -> rows
    files: dict[str, dict[str, list[str]]]  # config -> split -> relative paths
    items: list[ItemRef] = field(default_factory=list)

    def card_files(self) -> dict[str, dict[str, list[str]]]:
        """One format per config for the data card: Parquet when written, else JSONL."""
        chosen: dict[str, dict[str, list[str]]] = {}
        for config in CONFIG_ORDER:
            for split, paths in sorted(self.files.get(config, {}).items(), reverse=True):
                parquet = [p for p in paths if p.endswith(".parquet")]
                chosen.setdefault(config, {})[split] = parquet or paths
        return chosen

    @property
    def total_rows(self) -> int:
        return sum(sum(splits.values()) for splits in self.counts.values())


def write_plan(plan: ReleasePlan, folder: Path, config: FactoryConfig) -> StagedData:
    settings = config.packaging
    items: list[ItemRef] = []
    with DatasetWriter(
        folder,
        SCHEMAS,
        formats=settings.formats,
        rows_per_group=settings.rows_per_group,
        rows_per_shard=settings.rows_per_shard,
    ) as writer:
        write_dpo(writer, _traced_pairs(plan.pairs, items), chunk=settings.rows_per_group)
        sandbox = config.sandbox
        verl_index: dict[str, int] = {}
        for split, prompt in plan.rlvr:
            row = rlvr_row(
                prompt,
                time_limit_s=sandbox.timeout_s,
                memory_limit_mb=sandbox.memory_mb,
                compile_time_limit_s=sandbox.compile_timeout_s,
            )
            writer.write("rlvr", split, row)
            items.append(ItemRef("rlvr", split, row["id"], prompt.prompt_id))
            index = verl_index[split] = verl_index.get(split, -1) + 1
            writer.write(VERL, split, verl_row(row, split=split, index=index))
            items.append(ItemRef(VERL, split, row["id"], prompt.prompt_id))
        for split, prompt in plan.sft_references:
            row = reference_row(prompt)
            writer.write("sft", split, row)
            reference = plan.prompts.references.get(prompt.prompt_id)
            items.append(ItemRef("sft", split, row["id"], prompt.prompt_id, None, reference))
        for split, prompt, candidate in plan.sft_candidates:
            row = candidate_row(prompt, candidate)
            writer.write("sft", split, row)
            items.append(
                ItemRef("sft", split, row["id"], prompt.prompt_id, None, candidate.candidate_id)
            )
        for split, prompt, candidate in plan.reward:
            row = reward_row(prompt, candidate)
            writer.write("reward", split, row)
            items.append(
                ItemRef("reward", split, row["id"], prompt.prompt_id, None, candidate.candidate_id)
            )
        for split, task in plan.swe:
            row = swe_row(task)
            writer.write(SWE, split, row)
            items.append(
                ItemRef(SWE, split, row["instance_id"], None, instance_id=row["instance_id"])
            )
        for planned in plan.work:
            writer.write(planned.config, planned.split, planned.row)
            items.append(
                ItemRef(
                    planned.config,
                    planned.split,
                    planned.row_key,
                    planned.prompt_id,
                    candidate_id=planned.candidate_id,
                    submission_id=planned.submission_id,
                )
            )
    if plan.rlvr:  # the reward functions the rlvr and verl configs are scored with
        write_reward_package(folder)
    return StagedData(counts=writer.counts(), files=writer.files, items=items)


def _traced_pairs(
    pairs: list[tuple[str, PairRecord]], items: list[ItemRef]
) -> Iterator[tuple[str, PairRecord]]:
    for split, record in pairs:
        key = row_key(record)
        for config in (STANDARD, CONVERSATIONAL):
            items.append(ItemRef(config, split, key, record.prompt.prompt_id, record.pair_id))
        yield split, record
