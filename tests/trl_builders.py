"""One TRL DPO step on a released preference config, with a tiny random Llama and a tokenizer
trained on the rows themselves: nothing is downloaded. Needs the `train` extra."""

import copy
import math
from pathlib import Path
from typing import Any


def tokenizer_for(texts: list[str]) -> Any:
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


def tiny_llama(tokenizer: Any) -> Any:
    """A one-layer Llama with random weights (seeded) over `tokenizer`'s vocabulary."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    return LlamaForCausalLM(
        LlamaConfig(
            vocab_size=len(tokenizer),
            hidden_size=16,
            intermediate_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            num_key_value_heads=2,
            max_position_embeddings=512,
            pad_token_id=tokenizer.pad_token_id,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
        )
    )


def one_dpo_step(dataset: Any, out: Path) -> None:
    """Train one DPO step on `dataset` (prompt/chosen/rejected strings) and check it learned:
    the first loss is ln 2 (policy equals reference) and some parameter moved."""
    import torch
    from trl import DPOConfig, DPOTrainer

    texts = [row[key] for row in dataset for key in ("prompt", "chosen", "rejected")]
    tokenizer = tokenizer_for(texts)
    model = tiny_llama(tokenizer)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    args = DPOConfig(
        output_dir=str(out),
        max_steps=1,
        per_device_train_batch_size=2,
        learning_rate=1e-2,
        max_length=256,
        use_cpu=True,
        report_to="none",
        save_strategy="no",
        logging_steps=1,
    )
    trainer = DPOTrainer(
        model=model,
        ref_model=copy.deepcopy(model),  # an instance: TRL would otherwise load it by name
        args=args,
        train_dataset=dataset,
        processing_class=tokenizer,
    )
    result = trainer.train()
    assert result.global_step == 1
    assert math.isclose(result.training_loss, math.log(2), rel_tol=1e-4)
    changed = [n for n, p in model.named_parameters() if not torch.equal(before[n], p.detach())]
    assert changed, "the DPO step updated no parameter"


CHAT_TEMPLATE = (
    "{% for message in messages %}{{ message['role'] }}: {{ message['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant: {% endif %}"
)


def one_sft_step(dataset: Any, out: Path) -> None:
    """Train one SFT step on `dataset` as it is (conversational `messages` plus whatever other
    columns it has) and check the loss is finite and some parameter moved."""
    import torch
    from trl import SFTConfig, SFTTrainer

    texts = [m["content"] for row in dataset for m in row["messages"]] + ["user:", "assistant:"]
    tokenizer = tokenizer_for(texts)
    tokenizer.chat_template = CHAT_TEMPLATE
    model = tiny_llama(tokenizer)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    args = SFTConfig(
        output_dir=str(out),
        max_steps=1,
        per_device_train_batch_size=2,
        learning_rate=1e-2,
        max_length=256,
        use_cpu=True,
        report_to="none",
        save_strategy="no",
        logging_steps=1,
    )
    trainer = SFTTrainer(model=model, args=args, train_dataset=dataset, processing_class=tokenizer)
    result = trainer.train()
    assert result.global_step == 1 and math.isfinite(result.training_loss)
    changed = [n for n, p in model.named_parameters() if not torch.equal(before[n], p.detach())]
    assert changed, "the SFT step updated no parameter"
