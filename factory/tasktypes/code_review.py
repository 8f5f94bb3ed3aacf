"""Code review: line spans marked with a category, a severity, a CWE for security findings, a
comment and an optional suggested fix, against a rubric that separates defects from taste.

Subject: a candidate (`candidate_a_id`) or the record's `code`. Payload: `spans` (a list of
{start_line, end_line, category, severity, cwe, comment, suggested_fix}), `clean` (true when
the reviewer found nothing: then there are no spans) and `summary`. A suggested fix is checked
in the sandbox: applied to the code, it must not make passing tests fail.
"""

import json
import re
from typing import Any

from sqlmodel import Session

from factory.models import Prompt, ReviewSpan
from factory.settings import ReviewSettings
from factory.tasktypes.base import (
    Fields,
    Payload,
    PlannedWork,
    RepoSession,
    Rubric,
    RunCode,
    Verification,
    WorkContext,
    WorkError,
    WorkRefused,
    WorkType,
    optional_text,
)
from factory.tasktypes.checking import describe, need_sandbox, record, sandbox_fault
from factory.tasktypes.subjects import code_subjects
from factory.vocab import Verdict, WorkKind

CATEGORIES = ("defect", "security", "performance", "readability", "style", "maintainability")
SEVERITIES = ("low", "medium", "high", "critical")
SEVERITY_WEIGHT = {"low": 1, "medium": 2, "high": 3, "critical": 4}
CWE = re.compile(r"^CWE-[1-9][0-9]{0,4}$")
MAX_SPANS = 50
MAX_COMMENT_CHARS = 4_000
MAX_FIX_CHARS = 20_000

RUBRIC = Rubric(
    version="code-review-1",
    summary="Mark each problem on the lines where it is, say what kind it is and how bad, and "
    "what you would write instead.",
    sections=(
        (
            "Defect",
            "The code does the wrong thing for some input the task allows: a wrong "
            "result, a crash, a hang, lost data. Name the input. A defect is never a preference.",
        ),
        (
            "Security",
            "Input can make the code do what its author did not intend (injection, "
            "path traversal, unsafe deserialisation, secrets in code). Give the CWE number.",
        ),
        ("Performance", "Needlessly worse complexity or resource use for realistic input."),
        (
            "Readability / maintainability",
            "A reader would misunderstand or struggle to change "
            "it: misleading names, hidden coupling, dead code. Preferences of taste are style.",
        ),
        ("Style", "Departs from the language's conventions; never more than low severity."),
        (
            "Severity",
            "critical: exploitable or data-losing; high: wrong on ordinary input; "
            "medium: wrong on edge cases or costly; low: cosmetic.",
        ),
        ("No findings", "Tick 'no issues found' only after reading every line."),
    ),
)


def parse_spans(raw: str, n_lines: int, where: str) -> list[dict[str, Any]]:
    try:
        items = json.loads(raw or "[]")
    except json.JSONDecodeError:
        raise WorkError(f"{where}: the spans are not valid JSON") from None
    if not isinstance(items, list):
        raise WorkError(f"{where}: the spans must be a list")
    if len(items) > MAX_SPANS:
        raise WorkError(f"{where}: at most {MAX_SPANS} spans")
    spans = []
    for number, item in enumerate(items, 1):
        label = f"{where}: span {number}"
        if not isinstance(item, dict):
            raise WorkError(f"{label} is not an object")
        try:
            start, end = int(item.get("start_line", 0)), int(item.get("end_line", 0))
        except (TypeError, ValueError):
            raise WorkError(f"{label}: its lines must be numbers") from None
        if not 1 <= start <= end <= n_lines:
            raise WorkError(f"{label}: lines {start}-{end} are not within the code's 1-{n_lines}")
        category = str(item.get("category", ""))
        if category not in CATEGORIES:
            raise WorkError(f"{label}: category {category!r} is not one of {list(CATEGORIES)}")
        severity = str(item.get("severity", ""))
        if severity not in SEVERITIES:
            raise WorkError(f"{label}: severity {severity!r} is not one of {list(SEVERITIES)}")
        cwe = str(item.get("cwe", "") or "").strip().upper()
        if category == "security" and not CWE.match(cwe):
            raise WorkError(f"{label}: a security finding needs its CWE, as CWE-<number>")
        if cwe and not CWE.match(cwe):
            raise WorkError(f"{label}: {cwe!r} is not a CWE id (CWE-<number>)")
        if category == "style" and severity != "low":
            raise WorkError(f"{label}: style findings are low severity by the rubric")
        comment = str(item.get("comment", "")).strip()
        if not comment:
            raise WorkError(f"{label}: a comment is required")
        if len(comment) > MAX_COMMENT_CHARS:
            raise WorkError(f"{label}: the comment is longer than {MAX_COMMENT_CHARS} characters")
        fix = str(item.get("suggested_fix", "") or "").replace("\r\n", "\n")
        if len(fix) > MAX_FIX_CHARS:
            raise WorkError(f"{label}: the suggested fix is longer than {MAX_FIX_CHARS}")
        spans.append(
            {
                "start_line": start,
                "end_line": end,
                "category": category,
                "severity": severity,
                "cwe": cwe,
                "comment": comment,
                "suggested_fix": fix.rstrip("\n"),
            }
        )
    return spans


