"""Rows of the configs built from one submission each: code review (records and pointwise
reward data), bug fix (SFT conversations and fix-over-bug pairs), authoring (SFT) and
refactoring (TRL's stepwise supervision, and SFT conversations).

Every row's id is `submission-<id>`, unique within its config; `task_id` finds the other
submissions of the same task.
"""

from typing import Any

from factory.packaging.submissions import SubmissionInfo
from factory.packaging.work_text import (
    conversation,
    fenced,
    fix_request,
    refactor_request,
    refactoring_goal,
)
from factory.tasktypes.bug_fix import answer_markdown
from factory.tasktypes.code_review import review_score
from factory.tasktypes.cross import cross_pass_rate
from factory.vocab import Verdict

CODE_REVIEW, CODE_REVIEW_REWARD = "code_review", "code_review_reward"
BUG_FIX_SFT, BUG_FIX_PAIRS = "bug_fix_sft", "bug_fix_pairs"
AUTHORING = "authoring"
REFACTORING_STEPS, REFACTORING_SFT = "refactoring_steps", "refactoring_sft"


def row_key(submission: SubmissionInfo) -> str:
    return f"submission-{submission.submission_id}"


def _common(submission: SubmissionInfo, *, candidate: bool = True) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "prompt_id": submission.prompt.prompt_id,
        "task_id": submission.task_id,
        "submission_id": submission.submission_id,
    }
    if candidate:
        fields["candidate_id"] = submission.candidate_id
    return fields | {
        "language": submission.prompt.language,
        "task_type": submission.prompt.task_type,
        "rubric_version": submission.rubric_version,
        "simulated_labels": submission.simulated,
    }


def _checks(submission: SubmissionInfo) -> list[dict[str, Any]]:
    return [
        {
            "check": str(c.get("check", "")),
            "verdict": str(c.get("verdict", "")),
            "tests_passed": int(c.get("tests_passed", 0)),
            "tests_total": int(c.get("tests_total", 0)),
        }
        for c in submission.verification.get("checks", [])
    ]


def _spans(submission: SubmissionInfo) -> list[dict[str, Any]]:
    return [
        {
            "start_line": int(s["start_line"]),
            "end_line": int(s["end_line"]),
            "category": s["category"],
            "severity": s["severity"],
            "cwe": s.get("cwe", ""),
            "comment": s["comment"],
            "suggested_fix": s.get("suggested_fix", ""),
        }
        for s in submission.payload.get("spans", [])
    ]


def code_review_row(submission: SubmissionInfo) -> dict[str, Any]:
    payload = submission.payload
    return {
        "id": row_key(submission),
        "prompt": submission.prompt.prompt,
        "code": submission.code,
        "spans": _spans(submission),
        "clean": bool(payload.get("clean")),
        "summary": payload.get("summary", ""),
        "n_reviewers": submission.answers,
        "code_source": "candidate" if submission.candidate is not None else "record",
        **_common(submission),
    }


def code_review_reward_row(submission: SubmissionInfo) -> dict[str, Any]:
    spans = _spans(submission)
    return {
        "id": row_key(submission),
        "prompt": submission.prompt.prompt,
        "completion": fenced(submission.code, submission.prompt.language),
        "score": review_score(spans),
        "spans": spans,
        "clean": bool(submission.payload.get("clean")),
        **_common(submission),
    }


def bug_fix_sft_row(submission: SubmissionInfo) -> dict[str, Any]:
    payload, language = submission.payload, submission.prompt.language
    fence = "````" if "```" in payload["fixed_code"] + payload["regression_test"] else "```"
    user = fix_request(submission.prompt.prompt, submission.code, language)
    return {
        "id": row_key(submission),
        "messages": conversation(user, answer_markdown(payload, fence=fence, language=language)),
        "root_cause": payload["root_cause"],
        "cause_category": payload["cause_category"],
        "how_found": payload["how_found"],
        "buggy_code": submission.code,
        "fixed_code": payload["fixed_code"],
        "regression_test": payload["regression_test"],
        "checks": _checks(submission),
        **_common(submission),
    }


def bug_fix_pair_row(submission: SubmissionInfo) -> dict[str, Any]:
    payload, language = submission.payload, submission.prompt.language
    return {
        "id": row_key(submission),
        "prompt": submission.prompt.prompt,
        "chosen": fenced(payload["fixed_code"], language),
        "rejected": fenced(submission.code, language),
        "root_cause": payload["root_cause"],
        "cause_category": payload["cause_category"],
        **_common(submission),
    }


def authoring_row(submission: SubmissionInfo) -> dict[str, Any]:
    payload, prompt = submission.payload, submission.prompt
    had_tests = submission.subject.get("has_tests", bool(prompt.tests.strip()))
    passed, made = cross_pass_rate(submission.verification.get("cross", []))
    return {
        "id": row_key(submission),
        "messages": conversation(prompt.prompt, fenced(payload["solution"], prompt.language)),
        "solution": payload["solution"],
        "tests": payload.get("tests", ""),
        "prompt_had_tests": bool(had_tests),
        "approach": payload.get("approach", ""),
        "checks": _checks(submission),
        "cross_checks_passed": passed,
        "cross_checks_made": made,
        **_common(submission, candidate=False),
    }


def _steps(submission: SubmissionInfo) -> list[dict[str, Any]]:
    steps = []
    for position, step in enumerate(submission.payload["steps"], 1):
        verdict = str(step.get("verdict", ""))
        steps.append(
            {
                "position": position,
                "move": step.get("move", ""),
                "why": step["why"],
                "code": step["code"],
                "verdict": verdict,
                "tests_passed": int(step.get("tests_passed", 0)),
                "tests_total": int(step.get("tests_total", 0)),
                "breaks_tests": bool(step.get("breaks_tests", verdict != Verdict.PASSED)),
            }
        )
    return steps


def _step_text(step: dict[str, Any], language: str) -> str:
    return (
        f"Step {step['position']} ({step['move']}): {step['why']}\n{fenced(step['code'], language)}"
    )


def _request(submission: SubmissionInfo) -> str:
    prompt = submission.prompt
    return refactor_request(
        prompt.prompt, submission.code, prompt.language, refactoring_goal(submission)
    )


def refactoring_steps_row(submission: SubmissionInfo) -> dict[str, Any]:
    """TRL's stepwise supervision: one completion per step, labelled True when the tests
    still pass after it."""
    steps, language = _steps(submission), submission.prompt.language
    return {
        "id": row_key(submission),
        "prompt": _request(submission),
        "completions": [_step_text(step, language) for step in steps],
        "labels": [not step["breaks_tests"] for step in steps],
        **_common(submission),
    }


def refactoring_sft_row(submission: SubmissionInfo) -> dict[str, Any]:
    steps, language = _steps(submission), submission.prompt.language
    lines = []
    for step in steps:
        broke = (
            " (this step broke the tests; a later one repairs them)" if step["breaks_tests"] else ""
        )
        lines.append(f"{step['position']}. {step['move']}: {step['why']}{broke}")
    final = steps[-1]["code"]
    answer = "Steps:\n" + "\n".join(lines) + f"\n\nFinal code:\n{fenced(final, language)}"
    return {
        "id": row_key(submission),
        "messages": conversation(_request(submission), answer),
        "goal": refactoring_goal(submission),
        "start_code": submission.code,
        "final_code": final,
        "steps": steps,
        "steps_breaking_tests": sum(step["breaks_tests"] for step in steps),
        **_common(submission),
    }
