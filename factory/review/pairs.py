"""Choose which candidate pairs are worth an expert's time, from verdicts and signals.

The default strategy pairs two candidates that both pass the tests but differ in their
automatic signals: the gradient between correct and good (and the source of expert gold, see
factory.review.gold). `pass_vs_fail` pairs a passing with a failing candidate (easy, and the
source of automatic attention checks); `mixed` fills with those after the
default ones. Two candidates with the same normalised code are never paired.
"""

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations

from sqlmodel import Session, col, select

from factory.errors import ConfigError
from factory.models import Candidate, ExecutionRun, Finding, Prompt
from factory.vocab import CandidateSource, PromptStatus, Verdict

PASSING_DIFFER = "passing_differ"
PASS_VS_FAIL = "pass_vs_fail"  # noqa: S105  (a strategy name)
MIXED = "mixed"
STRATEGIES = (PASSING_DIFFER, PASS_VS_FAIL, MIXED)

# Verdicts that say something about the candidate; sandbox errors are the factory's fault.
FAILING_VERDICTS = frozenset(
    {
        Verdict.FAILED,
        Verdict.ERROR,
        Verdict.COMPILE_ERROR,
        Verdict.TIMEOUT,
        Verdict.OUT_OF_MEMORY,
        Verdict.KILLED,
    }
)
# The preference a pass-versus-fail attention check expects, towards the passing candidate.
GOLD_STRENGTH = 2


@dataclass(frozen=True, slots=True)
class CandidateView:
    """What pair building knows about one candidate."""

    id: int
    prompt_id: int
    code: str
    verdict: str
    issues: Counter[str] = field(default_factory=Counter)  # (tool:rule) -> count
    metrics: dict[str, float] = field(default_factory=dict)  # (tool:rule) -> value

    @property
    def passed(self) -> bool:
        return self.verdict == Verdict.PASSED

    @property
    def failed(self) -> bool:
        return self.verdict in FAILING_VERDICTS


@dataclass(frozen=True, slots=True)
class PairChoice:
    """A chosen pair in canonical order (A has the lower candidate id)."""

    prompt_id: int
    candidate_a_id: int
    candidate_b_id: int
    strategy: str
    distance: float
    # The preference a pass-versus-fail pair is known to deserve (-3..3), else None.
    known_preference: int | None = None


_WHITESPACE = re.compile(r"\s+")


def normalised_code_key(code: str) -> str:
    """Equal for solutions that differ only in whitespace, which are not worth judging."""
    return hashlib.sha256(_WHITESPACE.sub(" ", code).strip().encode()).hexdigest()


def signal_distance(a: CandidateView, b: CandidateView) -> float:
    """How differently the automatic signals see two candidates (0 = indistinguishable)."""
    issue_keys = set(a.issues) | set(b.issues)
    issues = sum(abs(a.issues[k] - b.issues[k]) for k in issue_keys)
    metrics = 0.0
    for key in set(a.metrics) | set(b.metrics):
        x, y = a.metrics.get(key, 0.0), b.metrics.get(key, 0.0)
        metrics += abs(x - y) / max(abs(x), abs(y), 1.0)
    return float(issues) + metrics


