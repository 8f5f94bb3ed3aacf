"""verl's RL rows: the layout `verl.utils.dataset.RLHFDataset` reads and its reward managers
hand to `compute_score(data_source, solution_str, ground_truth, extra_info)`.

`prompt` is the chat messages, `ability` is "code", `reward_model` is {"style": "rule",
"ground_truth": <the rlvr row's verification_info JSON>} and `extra_info` carries the split, the
row's index within it and where the row came from. The release's `rewards/code_reward.py`
defines the `compute_score` that judges a response against that ground truth.
"""

from typing import Any

VERL = "verl"
DATA_SOURCE = "code-rlhf-factory"


def verl_row(rlvr: dict[str, Any], *, split: str, index: int) -> dict[str, Any]:
    """The verl row for one rlvr row (its `verification_info` is the ground truth)."""
    return {
        "data_source": DATA_SOURCE,
        "prompt": rlvr["prompt"],
        "ability": "code",
        "reward_model": {"style": "rule", "ground_truth": rlvr["verification_info"]},
        "extra_info": {
            "split": split,
            "index": index,
            "id": rlvr["id"],
            "prompt_id": rlvr["prompt_id"],
            "language": rlvr["language"],
            "task_type": rlvr["task_type"],
        },
    }
