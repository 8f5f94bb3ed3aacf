"""The release's README.md: a Hugging Face dataset card with the Hub's `configs:` metadata.

The YAML front matter is rendered by `huggingface_hub.DatasetCardData`, so the Hub reads the
configs, licence and size category exactly as written; the body tells a trainer how to load each
config and how far the labels can be trusted (the QA summary).
"""

from typing import TypedDict, Unpack

from huggingface_hub import DatasetCard, DatasetCardData

from factory.packaging.qa_report import QAReport
from factory.packaging.schemas import SCHEMAS

# The Hub's size buckets, upper bounds exclusive.
_SIZE_BUCKETS: list[tuple[int, str]] = [
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
    (1_000_000_000, "100M<n<1B"),
    (10_000_000_000, "1B<n<10B"),
    (100_000_000_000, "10B<n<100B"),
    (1_000_000_000_000, "100B<n<1T"),
]
TASK_CATEGORIES = ["text-generation", "reinforcement-learning"]
BASE_TAGS = ["code", "rlhf", "dpo", "rlvr", "preference"]

CONFIG_PURPOSE: dict[str, str] = {
    "dpo": "Pairwise preferences (prompt, chosen, rejected) for DPO and reward-model training.",
    "dpo_conversational": "The DPO pairs with prompt/chosen/rejected as chat messages.",
    "rlvr": "Prompts with executable tests, for RL from verifiable rewards (GRPO and similar).",
    "sft": "Reference solutions and well-reviewed candidates as chat transcripts, for SFT.",
    "reward": "Single completions with reviewer dimension scores, for pointwise reward models.",
}

SIMULATED_WARNING = (
    "> [!WARNING]\n"
    "> **Simulated labels.** The preference and score labels in this release come from "
    "simulated reviewers derived from automatic signals, not from people. Use it to test "
    "pipelines, not to train models you intend to rely on."
)


def size_category(num_rows: int) -> str:
    if num_rows < 0:
        raise ValueError(f"data card: num_rows must not be negative, got {num_rows}")
    for bound, label in _SIZE_BUCKETS:
        if num_rows < bound:
            return label
    return "n>1T"


class CardFacts(TypedDict):
    """What the data card is rendered from: `render_data_card`'s keyword arguments."""

    repo_name: str
    version: str
    configs: dict[str, dict[str, list[str]]]  # config -> split -> data files
    num_rows: int
    languages: list[str]
    task_types: list[str]
    license: str
    qa: QAReport
    simulated: bool


def render_data_card(**facts: Unpack[CardFacts]) -> str:
    """README.md text for the release folder, from the `CardFacts` given as keywords."""
    repo_name, version, configs = facts["repo_name"], facts["version"], facts["configs"]
    if not configs:
        raise ValueError(f"data card for {repo_name} {version}: no configs to describe")
    for name, splits in configs.items():
        empty = [split for split, files in splits.items() if not files]
        if not splits or empty:
            raise ValueError(
                f"data card for {repo_name} {version}: config {name!r} has no data files"
                + (f" for split(s) {empty}" if empty else "")
            )
    pretty_name = f"{repo_name.split('/')[-1]} {version}"
    card_data = DatasetCardData(
        pretty_name=pretty_name,
        license=facts["license"],
        language=["en"],
        task_categories=TASK_CATEGORIES,
        tags=BASE_TAGS + [tag for tag in sorted(set(facts["languages"])) if tag not in BASE_TAGS],
        size_categories=[size_category(facts["num_rows"])],
        configs=[
            {
                "config_name": name,
                "data_files": [{"split": split, "path": files} for split, files in splits.items()],
            }
            for name, splits in configs.items()
        ],
    )
    body = _body(facts)
    if facts["simulated"]:
        body = f"{SIMULATED_WARNING}\n\n{body}"
    # DatasetCard parses the front matter back, so malformed metadata fails here, not on the Hub.
    card = DatasetCard(f"---\n{card_data.to_yaml()}\n---\n\n# {pretty_name}\n\n{body}")
    return str(card)


def _body(facts: CardFacts) -> str:
    version, configs, languages = facts["version"], facts["configs"], facts["languages"]
    license, qa = facts["license"], facts["qa"]
    first = next(iter(configs))
    sections = [
        f"Code-RLHF training data, release `{version}`: {facts['num_rows']} rows in "
        f"{len(configs)} config(s). Programming languages: {', '.join(languages) or 'none'}. "
        f"Task types: {', '.join(facts['task_types']) or 'none'}.",
        "## Configs",
        "\n\n".join(_config_section(name, splits) for name, splits in configs.items()),
        "## Loading",
        _loading(facts["repo_name"], version, "dpo" if "dpo" in configs else first, configs),
        "## Quality assurance",
        qa.summary_markdown(),
        "The full report is `qa_report.md` / `qa_report.json` in this repository.",
        "## Licence and provenance",
        f"Released under `{license}`. Every row carries database ids (`prompt_id`, candidate "
        "and task ids) that trace it to its source prompt, the candidate code, the sandbox runs "
        f"and the reviews behind its label. Batches: {', '.join(qa.batch_ids)}. Prompts that "
        "overlap public evaluation sets are flagged during intake "
        f"({qa.contaminated_prompts} in these batches).",
    ]
    return "\n\n".join(sections) + "\n"


def _config_section(name: str, splits: dict[str, list[str]]) -> str:
    purpose = CONFIG_PURPOSE.get(name, "Additional release data.")
    files = ", ".join(f"`{split}`: {len(paths)} file(s)" for split, paths in splits.items())
    lines = [f"### `{name}`", purpose, f"Splits: {files}."]
    schema = SCHEMAS.get(name)
    if schema is not None:
        lines.append("Columns: " + ", ".join(f"`{f.name}` ({f.type})" for f in schema) + ".")
    return "\n\n".join(lines)


def _loading(repo: str, version: str, first: str, configs: dict[str, dict[str, list[str]]]) -> str:
    """Loading snippets, with trainer notes only for the configs this release has."""
    parts = [
        "```python\n"
        "from datasets import load_dataset\n\n"
        f'ds = load_dataset("{repo}", "{first}", revision="{version}")\n'
        "```"
    ]
    if "dpo" in configs:
        parts.append(
            "**TRL DPO.** The `dpo` config has the `prompt` / `chosen` / `rejected` columns "
            "`trl.DPOTrainer` expects (`dpo_conversational` holds them as chat messages):\n\n"
            "```python\n"
            "from trl import DPOConfig, DPOTrainer\n\n"
            f'train = load_dataset("{repo}", "dpo", split="train", revision="{version}")\n'
            'trainer = DPOTrainer(model=model, args=DPOConfig(output_dir="out"), '
            "train_dataset=train, processing_class=tokenizer)\n"
            "```"
        )
    if "rlvr" in configs:
        parts.append(
            "**TRL GRPO.** The `rlvr` config gives chat `prompt`s plus `tests`, `entry_point` "
            "and `test_style`; pass a reward function that runs each completion against its "
            "`tests` in a sandbox to `trl.GRPOTrainer(reward_funcs=...)` (extra columns reach "
            "the reward function as keyword arguments)."
        )
    if "dpo" in configs or "dpo_conversational" in configs:
        parts.append(
            "**OpenRLHF / Axolotl.** OpenRLHF's DPO and reward-model trainers take the `dpo` "
            "config with `--input_key prompt --chosen_key chosen --rejected_key rejected`; in "
            "Axolotl declare the dataset with `rl: dpo` and map the same three fields, or use "
            "`dpo_conversational` with a chat template."
        )
    return "\n\n".join(parts)
