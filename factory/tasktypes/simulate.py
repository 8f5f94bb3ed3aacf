"""Simulated annotators for work beyond pairs, for demonstrations only, and they say so.

They claim through the review queue and submit through the one submit path
(factory.tasktypes.submit), so every check a person's answer gets (the sandbox included) runs on
theirs; their reviewers are simulated, so every submission is marked `simulated`, and every free
text they write starts with SIMULATED. What they answer:

- ranking: the candidates ordered by their evidence (test verdict first, then the simulated
  scores of factory.review.simulate), with a little seeded noise;
- code review: a span per line-located static-analysis finding of the code (a candidate's stored
  findings; bandit on a record's own Python code), else "no issues found";
- bug fix, authoring, refactoring, reasoning: the demonstration answers the intake record carries
  in `metadata.demo` (flat, or keyed by kind). A task without them is left for people, counted
  and reported, never made up; so is one whose demonstration is for other code than the task's.

A refused submission is reported with its reason and its task left for people: the answer would
be the same on a retry. Two people on one task (overlap) rank and review slightly differently.
"""

import json
import logging
import random
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from factory.errors import SandboxUnavailableError
from factory.models import Finding, Prompt
from factory.review.queue import MAX_SKIP_REASON_CHARS, skip_claim
from factory.review.simulate import load_evidence, simulated_scores
from factory.sandbox import Sandbox, open_sandbox
from factory.settings import SandboxSettings
from factory.signals.security import bandit_signals
from factory.tasktypes.base import WorkContext, WorkError, WorkRefused
from factory.tasktypes.code_review import CATEGORIES, MAX_SPANS, SEVERITIES, SEVERITY_WEIGHT
from factory.tasktypes.notes import add_note
from factory.tasktypes.submit import ClaimedWork, claimed_work, submit_work
from factory.vocab import Dimension, Language, Verdict, WorkKind

log = logging.getLogger(__name__)

SIMULATED = "Simulated annotator:"
# Ranking: how far a candidate's score total may move before ordering (seeded), so that two
# people order candidates with close evidence differently now and then.
RANK_JITTER = 1.5
# Code review: the chance that one person leaves out a low-severity span (or judges another one
# a step milder), and again the chance that they mark one line more.
SPAN_NOISE = 0.15
CATEGORY_OF_DIMENSION = {
    Dimension.CORRECTNESS.value: "defect",
    Dimension.SECURITY.value: "security",
    Dimension.READABILITY.value: "readability",
    Dimension.EFFICIENCY.value: "performance",
    Dimension.STYLE.value: "style",
}
# The answer a demonstration must hold for each kind answered from one.
DEMO_ANSWERS: dict[str, tuple[str, ...]] = {
    WorkKind.BUG_FIX: ("fixed_code", "fix_patch"),
    WorkKind.AUTHORING: ("solution",),
    WorkKind.REFACTORING: ("steps",),
    WorkKind.REASONING: ("answer",),
}


class LeftForPeople(Exception):
    """This task has nothing a simulated annotator could honestly answer with."""


@dataclass(slots=True)
class WorkOutcomes:
    """What the simulated annotators did with work beyond pairs, and what they left."""

    submitted: Counter[str] = field(default_factory=Counter)  # kind -> submissions
    left_for_people: dict[int, str] = field(default_factory=dict)  # task id -> why
    refused: dict[int, str] = field(default_factory=dict)  # task id -> the reason given

    def counts(self) -> dict[str, int]:
        return {
            "work_submissions": sum(self.submitted.values()),
            "work_left_for_people": len(self.left_for_people),
            "work_refused": len(self.refused),
        }


