"""A trainer consumes a release as published: the `dpo` config loads with `datasets` (by its
Parquet files, and by the data card's `configs:`), and one TRL DPO step runs on it with a tiny
random Llama and a tokenizer trained on the rows. Nothing is downloaded."""

import copy
import math
from pathlib import Path

import pytest

pytestmark = [pytest.mark.train, pytest.mark.slow]


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.setenv(name, "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("WANDB_DISABLED", "true")


def tokenizer_for(texts: list[str]):  # type: ignore[no-untyped-def]
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["[UNK]", "[PAD]", "[BOS]", "[EOS]"]
    core = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    core.train_from_iterator(texts, trainers.WordLevelTrainer(special_tokens=specials))
    return PreTrainedTokenizerFast(
        tokenizer_object=core,
        unk_token="[UNK]",
        pad_token="[PAD]",
        bos_token="[BOS]",
        eos_token="[EOS]",
    )


def test_the_dpo_config_loads_and_trains_one_trl_step(sqlite_engine, tmp_path):
    import torch
    from datasets import load_dataset
    from release_builders import config, reviewed_batch
    from transformers import LlamaConfig, LlamaForCausalLM
    from trl import DPOConfig, DPOTrainer

    from factory.packaging.release import build_release

    batch = reviewed_batch(sqlite_engine)
    release = build_release(
        sqlite_engine, [batch.batch_id], config(), out_root=tmp_path / "releases"
    )
    folder = Path(release.path)
    cache = str(tmp_path / "datasets-cache")
    by_files = load_dataset(
        "parquet",
        data_files={"train": str(folder / "dpo" / "train-*.parquet")},
        split="train",
        cache_dir=cache,
    )
    by_card = load_dataset(str(folder), "dpo", cache_dir=cache)
    assert set(by_card) == {"train", "test"}
    assert (
        by_card["train"].num_rows
        == by_files.num_rows
        == release.qa_report["packaged"]["dpo"]["train"]
    )
    assert {"prompt", "chosen", "rejected"} <= set(by_files.column_names)
    assert by_card["train"]["id"] == by_files["id"]

    texts = [row[key] for row in by_files for key in ("prompt", "chosen", "rejected")]
    tokenizer = tokenizer_for(texts)
    torch.manual_seed(0)
    model = LlamaForCausalLM(
        LlamaConfig(
            vocab_size=len(tokenizer),
            hidden_size=16,
            intermediate_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            num_key_value_heads=2,
            max_position_embeddings=256,
            pad_token_id=tokenizer.pad_token_id,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
        )
    )
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    args = DPOConfig(
        output_dir=str(tmp_path / "trl-out"),
        max_steps=1,
        per_device_train_batch_size=2,
        learning_rate=1e-2,
        max_length=128,
        use_cpu=True,
        report_to="none",
        save_strategy="no",
        logging_steps=1,
    )
    trainer = DPOTrainer(
        model=model,
        ref_model=copy.deepcopy(model),  # an instance: TRL would otherwise load it by name
        args=args,
        train_dataset=by_files,
        processing_class=tokenizer,
    )
    result = trainer.train()

    assert result.global_step == 1
    # The policy starts equal to the reference, so the first DPO loss is exactly ln 2.
    assert math.isclose(result.training_loss, math.log(2), rel_tol=1e-4)
    changed = [n for n, p in model.named_parameters() if not torch.equal(before[n], p.detach())]
    assert changed, "the DPO step updated no parameter"
    logged = trainer.state.log_history[0]
    assert math.isfinite(logged["logps/chosen"]) and math.isfinite(logged["logps/rejected"])