def choose_pairs(
    candidates: Sequence[CandidateView], *, strategy: str, max_pairs: int
) -> list[PairChoice]:
    """Pairs for one prompt's candidates, most informative first, at most `max_pairs`."""
    if strategy not in STRATEGIES:
        raise ConfigError(f"review.pair_strategy {strategy!r} is not one of {STRATEGIES}")
    differ: list[PairChoice] = []
    contrast: list[PairChoice] = []
    ordered = sorted(candidates, key=lambda c: c.id)
    for a, b in combinations(ordered, 2):
        if normalised_code_key(a.code) == normalised_code_key(b.code):
            continue
        distance = signal_distance(a, b)
        if a.passed and b.passed and distance > 0:
            differ.append(PairChoice(a.prompt_id, a.id, b.id, PASSING_DIFFER, distance))
        elif (a.passed and b.failed) or (a.failed and b.passed):
            known = -GOLD_STRENGTH if a.passed else GOLD_STRENGTH
            contrast.append(PairChoice(a.prompt_id, a.id, b.id, PASS_VS_FAIL, distance, known))
    # Most different signals first; ids break ties so the choice is reproducible.
    differ.sort(key=lambda p: (-p.distance, p.candidate_a_id, p.candidate_b_id))
    contrast.sort(key=lambda p: (-p.distance, p.candidate_a_id, p.candidate_b_id))
    if strategy == PASSING_DIFFER:
        chosen = differ
    elif strategy == PASS_VS_FAIL:
        chosen = contrast
    else:
        chosen = differ + contrast
    return chosen[:max_pairs]


def contrast_pairs(candidates: Sequence[CandidateView]) -> list[PairChoice]:
    """Every pass-versus-fail pair of one prompt: the pool attention checks are drawn from."""
    return choose_pairs(candidates, strategy=PASS_VS_FAIL, max_pairs=len(candidates) ** 2)


def load_candidate_views(
    session: Session, batch_id: str, *, include_reference: bool = False
) -> dict[int, list[CandidateView]]:
    """Every reviewable candidate of a batch's accepted prompts, grouped by prompt id.

    A candidate's verdict is its latest run that is not a sandbox error; candidates with no
    such run are left out (nothing to show a reviewer about them yet).
    """
    prompts = select(Prompt.id).where(
        Prompt.batch_id == batch_id, Prompt.status == PromptStatus.ACCEPTED
    )
    query = select(Candidate).where(col(Candidate.prompt_id).in_(prompts))
    if not include_reference:
        query = query.where(Candidate.source != CandidateSource.REFERENCE)
    candidates = list(session.exec(query))
    ids = [c.id for c in candidates if c.id is not None]  # rows read back all have ids
    verdicts = latest_verdicts(session, ids)
    issues, metrics = _signals(session, ids)
    views: dict[int, list[CandidateView]] = {}
    for c in candidates:
        if c.id not in verdicts:
            continue
        view = CandidateView(
            id=c.id,
            prompt_id=c.prompt_id,
            code=c.code,
            verdict=verdicts[c.id],
            issues=issues.get(c.id, Counter()),
            metrics=metrics.get(c.id, {}),
        )
        views.setdefault(c.prompt_id, []).append(view)
    return views


def latest_verdicts(session: Session, candidate_ids: Iterable[int]) -> dict[int, str]:
    """Each candidate's latest verdict that is not a sandbox error (absent: none yet)."""
    ids = list(candidate_ids)
    if not ids:
        return {}
    runs = session.exec(
        select(ExecutionRun.candidate_id, ExecutionRun.verdict)
        .where(
            col(ExecutionRun.candidate_id).in_(ids),
            ExecutionRun.verdict != Verdict.SANDBOX_ERROR,
        )
        .order_by(col(ExecutionRun.candidate_id), col(ExecutionRun.attempt), col(ExecutionRun.id))
    )
    return {candidate_id: verdict for candidate_id, verdict in runs}  # the last one wins


def _signals(
    session: Session, candidate_ids: Iterable[int]
) -> tuple[dict[int, Counter[str]], dict[int, dict[str, float]]]:
    ids = list(candidate_ids)
    issues: dict[int, Counter[str]] = {}
    metrics: dict[int, dict[str, float]] = {}
    if not ids:
        return issues, metrics
    for f in session.exec(select(Finding).where(col(Finding.candidate_id).in_(ids))):
        key = f"{f.tool}:{f.rule_id}"
        if f.value is not None and f.tool in ("radon", "sandbox"):
            metrics.setdefault(f.candidate_id, {})[key] = f.value
        else:
            issues.setdefault(f.candidate_id, Counter())[key] += 1
    return issues, metrics
