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

VERL = pa.schema(  # verl's RLHFDataset layout (factory.packaging.verl)
    [
        pa.field("data_source", pa.string(), nullable=False),
        pa.field("prompt", MESSAGES, nullable=False),
        pa.field("ability", pa.string(), nullable=False),
        pa.field(
            "reward_model",
            pa.struct([("style", pa.string()), ("ground_truth", pa.string())]),
            nullable=False,
        ),
        pa.field(
            "extra_info",
            pa.struct(
                [
                    ("split", pa.string()),
                    ("index", pa.int64()),
                    ("id", pa.string()),
                    ("prompt_id", pa.int64()),
                    ("language", pa.string()),
                    ("task_type", pa.string()),
                ]
            ),
            nullable=False,
        ),
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

# Work beyond pairs: each row names the submission it was built from (`submission_id`) and the
# task (`task_id`), so every other submission of the task is found from it.
SPAN = pa.struct(
    [
        ("start_line", pa.int64()),
        ("end_line", pa.int64()),
        ("category", pa.string()),
        ("severity", pa.string()),
        ("cwe", pa.string()),
        ("comment", pa.string()),
        ("suggested_fix", pa.string()),
    ]
)
CHECK = pa.struct(  # one sandbox check a submission passed on submit
    [
        ("check", pa.string()),
        ("verdict", pa.string()),
        ("tests_passed", pa.int64()),
        ("tests_total", pa.int64()),
    ]
)
NOTE = pa.struct([("seconds_in", pa.float64()), ("text", pa.string())])
STEP = pa.struct(
    [
        ("position", pa.int64()),
        ("move", pa.string()),
        ("why", pa.string()),
        ("code", pa.string()),
        ("verdict", pa.string()),
        ("tests_passed", pa.int64()),
        ("tests_total", pa.int64()),
        ("breaks_tests", pa.bool_()),
    ]
)
DIMENSION_SCORES = pa.struct([(d.value, pa.float64()) for d in DIMENSIONS])


def _lineage(*, candidate: bool = False) -> list[pa.Field]:
    fields = [
        pa.field("prompt_id", pa.int64(), nullable=False),
        pa.field("task_id", pa.int64(), nullable=False),
        pa.field("submission_id", pa.int64(), nullable=False),
    ]
    if candidate:
        fields.append(pa.field("candidate_id", pa.int64()))  # None: the record's own code
    return fields


def _about() -> list[pa.Field]:
    return [
        pa.field("language", pa.string()),
        pa.field("task_type", pa.string()),
        pa.field("rubric_version", pa.string()),
        pa.field("simulated_labels", pa.bool_()),
    ]


RANKING_PAIRS = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("prompt", pa.string(), nullable=False),
        pa.field("chosen", pa.string(), nullable=False),
        pa.field("rejected", pa.string(), nullable=False),
        pa.field("prompt_id", pa.int64(), nullable=False),
        pa.field("task_id", pa.int64(), nullable=False),
        pa.field("chosen_candidate_id", pa.int64(), nullable=False),
        pa.field("rejected_candidate_id", pa.int64(), nullable=False),
        pa.field("submission_ids", pa.list_(pa.int64()), nullable=False),  # every ranker's
        pa.field("language", pa.string()),
        pa.field("task_type", pa.string()),
        pa.field("margin", pa.float64()),  # rejected's mean rank minus chosen's (> 0)
        pa.field("chosen_rank", pa.float64()),  # mean rank over the rankers, 1 = best
        pa.field("rejected_rank", pa.float64()),
        pa.field("n_rankers", pa.int64()),
        pa.field("rationale", pa.string()),
        pa.field("simulated_labels", pa.bool_()),
        pa.field("chosen_model", pa.string()),
        pa.field("rejected_model", pa.string()),
        pa.field("chosen_origin", pa.string()),
        pa.field("rejected_origin", pa.string()),
        pa.field("chosen_verdict", pa.string()),
        pa.field("rejected_verdict", pa.string()),
        *SCORE_FIELDS,
    ]
)

RANKING_LISTWISE = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("prompt", pa.string(), nullable=False),
        pa.field("completions", pa.list_(pa.string()), nullable=False),  # best first
        pa.field("candidate_ids", pa.list_(pa.int64()), nullable=False),  # same order
        pa.field("ranks", pa.list_(pa.float64()), nullable=False),  # mean rank, same order
        pa.field("scores", pa.list_(DIMENSION_SCORES)),  # mean dimension scores, same order
        pa.field("models", pa.list_(pa.string())),
        pa.field("verdicts", pa.list_(pa.string())),
        pa.field("strict", pa.bool_()),  # no two candidates share a mean rank
        pa.field("n_rankers", pa.int64()),
        pa.field("rationale", pa.string()),
        pa.field("prompt_id", pa.int64(), nullable=False),
        pa.field("task_id", pa.int64(), nullable=False),
        pa.field("submission_ids", pa.list_(pa.int64()), nullable=False),
        pa.field("language", pa.string()),
        pa.field("task_type", pa.string()),
        pa.field("simulated_labels", pa.bool_()),
    ]
)