class SimulatedWork:
    """Answers claims on work beyond pairs for one simulation run. Opens a sandbox (with
    `sandbox_settings`) the first time a sandbox-checked answer is submitted, unless one is
    given; use it as a context manager so that one is closed."""

    def __init__(
        self,
        engine: Engine,
        *,
        sandbox_settings: SandboxSettings | None = None,
        sandbox: Sandbox | None = None,
        report: Callable[[str], None] | None = None,
    ) -> None:
        self.engine = engine
        self.settings = sandbox_settings or SandboxSettings()
        self.outcomes = WorkOutcomes()
        self._sandbox = sandbox
        self._sandbox_problem = ""
        self._report = report or log.warning
        self._stack = ExitStack()

    def __enter__(self) -> "SimulatedWork":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.close()

    def answer(self, claim_id: int, task_id: int, reviewer_id: int, rng: random.Random) -> bool:
        """Submit the claim's answer, or give the task back for people; True when submitted."""
        if task_id in self.outcomes.left_for_people or task_id in self.outcomes.refused:
            self._give_back(claim_id, reviewer_id, "left for people, as said before")
            return False
        with Session(self.engine) as session:
            work = claimed_work(session, claim_id, reviewer_id)
            prompt = session.get(Prompt, work.task.prompt_id)
            assert prompt is not None  # a foreign key
            try:
                fields, notes = _fields(session, work, prompt, rng)
            except LeftForPeople as why:
                return self._leave(claim_id, task_id, reviewer_id, work, str(why))
        sandbox = self._sandbox_for() if work.plugin.checked_in_sandbox else None
        if work.plugin.checked_in_sandbox and sandbox is None:
            return self._leave(claim_id, task_id, reviewer_id, work, self._sandbox_problem)
        try:
            for note in notes:
                add_note(self.engine, claim_id, reviewer_id, note)
            submit_work(
                self.engine,
                claim_id,
                reviewer_id,
                fields,
                sandbox=sandbox,
                sandbox_settings=self.settings,
            )
        except (WorkError, WorkRefused) as refusal:
            self.outcomes.refused[task_id] = str(refusal)
            self._report(f"{SIMULATED} {work.task.kind} task {task_id} refused: {refusal}")
            self._give_back(claim_id, reviewer_id, f"refused: {refusal}")
            return False
        self.outcomes.submitted[work.task.kind] += 1
        return True

    def _sandbox_for(self) -> Sandbox | None:
        if self._sandbox is None and not self._sandbox_problem:
            try:
                self._sandbox = self._stack.enter_context(open_sandbox(self.settings))
            except SandboxUnavailableError as exc:
                self._sandbox_problem = f"no sandbox to check the answer in ({exc})"
        return self._sandbox

    def _leave(
        self, claim_id: int, task_id: int, reviewer_id: int, work: ClaimedWork, why: str
    ) -> bool:
        self.outcomes.left_for_people[task_id] = why
        self._report(f"{SIMULATED} {work.task.kind} task {task_id} left for people: {why}")
        self._give_back(claim_id, reviewer_id, why)
        return False

    def _give_back(self, claim_id: int, reviewer_id: int, why: str) -> None:
        reason = f"{SIMULATED} {why}"
        if len(reason) > MAX_SKIP_REASON_CHARS:
            reason = reason[: MAX_SKIP_REASON_CHARS - 1] + "…"
        skip_claim(self.engine, claim_id, reviewer_id, reason=reason)


