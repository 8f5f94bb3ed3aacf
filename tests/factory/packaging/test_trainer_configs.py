"""Each RL trainer loads a release as it is, and the shipped reward functions score its rows
through a running sandbox service.

verl, OpenRLHF and Axolotl do not install here (they need GPU stacks: vLLM, Ray, DeepSpeed), so
their loading steps are reproduced as their code does them (verl 0.9 `RLHFDataset` and reward
managers; OpenRLHF 0.11 `prompts_dataset.preprocess_data` / `reward_dataset.preprocess_data`
and its `reward_func` loader; Axolotl 0.19 `dpo.chatml.default` / `dpo.chat_template.default`);
TRL is installed and runs one real GRPO step with the release's own `rewards/code_reward.py`.
"""

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from release_builders import config, reviewed_batch
from sandbox_service_builders import Service, running_service, service_settings
from sqlalchemy import Engine
from trl_builders import CHAT_TEMPLATE, tiny_llama, tokenizer_for

from factory.packaging.release import build_release
from factory.sandbox.pool import PooledSandbox
from factory.settings import SandboxSettings

pytestmark = [pytest.mark.slow]


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.setenv(name, "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("WANDB_DISABLED", "true")


def built_release(engine: Engine, out: Path, sandbox: SandboxSettings | None = None) -> Path:
    settings = config()
    if sandbox is not None:
        settings = settings.model_copy(update={"sandbox": sandbox})
    batch = reviewed_batch(engine)
    return Path(build_release(engine, [batch.batch_id], settings, out_root=out).path)


@pytest.fixture
def release(sqlite_engine: Engine, tmp_path: Path) -> Path:
    return built_release(sqlite_engine, tmp_path / "out")


@pytest.fixture
def judged(sqlite_engine: Engine, tmp_path: Path, docker_sandbox: PooledSandbox) -> Path:
    """A release whose limits are the test sandbox's (as a factory's releases are its own)."""
    return built_release(sqlite_engine, tmp_path / "out", docker_sandbox.settings)


@pytest.fixture
def service(docker_sandbox: PooledSandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[Service]:
    with running_service(docker_sandbox, service_settings(docker_sandbox.settings)) as up:
        monkeypatch.setenv("FACTORY_SANDBOX_URL", up.url)
        monkeypatch.setenv("FACTORY_SANDBOX_TOKEN", up.token or "")
        yield up


def shipped_reward(release: Path) -> ModuleType:
    """The release's reward module, loaded from its file as OpenRLHF and verl load one."""
    spec = importlib.util.spec_from_file_location(
        "reward_func", release / "rewards" / "code_reward.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def solutions(ground_truth: str) -> tuple[str, str]:
    """A canonical and a broken answer for the builders' prompts ("returns its argument
    doubled"), as fenced Python."""
    entry = json.loads(ground_truth)["entry_point"]
    good = f"```python\ndef {entry}(x):\n    return x * 2\n```"
    return good, good.replace("x * 2", "x + 3")


def parquet(release: Path, config_name: str, split: str = "train") -> Any:
    from datasets import load_dataset

    files = str(release / config_name / f"{split}-00000.parquet")
    return load_dataset("parquet", data_files=files, cache_dir=str(release.parent / "cache"))[
        "train"
    ]


@pytest.mark.docker
def test_verl_reads_the_verl_config_and_its_reward_scores_it(
    judged: Path, service: Service
) -> None:
    release = judged
    rows = parquet(release, "verl")  # RLHFDataset._read_files_and_tokenize
    assert set(rows.column_names) == {
        "data_source",
        "prompt",
        "ability",
        "reward_model",
        "extra_info",
    }
    compute_score = shipped_reward(release).compute_score  # custom_reward_function.name
    for position in range(len(rows)):
        row = dict(rows[position])  # RLHFDataset.__getitem__
        raw_prompt = row["prompt"]
        assert raw_prompt[0]["role"] == "user" and raw_prompt[0]["content"]
        assert row["ability"] == "code" and row["reward_model"]["style"] == "rule"
        assert row["extra_info"]["index"] == position and row["extra_info"]["split"] == "train"
        # The naive reward manager's call, with the response alone as solution_str.
        truth = row["reward_model"]["ground_truth"]
        good, bad = solutions(truth)
        kwargs = {"data_source": row["data_source"], "extra_info": row["extra_info"]}
        assert compute_score(solution_str=good, ground_truth=truth, **kwargs) == 1.0
        assert compute_score(solution_str=bad, ground_truth=truth, **kwargs) == 0.0


def openrlhf_prompt(data: dict, tokenizer: Any, input_key: str, label_key: str) -> tuple[str, str]:
    """prompts_dataset.preprocess_data with --data.apply_chat_template."""
    prompt = tokenizer.apply_chat_template(
        data[input_key], tokenize=False, add_generation_prompt=True
    )
    return prompt, data[label_key]


@pytest.mark.docker
def test_openrlhf_reads_rlvr_with_the_card_flags_and_its_reward_func_scores_it(
    judged: Path, service: Service
) -> None:
    release = judged
    card = (release / "README.md").read_text()
    assert "--data.input_key prompt --data.label_key verification_info" in card
    assert "--data.apply_chat_template --remote_rm_url rewards/code_reward.py" in card
    rows = parquet(release, "rlvr")
    tokenizer = tokenizer_for([m["content"] for r in rows for m in r["prompt"]])
    tokenizer.chat_template = CHAT_TEMPLATE
    reward_func = shipped_reward(release).reward_func  # SingleTurnAgentExecutor's loader
    for row in rows:
        prompt, label = openrlhf_prompt(row, tokenizer, "prompt", "verification_info")
        good, bad = solutions(label)
        # One query at a time, as _fetch_rewards_via_func sends them; the query is the
        # decoded prompt plus response.
        for response, expected in ((good, 1.0), (bad, 0.0)):
            info = reward_func([prompt + response], [prompt], [label])
            assert info["rewards"].tolist() == [expected]
            assert (
                info["scores"] if info.get("scores") is not None else info["rewards"]
            ).tolist() == [expected]


def test_openrlhf_dpo_and_axolotl_read_the_pair_configs_with_the_card_settings(
    release: Path,
) -> None:
    card = (release / "README.md").read_text()
    assert "--data.prompt_key prompt --data.chosen_key chosen --data.rejected_key rejected" in card
    assert "`type: chatml.default`" in card and "`type: chat_template.default`" in card
    conversational = parquet(release, "dpo_conversational")
    tokenizer = tokenizer_for(
        [
            m["content"]
            for r in conversational
            for k in ("prompt", "chosen", "rejected")
            for m in r[k]
        ]
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    template = tokenizer.apply_chat_template
    for data in conversational:
        # OpenRLHF reward_dataset.preprocess_data with prompt_key and a chat template.
        prompt = template(data["prompt"], tokenize=False, add_generation_prompt=True)
        chosen = template(data["prompt"] + data["chosen"], tokenize=False)[len(prompt) :]
        rejected = template(data["prompt"] + data["rejected"], tokenize=False)[len(prompt) :]
        assert prompt.endswith("assistant: ") and chosen and rejected and chosen != rejected
        # Axolotl dpo.chat_template.default with field_messages: prompt.
        messages = [{"role": m["role"], "content": m["content"]} for m in data["prompt"]]
        chosen_msg, rejected_msg = data["chosen"][-1], data["rejected"][-1]
        assert [m["role"] for m in messages] == ["user"]
        assert chosen_msg["role"] == rejected_msg["role"] == "assistant"
    for data in parquet(release, "dpo"):
        # Axolotl dpo.chatml.default: prompt / chosen / rejected strings.
        sample = dict(data)
        keys = [k for k in ("prompt", "input", "question", "instruction") if k in sample]
        assert keys[0] == "prompt" and "chosen" in sample and "rejected" in sample
        assert all(
            isinstance(sample[k], str) and sample[k] for k in ("prompt", "chosen", "rejected")
        )


def test_the_card_loads_the_verl_config_and_names_its_settings(release: Path) -> None:
    from datasets import load_dataset

    card = (release / "README.md").read_text()
    assert "custom_reward_function.path=rewards/code_reward.py" in card
    assert "custom_reward_function.name=compute_score" in card and "data.prompt_key=prompt" in card
    by_card = load_dataset(str(release), "verl", cache_dir=str(release.parent / "cache"))
    assert set(by_card) == {"train", "test"}
    rlvr = parquet(release, "rlvr")
    assert [r["reward_model"]["ground_truth"] for r in by_card["train"]] == rlvr[
        "verification_info"
    ]


@pytest.mark.train
@pytest.mark.docker
def test_one_trl_grpo_step_with_the_shipped_reward(
    judged: Path, service: Service, tmp_path: Path
) -> None:
    from trl import GRPOConfig, GRPOTrainer

    release = judged

    rewards = shipped_reward(release)
    rows = parquet(release, "rlvr")
    words = [m["content"] for r in rows for m in r["prompt"]] + ["user:", "assistant:"]
    words += ["```python\ndef solve_p0(x):\n    return x * 2\n```"]
    tokenizer = tokenizer_for(words)
    tokenizer.chat_template = CHAT_TEMPLATE
    seen: list[list[float]] = []

    def code_reward(completions: list[Any], **columns: Any) -> list[float]:
        assert "verification_info" in columns and "tests" in columns
        scores = rewards.grpo_reward(completions, **columns)
        seen.append(scores)
        return scores

    model = tiny_llama(tokenizer)
    args = GRPOConfig(
        output_dir=str(tmp_path / "grpo"),
        max_steps=1,
        per_device_train_batch_size=2,
        num_generations=2,
        max_completion_length=8,
        learning_rate=1e-2,
        use_cpu=True,
        report_to="none",
        save_strategy="no",
        logging_steps=1,
    )
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=code_reward,
        args=args,
        train_dataset=rows,
        processing_class=tokenizer,
    )
    result = trainer.train()
    assert result.global_step == 1
    assert seen and all(0.0 <= s <= 1.0 for scores in seen for s in scores)
    # A canonical completion gets 1.0 from the same function GRPO called.
    good, _ = solutions(rows[0]["verification_info"])
    column = {k: [rows[0][k]] for k in rows.column_names if k != "prompt"}
    assert rewards.grpo_reward([[{"role": "assistant", "content": good}]], **column) == [1.0]


def test_the_shipped_rewards_are_part_of_the_release_identity(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import factory.rewards

    batch = reviewed_batch(sqlite_engine).batch_id

    def release_folder() -> Path:
        built = build_release(sqlite_engine, [batch], config(), out_root=tmp_path / "out")
        return Path(built.path)

    first = release_folder()
    assert release_folder() == first  # the same data and rewards: the same release
    source = tmp_path / "code_reward.py"
    source.write_text((first / "rewards" / "code_reward.py").read_text() + "\n# fixed\n")
    monkeypatch.setattr(factory.rewards, "SOURCE", source)
    changed = release_folder()
    assert changed != first
    assert (changed / "rewards" / "code_reward.py").read_text().endswith("# fixed\n")
