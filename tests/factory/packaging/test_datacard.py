"""The data card's front matter is what the Hub reads: configs, licence, size category; its body
says where candidates came from, how many contaminated prompts it includes and why, and the
licence of each source."""

from dataclasses import replace

import pytest
import yaml
from huggingface_hub import DatasetCard
from review_data_builder import add_batch, add_prompt
from sqlalchemy import Engine
from sqlmodel import Session

from factory.packaging.datacard import render_data_card, size_category
from factory.packaging.licences import release_licence
from factory.packaging.qa_report import ModelCost, QAReport, ReplaySource, build_qa_report
from factory.packaging.records import PromptInfo
from factory.settings import AgreementSettings

CONFIGS = {
    "dpo": {"train": ["dpo/train-00000.parquet"], "test": ["dpo/test-00000.parquet"]},
    "rlvr": {"train": ["rlvr/train-00000.parquet", "rlvr/train-00001.parquet"]},
}


def _prompt(prompt_id: int, licence: str, source: str) -> PromptInfo:
    return PromptInfo(
        prompt_id, f"p{prompt_id}", "b1", "python", "code_generation", "Write f.", "", "f",
        "check", "def f(): ...", licence, source,
    )  # fmt: skip


MIT = release_licence([_prompt(1, "MIT", "openai/human-eval")])


@pytest.fixture
def qa(engine: Engine) -> QAReport:
    with Session(engine) as session:
        add_batch(session, "b1", received=3)
        add_prompt(session, "b1", "p0", contaminated=True)
        session.commit()
        return build_qa_report(
            session,
            ["b1"],
            packaged={"dpo": {"train": 1}},
            agreement_settings=AgreementSettings(bootstrap_samples=20),
        )


def _render(qa: QAReport, **overrides) -> str:  # noqa: ANN003
    arguments = {
        "repo_name": "acme/code-rlhf",
        "version": "v1.2.0",
        "configs": CONFIGS,
        "num_rows": 2_500,
        "languages": ["python", "go"],
        "task_types": ["code_generation"],
        "licence": MIT,
        "qa": qa,
        "simulated": False,
    }
    return render_data_card(**(arguments | overrides))


def _front_matter(text: str) -> dict:
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n")[1])


def test_front_matter_round_trips_through_the_hub_card(qa: QAReport) -> None:
    text = _render(qa)
    card = DatasetCard(text)
    data = card.data.to_dict()
    assert data["license"] == "mit"  # HumanEval's own licence, not a default
    assert "license_name" not in data
    assert data["language"] == ["en"]
    assert data["size_categories"] == ["1K<n<10K"]
    assert data["task_categories"] == ["text-generation", "reinforcement-learning"]
    assert {"code", "rlhf", "dpo", "rlvr", "preference", "python", "go"} <= set(data["tags"])
    assert data["pretty_name"] == "code-rlhf v1.2.0"
    configs = {c["config_name"]: c["data_files"] for c in _front_matter(text)["configs"]}
    assert configs == {
        "dpo": [
            {"split": "train", "path": ["dpo/train-00000.parquet"]},
            {"split": "test", "path": ["dpo/test-00000.parquet"]},
        ],
        "rlvr": [
            {"split": "train", "path": ["rlvr/train-00000.parquet", "rlvr/train-00001.parquet"]}
        ],
    }


def test_body_explains_loading_and_qa(qa: QAReport) -> None:
    body = DatasetCard(_render(qa)).text
    assert 'load_dataset("acme/code-rlhf", "dpo", revision="v1.2.0")' in body
    assert "DPOTrainer" in body and "GRPOTrainer" in body and "OpenRLHF" in body
    assert "`chosen_verdict`" in body  # dpo columns listed from the schema
    assert "| received | 3 | records |" in body  # the QA funnel
    assert "Mean gold accuracy" in body
    assert "Released under `mit` (MIT)" in body
    assert "| MIT | openai/human-eval | 1 |" in body
    assert "apache-2.0" not in body
    assert "simulated reviewers" not in body


