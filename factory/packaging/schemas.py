"""Arrow schemas of every released config: the contract with trainers and with the gate."""

import pyarrow as pa

from factory.vocab import DIMENSIONS

MESSAGE = pa.struct([("role", pa.string()), ("content", pa.string())])
MESSAGES = pa.list_(MESSAGE)
SCORE_FIELDS = [pa.field(f"{side}_{d}", pa.float64()) for side in ("chosen", "rejected")
                for d in DIMENSIONS]  # fmt: skip


def _dpo(text_type: pa.DataType) -> pa.Schema:
    return pa.schema(
        [
            pa.field("id", pa.string(), nullable=False),
            pa.field("prompt", text_type, nullable=False),
            pa.field("chosen", text_type, nullable=False),
            pa.field("rejected", text_type, nullable=False),
            pa.field("prompt_id", pa.int64(), nullable=False),
            pa.field("task_id", pa.int64(), nullable=False),
            pa.field("chosen_candidate_id", pa.int64(), nullable=False),
            pa.field("rejected_candidate_id", pa.int64(), nullable=False),
            pa.field("language", pa.string()),
            pa.field("task_type", pa.string()),
            pa.field("strength", pa.float64()),
            pa.field("label_source", pa.string()),
            pa.field("rationale", pa.string()),
            pa.field("n_reviews", pa.int64()),
            pa.field("simulated_labels", pa.bool_()),
            pa.field("chosen_model", pa.string()),
            pa.field("rejected_model", pa.string()),
            # generated | replayed | reference: a replayed candidate's `*_model` is the label its
            # file recorded, not a model the factory ran.
            pa.field("chosen_origin", pa.string()),
            pa.field("rejected_origin", pa.string()),
            pa.field("chosen_verdict", pa.string()),
            pa.field("rejected_verdict", pa.string()),
            *SCORE_FIELDS,
        ]
    )


DPO = _dpo(pa.string())
DPO_CONVERSATIONAL = _dpo(MESSAGES)

RLVR = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("prompt", MESSAGES, nullable=False),
        pa.field("prompt_id", pa.int64(), nullable=False),
        pa.field("external_id", pa.string()),
        pa.field("language", pa.string()),
        pa.field("task_type", pa.string()),
        pa.field("tests", pa.string()),
        pa.field("entry_point", pa.string()),
        pa.field("test_style", pa.string()),
        pa.field("time_limit_s", pa.float64()),
        pa.field("memory_limit_mb", pa.int64()),
        pa.field("compile_time_limit_s", pa.float64()),
        pa.field("verification_info", pa.string()),
    ]
)

SFT = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("messages", MESSAGES, nullable=False),
        pa.field("prompt_id", pa.int64(), nullable=False),
        pa.field("candidate_id", pa.int64()),
        pa.field("source", pa.string()),  # reference | reviewed_candidate
        pa.field("model", pa.string()),
        pa.field("origin", pa.string()),  # generated | replayed | reference
        pa.field("language", pa.string()),
        pa.field("task_type", pa.string()),
    ]
)

REWARD = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("prompt", pa.string(), nullable=False),
        pa.field("completion", pa.string(), nullable=False),
        pa.field("prompt_id", pa.int64(), nullable=False),
        pa.field("candidate_id", pa.int64(), nullable=False),
        pa.field("model", pa.string()),
        pa.field("origin", pa.string()),  # generated | replayed
        pa.field("language", pa.string()),
        pa.field("task_type", pa.string()),
        pa.field("verdict", pa.string()),
        pa.field("n_reviews", pa.int64()),
        pa.field("score", pa.float64()),  # mean of the dimension means
        *[pa.field(d, pa.float64()) for d in DIMENSIONS],
    ]
)

SWE = pa.schema(
    [
        pa.field("instance_id", pa.string(), nullable=False),
        pa.field("repo", pa.string(), nullable=False),
        pa.field("base_commit", pa.string(), nullable=False),
        pa.field("patch", pa.string(), nullable=False),
        pa.field("test_patch", pa.string(), nullable=False),
        pa.field("problem_statement", pa.string(), nullable=False),
        pa.field("hints_text", pa.string()),
        pa.field("created_at", pa.string()),
        pa.field("version", pa.string()),
        pa.field("FAIL_TO_PASS", pa.string(), nullable=False),  # JSON list, as SWE-bench's
        pa.field("PASS_TO_PASS", pa.string(), nullable=False),
        pa.field("environment_setup_commit", pa.string()),
        pa.field("language", pa.string()),
        pa.field("image", pa.string()),
        pa.field("image_recipe", pa.string()),
        pa.field("test_files", pa.list_(pa.string())),
        pa.field("test_command", pa.string()),
        pa.field("grade_command", pa.string()),
        pa.field("snapshot_id", pa.string()),
    ]
)

SCHEMAS: dict[str, pa.Schema] = {
    "dpo": DPO,
    "dpo_conversational": DPO_CONVERSATIONAL,
    "rlvr": RLVR,
    "sft": SFT,
    "reward": REWARD,
    "swe": SWE,
}
