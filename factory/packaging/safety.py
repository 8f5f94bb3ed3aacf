"""The safety veto: what a release never teaches as a good answer without a senior's override.

A candidate is *unsafe* when a scanner reported a high-severity security finding on it (a
Finding row on the security dimension with severity HIGH: bandit's B602 `shell=True`, B324 weak
hashes, ...), and *passing* when its latest sandbox run that was not the sandbox's own fault
passed its tests. A candidate that is neither unsafe nor failing is *clean*.

A preference pair is vetoed when its chosen candidate has a flaw its rejected one does not: an
unsafe candidate chosen over a safe one, or a non-passing one chosen over a passing one. So a
flawed candidate is never packaged as *chosen* over one that passes clean, whatever the
reviewers said. SFT answers (reviewed candidates and reference solutions alike) must be clean.
Only a senior's adjudication with `override_veto` and a written reason lets such a candidate
through; the QA report counts vetoes and overrides.
"""

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from factory.models import Candidate, ExecutionRun, Finding
from factory.vocab import Dimension, Verdict

HIGH = "HIGH"
# Veto reasons, as the QA report counts them.
CHOSEN_UNSAFE = "chosen_unsafe"  # chosen has a high-severity security finding, rejected not
CHOSEN_FAILING = "chosen_failing"  # chosen does not pass its tests, rejected does
SFT_UNSAFE = "sft_candidate_unsafe"  # the best reviewed passing candidate was unsafe
SFT_REFERENCE_UNSAFE = "sft_reference_unsafe"  # a reference solution was unsafe


@dataclass(frozen=True, slots=True)
class Flaws:
    """What the veto looks at for one candidate."""

    verdict: str  # latest non-sandbox-error verdict, "" when never judged
    high_findings: tuple[str, ...] = ()  # "B602 (CWE-78)", ...

    @property
    def unsafe(self) -> bool:
        return bool(self.high_findings)

    @property
    def passes(self) -> bool:
        return self.verdict == Verdict.PASSED

    @property
    def clean(self) -> bool:
        return self.passes and not self.unsafe


def veto_reason(chosen: Flaws, rejected: Flaws) -> str | None:
    """Why `chosen` may not be packaged over `rejected`, or None when it may."""
    if chosen.unsafe and not rejected.unsafe:
        return CHOSEN_UNSAFE
    if not chosen.passes and rejected.passes:
        return CHOSEN_FAILING
    return None


def high_severity_findings(
    session: Session, *, batch_ids: list[str] | None = None, candidate_ids: list[int] | None = None
) -> dict[int, list[str]]:
    """candidate id -> its high-severity security findings ("B602 (CWE-78)"), for the candidates
    of `batch_ids` or those in `candidate_ids`; absent when none."""
    query = (
        select(col(Finding.candidate_id), col(Finding.rule_id), col(Finding.cwe_id))
        .join(Candidate, col(Candidate.id) == Finding.candidate_id)
        .where(col(Finding.dimension) == Dimension.SECURITY, col(Finding.severity) == HIGH)
        .order_by(col(Finding.candidate_id), col(Finding.id))
    )
    if batch_ids is not None:
        query = query.where(col(Candidate.batch_id).in_(batch_ids))
    if candidate_ids is not None:
        query = query.where(col(Finding.candidate_id).in_(candidate_ids))
    found: dict[int, list[str]] = defaultdict(list)
    for candidate_id, rule_id, cwe_id in session.execute(query):
        found[candidate_id].append(f"{rule_id} (CWE-{cwe_id})" if cwe_id else rule_id)
    return dict(found)


def candidate_flaws(
    session: Session, *, batch_ids: list[str] | None = None, candidate_ids: list[int] | None = None
) -> dict[int, Flaws]:
    """Flaws of the candidates of `batch_ids` or those in `candidate_ids` that were run or have
    a high-severity finding; look them up with `flaws_of` (never run: verdict "")."""
    query = (
        select(col(ExecutionRun.candidate_id), col(ExecutionRun.verdict))
        .where(col(ExecutionRun.verdict) != Verdict.SANDBOX_ERROR)
        .order_by(col(ExecutionRun.candidate_id), col(ExecutionRun.attempt), col(ExecutionRun.id))
    )
    if batch_ids is not None:
        query = query.where(col(ExecutionRun.batch_id).in_(batch_ids))
    if candidate_ids is not None:
        query = query.where(col(ExecutionRun.candidate_id).in_(candidate_ids))
    verdicts: dict[int, str] = {}
    for candidate_id, verdict in session.execute(query):
        verdicts[candidate_id] = verdict  # the latest run wins
    high = high_severity_findings(session, batch_ids=batch_ids, candidate_ids=candidate_ids)
    return {
        c: Flaws(verdicts.get(c, ""), tuple(high.get(c, ())))
        for c in sorted(set(verdicts) | set(high))
    }


def flaws_of(flaws: dict[int, Flaws], candidate_id: int) -> Flaws:
    return flaws.get(candidate_id) or Flaws("")
