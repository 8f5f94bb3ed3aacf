"""The QA report's sections on work beyond pairs: one per kind the batches hold, with what was
queued and answered, what the sandbox checked on the accepted answers, the cross-checks between
people, and the rubric versions the answers were given under. Agreement figures come from the
agreement report (factory.agreement.work_figures); the QA report shows them under each kind.
"""

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlmodel import Session, col

from factory.agreement.work_data import WorkAnswer, load_work_answers
from factory.models import ReasoningNote, ReviewTask
from factory.tasktypes.registry import WORK_TYPES
from factory.vocab import WorkKind

KIND_ORDER = {kind.value: i for i, kind in enumerate(WorkKind)}


@dataclass(slots=True)
class KindSection:
    kind: str
    tasks: int = 0  # queued
    items: int = 0  # answered at least once
    overlapped: int = 0  # answered by two or more people: what agreement is measured on
    submissions: int = 0
    simulated: int = 0  # submissions by simulated reviewers
    checks: dict[str, int] = field(default_factory=dict)  # sandbox checks by verdict
    cross_checks: int = 0
    cross_passed: int = 0
    rubric_versions: dict[str, int] = field(default_factory=dict)  # version -> submissions
    counts: dict[str, int] = field(default_factory=dict)  # the kind's own: spans, steps, ...

    @property
    def title(self) -> str:
        plugin = WORK_TYPES.get(self.kind)
        return plugin.title if plugin else self.kind

    @property
    def cross_pass_rate(self) -> float | None:
        return self.cross_passed / self.cross_checks if self.cross_checks else None

    def to_dict(self) -> dict[str, object]:
        return {
            "tasks": self.tasks,
            "items": self.items,
            "overlapped": self.overlapped,
            "submissions": self.submissions,
            "simulated_submissions": self.simulated,
            "sandbox_checks": dict(self.checks),
            "cross_checks": {
                "made": self.cross_checks,
                "passed": self.cross_passed,
                "rate": self.cross_pass_rate,
            },
            "rubric_versions": dict(self.rubric_versions),
            **self.counts,
        }

    def markdown(self) -> str:
        rate = self.cross_pass_rate
        lines = [
            f"Tasks queued: {self.tasks}; answered: {self.items} ({self.overlapped} by two or "
            f"more people); submissions: {self.submissions}"
            + (f", {self.simulated} of them simulated" if self.simulated else "")
            + ".",
            "Rubric versions: "
            + (", ".join(f"{v} ({n})" for v, n in self.rubric_versions.items()) or "none")
            + ".",
        ]
        if self.checks:
            shown = ", ".join(f"{verdict} {n}" for verdict, n in self.checks.items())
            lines.append(f"Sandbox checks on accepted submissions: {shown}.")
        if self.cross_checks:
            lines.append(
                f"Cross-checks (one person's code against another's tests): {self.cross_passed} "
                f"of {self.cross_checks} passed ({rate:.2f})."
            )
        lines += [f"{name.replace('_', ' ').capitalize()}: {n}." for name, n in self.counts.items()]
        return "\n".join(f"- {line}" for line in lines)


def kind_sections(session: Session, batch_ids: list[str]) -> list[KindSection]:
    """A section per kind other than pairwise that the batches queued, in vocab order."""
    sections: dict[str, KindSection] = {}

    def of(kind: str) -> KindSection:
        return sections.setdefault(kind, KindSection(kind))

    queued = session.execute(
        select(col(ReviewTask.kind), func.count(col(ReviewTask.id)))
        .where(col(ReviewTask.batch_id).in_(batch_ids), col(ReviewTask.kind) != WorkKind.PAIRWISE)
        .group_by(col(ReviewTask.kind))
    )
    for kind, n in queued:
        of(kind).tasks = int(n)
    answers: dict[str, list[WorkAnswer]] = {}
    for answer in load_work_answers(session, batch_ids):
        answers.setdefault(answer.kind, []).append(answer)
    for kind, given in answers.items():
        _fill(of(kind), given)
    notes = session.execute(
        select(col(ReviewTask.kind), func.count(col(ReasoningNote.id)))
        .join(ReviewTask, col(ReviewTask.id) == ReasoningNote.task_id)
        .where(col(ReviewTask.batch_id).in_(batch_ids), col(ReviewTask.kind) != WorkKind.PAIRWISE)
        .group_by(col(ReviewTask.kind))
    )
    for kind, n in notes:
        of(kind).counts["reasoning_notes"] = int(n)
    return sorted(
        sections.values(), key=lambda s: (KIND_ORDER.get(s.kind, len(KIND_ORDER)), s.kind)
    )


def _fill(section: KindSection, answers: list[WorkAnswer]) -> None:
    per_task = Counter(answer.task_id for answer in answers)
    section.items = len(per_task)
    section.overlapped = sum(1 for n in per_task.values() if n >= 2)
    section.submissions = len(answers)
    section.simulated = sum(1 for answer in answers if answer.simulated)
    verdicts: Counter[str] = Counter()
    for answer in answers:
        for check in (answer.verification or {}).get("checks", []):
            verdicts[str(check.get("verdict", "unknown"))] += 1
        cross = answer.cross_checks()
        section.cross_checks += len(cross)
        section.cross_passed += sum(cross)
    section.checks = dict(sorted(verdicts.items()))
    section.rubric_versions = dict(sorted(Counter(a.rubric_version for a in answers).items()))
    section.counts.update(_kind_counts(section.kind, answers))


def _kind_counts(kind: str, answers: list[WorkAnswer]) -> dict[str, int]:
    """What each kind's answers hold, counted: the authored work a release can draw on."""
    if kind == WorkKind.RANKING:
        return {"candidates_ranked": sum(len(a.field("ranks")) for a in answers)}
    if kind == WorkKind.CODE_REVIEW:
        return {
            "spans_marked": sum(len(a.field("spans")) for a in answers),
            "clean_reviews": sum(1 for a in answers if a.field("clean")),
        }
    if kind == WorkKind.BUG_FIX:
        return {"fixes_with_regression_tests": len(answers)}
    if kind == WorkKind.AUTHORING:
        return {
            "authored_solutions": len(answers),
            "tests_written": sum(1 for a in answers if str(a.field("tests")).strip()),
        }
    if kind == WorkKind.REFACTORING:
        steps = [step for a in answers for step in a.field("steps")]
        return {
            "steps": len(steps),
            "steps_breaking_tests": sum(1 for s in steps if s.get("breaks_tests")),
        }
    return {}


def work_funnel(sections: list[KindSection]) -> list[tuple[str, int, str]]:
    """Funnel steps for work beyond pairs, (stage, count, unit); none when there is none."""
    if not sections:
        return []
    authoring = next((s for s in sections if s.kind == WorkKind.AUTHORING), KindSection("-"))
    return [
        ("work queued", sum(s.tasks for s in sections), "tasks beyond pairs"),
        ("work answered", sum(s.submissions for s in sections), "submissions"),
        ("authored", authoring.counts.get("authored_solutions", 0), "solutions"),
        ("tests written", authoring.counts.get("tests_written", 0), "test suites"),
    ]