def _fields(
    session: Session, work: ClaimedWork, prompt: Prompt, rng: random.Random
) -> tuple[dict[str, str], list[str]]:
    """The form a simulated annotator sends for the claim, and the notes it writes first."""
    kind, context = work.task.kind, work.context
    if kind == WorkKind.RANKING:
        return ranking_fields(session, context, rng), []
    if kind == WorkKind.CODE_REVIEW:
        findings = code_findings(session, work.task.candidate_a_id, context)
        return review_fields(findings, rng, n_lines=len(context.code.splitlines())), []
    demo = demonstration(prompt.metadata_, kind)
    if context.subject.get("source") == "candidate":
        raise LeftForPeople(
            "the record's demonstration answers are for its own code, and this task is on "
            f"candidate {work.task.candidate_a_id}"
        )
    if kind == WorkKind.BUG_FIX:
        return _marked(demo, ("root_cause", "how_found")), []
    if kind == WorkKind.AUTHORING:
        fields = _marked(demo, ("approach",))
        fields.setdefault("approach", f"{SIMULATED} the record's demonstration answer.")
        return fields, []
    if kind == WorkKind.REFACTORING:
        steps = [
            {**step, "why": _mark(str(step.get("why", "")))}
            for step in _listed(demo["steps"])
            if isinstance(step, dict)
        ]
        return {"steps": json.dumps(steps)}, []
    if kind == WorkKind.REASONING:
        fields = _marked(demo, ("summary",))
        fields.setdefault("summary", f"{SIMULATED} the record's demonstration answer.")
        return fields, [_mark(str(note)) for note in _listed(demo.get("notes"))]
    raise LeftForPeople(f"no simulated annotator does {kind} work")


def demonstration(metadata: dict[str, Any], kind: str) -> dict[str, Any]:
    """The record's demonstration answers for `kind` (metadata.demo, or metadata.demo[kind]);
    LeftForPeople when it carries none."""
    demo = metadata.get("demo")
    if isinstance(demo, dict) and isinstance(demo.get(kind), dict):
        demo = demo[kind]
    needed = DEMO_ANSWERS.get(kind, ())
    if not isinstance(demo, dict) or not any(demo.get(name) for name in needed):
        raise LeftForPeople(
            f"the record carries no demonstration answer for {kind} work "
            f"(metadata.demo with {' or '.join(needed)})"
        )
    return demo


def _listed(value: Any) -> list[Any]:
    """A demonstration's list (steps, notes); anything else is none, which the submit path
    then refuses with its reason."""
    return value if isinstance(value, list) else []


def _mark(text: str) -> str:
    """The text, saying it is simulated; empty stays empty (and is refused where required)."""
    text = text.strip()
    return text if not text or text.startswith(SIMULATED) else f"{SIMULATED} {text}"


def _marked(demo: dict[str, Any], free_text: tuple[str, ...]) -> dict[str, str]:
    """The demonstration's text answers as form fields, its free text marked as simulated."""
    fields = {name: value for name, value in demo.items() if isinstance(value, str)}
    for name in free_text:
        if fields.get(name, "").strip():
            fields[name] = _mark(fields[name])
    return fields


def ranking_fields(session: Session, context: WorkContext, rng: random.Random) -> dict[str, str]:
    """Ranks and scores by the evidence: candidates that pass their tests first, then the
    simulated scores (correctness counting double), each total moved a little by seeded noise."""
    ids = [c.candidate_id for c in context.candidates]
    evidence = load_evidence(session, ids)
    scores = {c: simulated_scores(evidence[c], rng) for c in ids}

    def tier(candidate_id: int) -> int:
        verdict = evidence[candidate_id].verdict
        return 0 if verdict == Verdict.PASSED else 1 if verdict is None else 2

    jitter = {c: rng.uniform(-RANK_JITTER, RANK_JITTER) for c in ids}
    order = sorted(ids, key=lambda c: (tier(c), -(_total(scores[c]) + jitter[c])))
    fields = {f"rank-{c}": str(order.index(c) + 1) for c in ids}
    for candidate_id, by_dimension in scores.items():
        for dimension, value in by_dimension.items():
            fields[f"score-{candidate_id}-{dimension}"] = str(value)
    described = "; ".join(
        f"{n}. candidate {c} ({evidence[c].verdict or 'not run'}, "
        f"{sum(evidence[c].findings.values())} finding(s))"
        for n, c in enumerate(order, 1)
    )
    fields["rationale"] = (
        f"{SIMULATED} ordered by the test verdicts, then the static findings, with seeded "
        f"noise: {described}."
    )
    return fields


def _total(scores: dict[str, int]) -> int:
    return sum(scores.values()) + scores[Dimension.CORRECTNESS]


