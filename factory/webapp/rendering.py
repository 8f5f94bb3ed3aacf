"""What the review page shows about a task: highlighted code, a side-by-side diff, evidence.

Everything that comes from prompts or candidate code reaches the page either through Jinja's
autoescaping or through Pygments and difflib, which both escape their input. Model names and
candidate sources are never loaded into these views: the review is blind.
"""

import difflib
from dataclasses import dataclass, field
from functools import cache, lru_cache

from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound
from sqlalchemy import BindParameter, bindparam, func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from factory.models import Candidate, ExecutionRun, Finding, Prompt, ReviewTask, TestResult
from factory.vocab import Dimension

MAX_TEST_RESULTS = 20
CODE_CSS_CLASS = "hl"

RUBRIC: dict[str, str] = {
    Dimension.CORRECTNESS: "5 passes and handles edge cases; 3 works on the main path; "
    "1 wrong or does not run.",
    Dimension.SECURITY: "5 no unsafe calls or injection paths; 3 minor risk; "
    "1 exploitable (shell, eval, unchecked input).",
    Dimension.READABILITY: "5 clear names and structure, easy to change; 3 followable with "
    "effort; 1 hard to follow.",
    Dimension.EFFICIENCY: "5 right algorithm and complexity; 3 acceptable; "
    "1 needlessly slow or wasteful.",
    Dimension.STYLE: "5 idiomatic and consistent; 3 some lapses; 1 ignores the language's "
    "conventions.",
}


@dataclass(slots=True)
class CandidatePanel:
    """One side of the review page, as the reviewer sees it (no model name, no source)."""

    label: str  # "A" (left) or "B" (right)
    code_html: Markup
    verdict: str
    tests_passed: int
    tests_total: int
    wall_time_s: float | None
    test_results: list[TestResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    metrics: list[Finding] = field(default_factory=list)
    compile_output: str = ""  # what the compiler said (compiled languages), shown when it spoke


@cache
def code_formatter() -> HtmlFormatter:
    return HtmlFormatter(cssclass=CODE_CSS_CLASS, linenos="table", wrapcode=True)


def pygments_css() -> str:
    return code_formatter().get_style_defs(f".{CODE_CSS_CLASS}")


@cache
def _lexer(language: str) -> Lexer:
    # Lexer lookup scans Pygments' registry and plugins: too slow to repeat per page.
    # Every factory.vocab.Language value is a Pygments alias; startinline lets PHP code that
    # does not open with `<?php` highlight as PHP rather than as page text.
    try:
        return get_lexer_by_name(language, stripnl=False, startinline=True)
    except ClassNotFound:
        return TextLexer(stripnl=False)


# Candidate code never changes once stored, and each task is opened by several reviewers (and
# reloaded), so the rendered HTML is worth keeping: it is most of a review page's CPU time.
@lru_cache(maxsize=4096)
def highlight_code(code: str, language: str) -> Markup:
    return Markup(highlight(code, _lexer(language), code_formatter()))  # noqa: S704  (escaped)


class _StableHtmlDiff(difflib.HtmlDiff):
    """difflib numbers each table's anchors from a process-wide counter, which would date a
    pair's first rendering (a gold pair shown for weeks would stand out); one table per page
    needs no unique prefix, so every table gets the same one."""

    def _make_prefix(self) -> None:
        self._prefix = ["from0_", "to0_"]


@lru_cache(maxsize=2048)
def side_by_side_diff(left: str, right: str) -> Markup:
    """difflib's side-by-side table; difflib escapes &, < and > in every line."""
    table = _StableHtmlDiff(tabsize=4, wrapcolumn=72).make_table(
        left.splitlines(), right.splitlines(), "A", "B", context=True, numlines=3
    )
    return Markup(table)  # noqa: S704  (escaped by difflib)


# Prebuilt statements (values bound per call): a review page is built from five queries for
# both candidates together, whatever their number of runs, test results and findings.
_IDS: BindParameter[list[int]] = bindparam("candidate_ids", expanding=True)
_CODES = select(Candidate.id, Candidate.code).where(col(Candidate.id).in_(_IDS))
_RUNS = (
    select(ExecutionRun)
    .where(col(ExecutionRun.candidate_id).in_(_IDS))
    .order_by(
        col(ExecutionRun.candidate_id),
        col(ExecutionRun.attempt).desc(),
        col(ExecutionRun.id).desc(),
    )
)
_numbered = (
    select(
        TestResult,
        func.row_number()
        .over(partition_by=col(TestResult.execution_run_id), order_by=col(TestResult.id))
        .label("position"),
    )
    .where(col(TestResult.execution_run_id).in_(bindparam("run_ids", expanding=True)))
    .subquery()
)
_ranked_result = aliased(TestResult, _numbered)
_RESULTS = (
    select(_ranked_result)
    .where(_numbered.c.position <= MAX_TEST_RESULTS)
    .order_by(col(_ranked_result.id))
)
_FINDINGS = (
    select(Finding)
    .where(col(Finding.candidate_id).in_(_IDS))
    .order_by(col(Finding.dimension), col(Finding.line), col(Finding.id))
)


@dataclass(slots=True)
class ReviewView:
    task: ReviewTask
    prompt: Prompt
    left: CandidatePanel
    right: CandidatePanel
    diff_html: Markup


def review_view(session: Session, task: ReviewTask, *, swapped: bool) -> ReviewView:
    """The page's content for a task, in the order this claim shows it."""
    prompt = session.get(Prompt, task.prompt_id)
    assert prompt is not None
    left_id, right_id = displayed_order(task, swapped=swapped)
    ids = {"candidate_ids": [left_id, right_id]}
    codes: dict[int, str] = dict(session.execute(_CODES, ids).tuples().all())
    latest: dict[int, ExecutionRun] = {}
    for run in session.scalars(_RUNS, ids):
        latest.setdefault(run.candidate_id, run)  # highest attempt first
    results: dict[int, list[TestResult]] = {}
    for run in latest.values():
        assert run.id is not None  # a row read from the database
        results[run.id] = []
    if results:
        for result in session.scalars(_RESULTS, {"run_ids": list(results)}):
            results[result.execution_run_id].append(result)
    findings: dict[int, list[Finding]] = {left_id: [], right_id: []}
    for finding in session.scalars(_FINDINGS, ids):
        findings[finding.candidate_id].append(finding)

    def panel(candidate_id: int, label: str) -> CandidatePanel:
        run = latest.get(candidate_id)
        own = findings[candidate_id]
        return CandidatePanel(
            label=label,
            code_html=highlight_code(codes[candidate_id], task.language),
            verdict=run.verdict if run else "not run",
            tests_passed=run.tests_passed if run else 0,
            tests_total=run.tests_total if run else 0,
            wall_time_s=run.wall_time_s if run else None,
            test_results=results[run.id] if run and run.id is not None else [],
            findings=[f for f in own if f.value is None],
            metrics=[f for f in own if f.value is not None],
            compile_output=run.compile_output if run else "",
        )

    return ReviewView(
        task,
        prompt,
        panel(left_id, "A"),
        panel(right_id, "B"),
        side_by_side_diff(codes[left_id], codes[right_id]),
    )


def displayed_order(task: ReviewTask, *, swapped: bool) -> tuple[int, int]:
    """(left, right) candidate ids as shown on the page."""
    a, b = task.pair
    return (b, a) if swapped else (a, b)


def canonical_preference(displayed: int, *, swapped: bool) -> int:
    """The page's preference (negative = left better) in the task's canonical A/B order."""
    return -displayed if swapped else displayed
