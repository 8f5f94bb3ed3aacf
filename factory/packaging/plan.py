"""What a release of some batches contains: every row of every config, with its split and sources.

Planning reads the database once and decides everything; writing (`staging.py`) only streams the
planned rows to files. Simulated labels (annotations and submissions alike) are refused here,
before anything is written. The safety veto (`safety.py`) applies to pairs in `selection.py`, to
implied ranking pairs in `ranking_rows.py` and to SFT answers here; the release's licence comes
from the packaged prompts' own licences (`licences.py`). Work beyond pairs (`submissions.py`,
`work_plan.py`) is planned into its own configs, split by prompt like the rest.
"""

from collections import Counter
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from factory.agreement.data import load_review_data
from factory.agreement.gold import gold_accuracy
from factory.errors import FactoryUserError
from factory.models import Batch
from factory.packaging.dpo import CONVERSATIONAL, STANDARD
from factory.packaging.licences import ReleaseLicence, release_licence
from factory.packaging.loading import (
    PromptSet,
    load_candidates,
    load_prompts,
    pair_record,
    simulated_review_counts,
)
from factory.packaging.records import CandidateInfo, PairRecord, PromptInfo
from factory.packaging.safety import SFT_REFERENCE_UNSAFE, SFT_UNSAFE, high_severity_findings
from factory.packaging.selection import PairSelection, select_pairs
from factory.packaging.sft import best_candidate
from factory.packaging.splits import assign_splits, cluster_keys
from factory.packaging.submissions import CONTAMINATED, load_work
from factory.packaging.swe import SPLIT, SWE, SweTask, load_swe_tasks
from factory.packaging.work_plan import PlannedRow, plan_work, planned_counts
from factory.settings import FactoryConfig
from factory.vocab import Verdict


@dataclass(slots=True)
class ReleasePlan:
    batch_ids: list[str]
    prompts: PromptSet
    pairs: list[tuple[str, PairRecord]] = field(default_factory=list)
    rlvr: list[tuple[str, PromptInfo]] = field(default_factory=list)
    sft_references: list[tuple[str, PromptInfo]] = field(default_factory=list)
    sft_candidates: list[tuple[str, PromptInfo, CandidateInfo]] = field(default_factory=list)
    reward: list[tuple[str, PromptInfo, CandidateInfo]] = field(default_factory=list)
    excluded: Counter[str] = field(default_factory=Counter)
    simulated: bool = False
    selection: PairSelection | None = None  # kept for the QA report, which shows the same counts
    licence: ReleaseLicence | None = None
    contaminated_included: int = 0  # flagged prompts in some config of the release
    swe: list[tuple[str, SweTask]] = field(default_factory=list)  # stable repository tasks
    work: list[PlannedRow] = field(default_factory=list)  # configs of work beyond pairs

    @property
    def languages(self) -> list[str]:
        return sorted({prompt.language for _, prompt in self._used()})

    @property
    def task_types(self) -> list[str]:
        return sorted({prompt.task_type for _, prompt in self._used()})

    def _used(self) -> list[tuple[str, PromptInfo]]:
        work = [(row.split, self.prompts.prompts[row.prompt_id]) for row in self.work]
        return [(s, r.prompt) for s, r in self.pairs] + self.rlvr + self.sft_references + work

    @property
    def config_counts(self) -> dict[str, dict[str, int]]:
        """config -> split -> rows the plan writes, for the configs that have rows: what the QA
        report and the data card count before the files exist."""
        pairs = [split for split, _ in self.pairs]
        sft = [s for s, _ in self.sft_references] + [s for s, _, _ in self.sft_candidates]
        by_config = {
            STANDARD: pairs,
            CONVERSATIONAL: pairs,
            "rlvr": [split for split, _ in self.rlvr],
            "verl": [split for split, _ in self.rlvr],
            "sft": sft,
            "reward": [split for split, _, _ in self.reward],
            SWE: [split for split, _ in self.swe],
        }
        counts = {
            config: dict(sorted(Counter(splits).items()))
            for config, splits in by_config.items()
            if splits
        }
        return counts | planned_counts(self.work)

    def packaged_prompts(self) -> list[PromptInfo]:
        """Every prompt some row of the release was built from, once each."""
        rows = self._used() + [(s, p) for s, p, _ in self.sft_candidates + self.reward]
        return list({prompt.prompt_id: prompt for _, prompt in rows}.values())


