"""The data card's front matter is what the Hub reads: configs, licence, size category."""

import pytest
import yaml
from huggingface_hub import DatasetCard
from review_data_builder import add_batch, add_prompt
from sqlalchemy import Engine
from sqlmodel import Session

from factory.packaging.datacard import render_data_card, size_category
from factory.packaging.qa_report import QAReport, build_qa_report
from factory.settings import AgreementSettings

CONFIGS = {
    "dpo": {"train": ["dpo/train-00000.parquet"], "test": ["dpo/test-00000.parquet"]},
    "rlvr": {"train": ["rlvr/train-00000.parquet", "rlvr/train-00001.parquet"]},
}


@pytest.fixture
def qa(sqlite_engine: Engine) -> QAReport:
    with Session(sqlite_engine) as session:
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
        "license": "apache-2.0",
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
    assert data["license"] == "apache-2.0"
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
    assert "apache-2.0" in body
    assert "simulated reviewers" not in body


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
    assert "DPOTrainer" not in only_rlvr and "OpenRLHF" not in only_rlvr