CODE_REVIEW = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("prompt", pa.string(), nullable=False),  # the task the code was written for
        pa.field("code", pa.string(), nullable=False),
        pa.field("spans", pa.list_(SPAN), nullable=False),
        pa.field("clean", pa.bool_()),  # the reviewer found nothing (then no spans)
        pa.field("summary", pa.string()),
        pa.field("n_reviewers", pa.int64()),  # submissions on the same task
        pa.field("code_source", pa.string()),  # candidate | record
        *_lineage(candidate=True),
        *_about(),
    ]
)

CODE_REVIEW_REWARD = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("prompt", pa.string(), nullable=False),
        pa.field("completion", pa.string(), nullable=False),
        pa.field("score", pa.float64(), nullable=False),  # review_score of the spans, 0..1
        pa.field("spans", pa.list_(SPAN), nullable=False),
        pa.field("clean", pa.bool_()),
        *_lineage(candidate=True),
        *_about(),
    ]
)

BUG_FIX_SFT = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("messages", MESSAGES, nullable=False),
        pa.field("root_cause", pa.string()),
        pa.field("cause_category", pa.string()),
        pa.field("how_found", pa.string()),
        pa.field("buggy_code", pa.string()),
        pa.field("fixed_code", pa.string()),
        pa.field("regression_test", pa.string()),
        pa.field("checks", pa.list_(CHECK)),
        *_lineage(candidate=True),
        *_about(),
    ]
)

BUG_FIX_PAIRS = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("prompt", pa.string(), nullable=False),
        pa.field("chosen", pa.string(), nullable=False),  # the fix
        pa.field("rejected", pa.string(), nullable=False),  # the buggy code
        pa.field("root_cause", pa.string()),
        pa.field("cause_category", pa.string()),
        *_lineage(candidate=True),
        *_about(),
    ]
)

AUTHORING = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("messages", MESSAGES, nullable=False),
        pa.field("solution", pa.string(), nullable=False),
        pa.field("tests", pa.string()),  # written by the author; "" when the prompt's were used
        pa.field("prompt_had_tests", pa.bool_()),
        pa.field("approach", pa.string()),
        pa.field("checks", pa.list_(CHECK)),
        pa.field("cross_checks_passed", pa.int64()),  # against other authors' tests
        pa.field("cross_checks_made", pa.int64()),
        *_lineage(),
        *_about(),
    ]
)

REFACTORING_STEPS = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("prompt", pa.string(), nullable=False),
        pa.field("completions", pa.list_(pa.string()), nullable=False),  # one per step
        pa.field("labels", pa.list_(pa.bool_()), nullable=False),  # the step keeps tests green
        *_lineage(candidate=True),
        *_about(),
    ]
)

REFACTORING_SFT = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("messages", MESSAGES, nullable=False),
        pa.field("goal", pa.string()),
        pa.field("start_code", pa.string()),
        pa.field("final_code", pa.string()),
        pa.field("steps", pa.list_(STEP)),
        pa.field("steps_breaking_tests", pa.int64()),
        *_lineage(candidate=True),
        *_about(),
    ]
)

REASONING = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("messages", MESSAGES, nullable=False),
        # The user turn. Not `prompt`: TRL's SFTTrainer would read a `prompt` column as the
        # prompt-completion type and ignore `messages`.
        pa.field("request", pa.string(), nullable=False),
        pa.field("notes", pa.list_(NOTE), nullable=False),  # in the order they were written
        pa.field("reasoning", pa.string(), nullable=False),
        pa.field("answer", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),  # the work the notes were written beside
        pa.field("approach", pa.string()),
        pa.field("prompt_id", pa.int64(), nullable=False),
        pa.field("task_id", pa.int64(), nullable=False),
        pa.field("submission_id", pa.int64()),  # None for a pairwise review's notes
        pa.field("annotation_id", pa.int64()),  # the pairwise review, else None
        pa.field("candidate_id", pa.int64()),
        pa.field("seconds_spent", pa.float64()),
        *_about(),
    ]
)

WORK_SCHEMAS: dict[str, pa.Schema] = {
    "ranking_pairs": RANKING_PAIRS,
    "ranking_listwise": RANKING_LISTWISE,
    "code_review": CODE_REVIEW,
    "code_review_reward": CODE_REVIEW_REWARD,
    "bug_fix_sft": BUG_FIX_SFT,
    "bug_fix_pairs": BUG_FIX_PAIRS,
    "authoring": AUTHORING,
    "reasoning": REASONING,
    "refactoring_steps": REFACTORING_STEPS,
    "refactoring_sft": REFACTORING_SFT,
}

SCHEMAS: dict[str, pa.Schema] = {
    "dpo": DPO,
    "dpo_conversational": DPO_CONVERSATIONAL,
    "rlvr": RLVR,
    "verl": VERL,
    "sft": SFT,
    "reward": REWARD,
    "swe": SWE,
    **WORK_SCHEMAS,
}