def plan_release(session: Session, batch_ids: list[str], config: FactoryConfig) -> ReleasePlan:
    if not batch_ids:
        raise FactoryUserError("a release needs at least one batch id")
    known = set(session.scalars(select(Batch.id).where(col(Batch.id).in_(batch_ids))))
    unknown = [batch_id for batch_id in batch_ids if batch_id not in known]
    if unknown:
        raise FactoryUserError(f"cannot package unknown batch(es) {unknown}: run intake first")
    packaging = config.packaging
    simulated = simulated_review_counts(session, batch_ids)
    if simulated and not packaging.allow_simulated:
        batch_id, count = sorted(simulated.items())[0]
        raise FactoryUserError(
            f"batch {batch_id!r} has {count} review(s) or submission(s) by simulated reviewers; "
            "packaging refuses simulated labels unless packaging.allow_simulated is true "
            "(demonstrations only)"
        )
    flagged: set[int] = set()
    if config.agreement.exclude_flagged_reviewers:
        # Flags come from gold accuracy alone: no need for the bootstrapped agreement cells.
        ratings = load_review_data(session, batch_ids).ratings
        flagged = {g.reviewer_id for g in gold_accuracy(ratings, config.agreement) if g.flagged}
    selection = select_pairs(
        session,
        batch_ids,
        allow_simulated=packaging.allow_simulated,
        flagged_reviewers=flagged,
        opposite_direction=config.review.opposite_direction,
    )
    prompts = load_prompts(session, batch_ids)
    candidates = load_candidates(session, batch_ids, excluded_reviewers=flagged)
    usable = set(prompts.prompts)
    if packaging.exclude_contaminated:
        usable -= prompts.contaminated
    work = load_work(
        session, batch_ids, prompts, candidates, usable=usable, excluded_reviewers=flagged
    )
    # The QA report shows the selection's exclusions: work beyond pairs adds its own reasons.
    selection.excluded.update(work.excluded)
    plan = ReleasePlan(
        list(batch_ids), prompts, excluded=Counter(selection.excluded), selection=selection
    )
    split = _splits(prompts, usable, config)
    plan.work = plan_work(work, candidates, split, selection.vetoes)
    for selected in selection.selected:
        record = pair_record(selected, prompts, candidates)
        if record.prompt.prompt_id not in usable:
            plan.excluded[CONTAMINATED] += 1
            continue
        plan.pairs.append((split[record.prompt.prompt_id], record))
    unsafe = high_severity_findings(session, batch_ids=batch_ids)
    overridden = selection.overridden_candidates
    for prompt_id in sorted(usable):
        prompt = prompts.prompts[prompt_id]
        if prompt_id in prompts.verifiable:
            plan.rlvr.append((split[prompt_id], prompt))
            reference = prompts.references.get(prompt_id)
            if reference in unsafe and reference not in overridden:
                selection.vetoes[SFT_REFERENCE_UNSAFE] += 1
            else:
                plan.sft_references.append((split[prompt_id], prompt))
        reviewed = [c for c in candidates.by_prompt.get(prompt_id, []) if c.scores]
        best, refused = best_candidate(reviewed, overridden=overridden)
        if refused:
            selection.vetoes[SFT_UNSAFE] += 1
        if best is not None:
            plan.sft_candidates.append((split[prompt_id], prompt, best))
            if best.high_findings or best.verdict != Verdict.PASSED:
                selection.overrides["sft"] += 1
        plan.reward.extend((split[prompt_id], prompt, c) for c in reviewed)
    # Allowed simulated reviews shape pairs and scores alike: the release is labelled simulated.
    plan.simulated = bool(simulated)
    packaged = plan.packaged_prompts()
    plan.licence = release_licence(packaged, default=packaging.licence)
    plan.contaminated_included = sum(p.prompt_id in prompts.contaminated for p in packaged)
    if not plan.pairs and not plan.work:
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(plan.excluded.items())) or "none"
        raise FactoryUserError(
            f"batch(es) {', '.join(batch_ids)} have no usable preference pair to release, nor "
            f"finished work of another kind (tasks excluded by reason: {reasons}); finish the "
            "reviews first"
        )
    if packaging.repository_tasks:
        plan.swe = [(SPLIT, task) for task in load_swe_tasks(session)]
    return plan


def _splits(prompts: PromptSet, usable: set[int], config: FactoryConfig) -> dict[int, str]:
    """prompt id -> split, whole near-duplicate clusters on one side."""
    keys = cluster_keys(
        (prompts.keys[p] for p in sorted(usable)),
        threshold=config.intake.near_duplicate_threshold,
    )
    by_cluster = assign_splits(
        keys.values(),
        test_fraction=config.packaging.test_fraction,
        seed=config.packaging.seed,
    )
    return {prompt_id: by_cluster[key] for prompt_id, key in keys.items()}