@dataclass(frozen=True, slots=True)
class CodeFinding:
    """A static-analysis finding located on a line of the reviewed code."""

    tool: str
    rule_id: str
    dimension: str
    severity: str
    cwe_id: int | None
    line: int
    message: str


def code_findings(
    session: Session, candidate_id: int | None, context: WorkContext
) -> list[CodeFinding]:
    """The stored findings of the candidate under review; for a record's own Python code, the
    security scan the signals stage runs on candidates (bandit), run now (it only parses)."""
    if candidate_id is not None:
        rows = session.scalars(
            select(Finding)
            .where(
                Finding.candidate_id == candidate_id,
                col(Finding.value).is_(None),
                col(Finding.line).is_not(None),
            )
            .order_by(col(Finding.line), col(Finding.id))
        )
        return [
            CodeFinding(
                r.tool, r.rule_id, r.dimension, r.severity, r.cwe_id, r.line or 0, r.message
            )
            for r in rows
        ]
    if context.language != Language.PYTHON or not context.code.strip():
        return []
    signals = bandit_signals({0: context.code}).get(0, [])  # none for code that does not parse
    return [
        CodeFinding(s.tool, s.rule_id, s.dimension, s.severity, s.cwe_id, s.line, s.message)
        for s in signals
        if s.line is not None
    ]


def review_fields(
    findings: list[CodeFinding], rng: random.Random, n_lines: int | None = None
) -> dict[str, str]:
    """A span per finding (one per line and category, the most severe kept); none: clean."""
    spans: dict[tuple[int, str], dict[str, Any]] = {}
    for finding in findings:
        span = _span(finding)
        if not 1 <= span["start_line"] <= (n_lines or span["start_line"]):
            continue  # not on a line of this code
        key = (span["start_line"], span["category"])
        kept = spans.get(key)
        if kept is None or SEVERITY_WEIGHT[span["severity"]] > SEVERITY_WEIGHT[kept["severity"]]:
            spans[key] = span
    marked = []
    for span in sorted(
        spans.values(), key=lambda s: (-SEVERITY_WEIGHT[s["severity"]], s["start_line"])
    ):
        draw = rng.random()
        if draw < SPAN_NOISE:
            if span["severity"] == "low":
                continue  # this person let a small thing pass
            lower = SEVERITIES[SEVERITIES.index(span["severity"]) - 1]
            span = {**span, "severity": lower}  # and judged this one a step milder
        elif draw < 2 * SPAN_NOISE and (n_lines is None or span["end_line"] < n_lines):
            span = {**span, "end_line": span["end_line"] + 1}  # and marked one line more
        marked.append(span)
    marked = sorted(marked[:MAX_SPANS], key=lambda s: (s["start_line"], s["category"]))
    if not marked:
        return {
            "spans": "[]",
            "clean": "1",
            "summary": f"{SIMULATED} the static analysers found nothing on any line; "
            "no issues found.",
        }
    tools = ", ".join(sorted({f.tool for f in findings}))
    return {
        "spans": json.dumps(marked),
        "summary": f"{SIMULATED} {len(marked)} problem(s) marked where the static analysers "
        f"({tools}) found them.",
    }


def _span(finding: CodeFinding) -> dict[str, Any]:
    category = CATEGORY_OF_DIMENSION.get(finding.dimension, "maintainability")
    cwe = f"CWE-{finding.cwe_id}" if finding.cwe_id else ""
    if category == "security" and not cwe:
        category = "defect"  # the rubric's security findings name their CWE
    severity = finding.severity.lower()
    if severity not in SEVERITIES:
        severity = "medium"
    if category == "style":
        severity = "low"
    rule = f" {finding.rule_id}" if finding.rule_id else ""
    assert category in CATEGORIES
    return {
        "start_line": finding.line,
        "end_line": finding.line,
        "category": category,
        "severity": severity,
        "cwe": cwe,
        "comment": f"{SIMULATED} {finding.tool}{rule}: {finding.message}",
        "suggested_fix": "",
    }