def test_mixed_licences_are_other_and_listed_per_source(qa: QAReport) -> None:
    mixed = release_licence(
        [_prompt(1, "MIT", "openai/human-eval"), _prompt(2, "MIT", "openai/human-eval"),
         _prompt(3, "CC-BY-4.0", "mbpp"), _prompt(4, "", "internal")],
        default="apache-2.0",
    )  # fmt: skip
    text = _render(qa, licence=mixed)
    data = DatasetCard(text).data.to_dict()
    assert data["license"] == "other"
    assert data["license_name"] == "mixed-apache-2.0-cc-by-4.0-mit"
    assert data["license_details"] == (
        "apache-2.0 (internal: 1 prompts); CC-BY-4.0 (mbpp: 1 prompts); "
        "MIT (openai/human-eval: 2 prompts)"
    )
    body = DatasetCard(text).text
    assert "licence is `other`" in body
    for row in ("| MIT | openai/human-eval | 2 |", "| CC-BY-4.0 | mbpp | 1 |",
                "| apache-2.0 | internal | 1 |"):  # fmt: skip
        assert row in body


def test_undeclared_licences_are_unknown_not_a_default(qa: QAReport) -> None:
    unknown = release_licence([_prompt(1, "", "internal")])
    data = DatasetCard(_render(qa, licence=unknown)).data.to_dict()
    assert data["license"] == "unknown"
    assert "No source declares a licence" in DatasetCard(_render(qa, licence=unknown)).text
    # An unusual declared licence is not forced onto a Hub identifier.
    custom = release_licence([_prompt(1, "Acme Internal 1.0", "acme")])
    data = DatasetCard(_render(qa, licence=custom)).data.to_dict()
    assert (data["license"], data["license_name"]) == ("other", "acme-internal-1.0")


def test_included_contaminated_prompts_are_counted_with_the_reason(qa: QAReport) -> None:
    assert qa.contaminated_prompts == 1
    kept = replace(qa, contaminated_included=1, contamination_note="the batch is the benchmark")
    body = DatasetCard(_render(qa=kept)).text
    assert "Intake flagged 1 prompt(s) as overlapping public evaluation sets (humaneval: 1)" in body
    assert "**This release includes 1 of them**, because: the batch is the benchmark." in body
    unexplained = DatasetCard(_render(qa=replace(kept, contamination_note=""))).text
    assert "no reason was recorded (`packaging.contamination_note`)" in unexplained
    left_out = DatasetCard(_render(qa=replace(qa, contaminated_included=0))).text
    assert "None of them is in this release." in left_out
    assert "This release includes" not in left_out


def test_replayed_candidates_are_not_presented_as_generated(qa: QAReport) -> None:
    mixed = replace(
        qa,
        models=[ModelCost("qwen-coder", 4, 100, 50, 0.0, 0)],
        replayed=[ReplaySource("demo-a", 3, 3), ReplaySource("demo-b", 2, 1)],
    )
    body = DatasetCard(_render(qa=mixed)).text
    assert "4 candidate(s) were generated by this factory with `qwen-coder`." in body
    assert "5 candidate(s) were replayed from a file, not generated here" in body
    assert "(`demo-a`, `demo-b`) are what the file recorded, not models the factory ran" in body
    assert "generated by this factory with `demo-a`" not in body
    only_replayed = DatasetCard(_render(qa=replace(mixed, models=[]))).text
    assert "generated by this factory" not in only_replayed


def test_simulated_release_warns_first(qa: QAReport) -> None:
    body = DatasetCard(_render(qa, simulated=True)).text
    assert body.lstrip().startswith("# code-rlhf v1.2.0")
    warning = body.index("simulated reviewers")
    assert warning < body.index("## Configs")
    assert "[!WARNING]" in body


@pytest.mark.parametrize(
    ("rows", "label"),
    [
        (0, "n<1K"),
        (999, "n<1K"),
        (1_000, "1K<n<10K"),
        (99_999, "10K<n<100K"),
        (1_000_000, "1M<n<10M"),
        (10**13, "n>1T"),
    ],
)
def test_size_category(rows: int, label: str) -> None:
    assert size_category(rows) == label


def test_config_without_files_is_named(qa: QAReport) -> None:
    with pytest.raises(ValueError, match="'sft'.*train"):
        _render(qa, configs=CONFIGS | {"sft": {"train": []}})
    with pytest.raises(ValueError, match="no configs"):
        _render(qa, configs={})


def test_trainer_notes_follow_the_configs_present(qa: QAReport) -> None:
    only_rlvr = DatasetCard(_render(qa, configs={"rlvr": CONFIGS["rlvr"]})).text
    assert 'load_dataset("acme/code-rlhf", "rlvr", revision="v1.2.0")' in only_rlvr
    assert "GRPOTrainer" in only_rlvr
    assert "DPOTrainer" not in only_rlvr and "train_dpo" not in only_rlvr