def apply_fix(code: str, span: dict[str, Any]) -> str:
    """The code with the span's lines replaced by its suggested fix."""
    lines = code.splitlines()
    start, end = span["start_line"], span["end_line"]
    replaced = lines[: start - 1] + span["suggested_fix"].splitlines() + lines[end:]
    return "\n".join(replaced) + "\n"


def review_score(spans: list[dict[str, Any]]) -> float:
    """1.0 for code with no findings, lower with each finding by its severity (to 0.0)."""
    weight = sum(SEVERITY_WEIGHT[s["severity"]] for s in spans)
    return round(max(0.0, 1.0 - weight / 8), 4)


class CodeReviewWork(WorkType):
    kind = WorkKind.CODE_REVIEW
    title = "Code review"
    rubric = RUBRIC
    template = "work_code_review.html"
    checked_in_sandbox = True

    def plan(self, session: Session, prompt: Prompt, settings: ReviewSettings) -> list[PlannedWork]:
        return code_subjects(session, prompt, verdicts=None, limit=settings.subjects_per_prompt)

    def parse(self, fields: Fields, context: WorkContext) -> Payload:
        n_lines = max(1, len(context.code.splitlines()))
        spans = parse_spans(str(fields.get("spans", "")), n_lines, context.where)
        clean = fields.get("clean") in ("1", "on", "true")
        if clean and spans:
            raise WorkError(f"{context.where}: 'no issues found' is ticked but spans are marked")
        if not clean and not spans:
            raise WorkError(
                f"{context.where}: mark at least one span, or tick 'no issues found' after "
                "reading every line"
            )
        summary = optional_text(
            fields, "summary", "the summary", limit=MAX_COMMENT_CHARS, where=context.where
        )
        return {"spans": spans, "clean": clean, "summary": summary}

    def verify(
        self,
        payload: Payload,
        context: WorkContext,
        run: RunCode | None,
        repo: RepoSession | None = None,
    ) -> Verification:
        fixes = [s for s in payload["spans"] if s["suggested_fix"].strip()]
        if not fixes or not context.tests.strip():
            return Verification()
        run = need_sandbox(run, context)
        before = run(context.code, context.tests)
        sandbox_fault(before, context)
        checks = [record("code as reviewed", before)]
        if before.verdict != Verdict.PASSED:
            return Verification(tuple(checks))  # the tests say nothing about a fix to broken code
        for span in fixes:
            after = run(apply_fix(context.code, span), context.tests)
            sandbox_fault(after, context)
            name = f"fix of lines {span['start_line']}-{span['end_line']}"
            checks.append(record(name, after))
            if after.verdict != Verdict.PASSED:
                raise WorkRefused(
                    f"{context.where}: the suggested {name} makes the tests fail, and the code "
                    f"passed them as it was: {describe(after)}"
                )
        return Verification(tuple(checks))

    def store(self, session: Session, submission_id: int, payload: Payload) -> None:
        for span in payload["spans"]:
            session.add(ReviewSpan(submission_id=submission_id, **span))

    def answer_text(self, payload: Payload) -> str:
        if payload["clean"]:
            return "No issues found. " + payload["summary"]
        return "\n".join(
            f"Lines {s['start_line']}-{s['end_line']} [{s['category']}, {s['severity']}"
            f"{', ' + s['cwe'] if s['cwe'] else ''}]: {s['comment']}"
            for s in payload["spans"]
        )
