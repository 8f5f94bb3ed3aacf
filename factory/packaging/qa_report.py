"""A release's QA report: every figure read from the database, so it can be re-derived later.

The funnel follows one batch from the file received to the rows packaged; the other sections
say why rows dropped out (execution verdicts, security findings, contamination, exclusions, the
safety veto) and how far the labels can be trusted (how disagreements were settled, agreement
cells with bootstrap CIs, expert gold, attention checks). Replayed candidates (read from a file)
are counted apart from generated ones: their recorded labels are not models this factory ran.
Work beyond pairs has a section per kind (work_sections.py, with its agreement figures), and
people's time is priced per language and kind (time_cost.py).
"""

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import distinct, func, select
from sqlmodel import Session, col

from factory.agreement.judge import JudgeAgreement, judge_agreement
from factory.agreement.report import AgreementReport, agreement_report
from factory.models import (
    Annotation,
    Batch,
    Candidate,
    ContaminationFlag,
    DuplicateRecord,
    ExecutionRun,
    Finding,
    GenerationFailure,
    PreferencePair,
    Prompt,
    QuarantinedRecord,
    ReviewTask,
)
from factory.packaging.language_figures import (
    LanguageFigures,
    language_figures,
    languages_markdown,
)
from factory.packaging.repository_figures import (
    RepositoryFunnel,
    repositories_markdown,
    repository_funnels,
)
from factory.packaging.selection import (
    ADJUDICATED,
    AGREED,
    AWAITING,
    SENT_FOR_DIRECTION,
    SENT_FOR_DISTANCE,
    PairSelection,
    select_pairs,
)
from factory.packaging.time_cost import TimeCost, time_and_cost, time_cost_markdown
from factory.packaging.work_sections import KindSection, kind_sections, work_funnel
from factory.review.adjudication import ADJUDICATE
from factory.review.gold import ExpertGoldFigures, expert_gold_figures
from factory.settings import AgreementSettings, ReviewSettings, load_config
from factory.signoff.records import SignOffRecord, current_sign_offs, sign_off_markdown
from factory.vocab import CandidateSource

LABEL_FIGURES = (AGREED, ADJUDICATED, SENT_FOR_DIRECTION, SENT_FOR_DISTANCE, AWAITING)


@dataclass(frozen=True, slots=True)
class FunnelStep:
    stage: str
    count: int | None  # None: the stage has not happened (e.g. nothing packaged yet)
    unit: str


@dataclass(frozen=True, slots=True)
class ModelCost:
    model: str
    candidates: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    failures: int


@dataclass(frozen=True, slots=True)
class ReplaySource:
    """Replayed candidates under one recorded label (the file's `model` field)."""

    label: str
    candidates: int
    provenances: int  # distinct provenance notes


@dataclass(slots=True)
class QAReport:
    batch_ids: list[str]
    simulated: bool
    funnel: list[FunnelStep]
    dropped: dict[str, int]  # intake refusals by kind: quarantined, duplicates
    verdicts: dict[str, int]  # first sandbox run per candidate (not references), by verdict
    cwe_findings: dict[int, int]  # CWE id -> findings
    contamination: dict[str, int]  # benchmark -> flagged prompts
    contaminated_prompts: int
    models: list[ModelCost]  # generated candidates only
    task_statuses: dict[str, int]
    exclusions: dict[str, int]  # packaging exclusions by reason (tasks)
    agreement: AgreementReport
    judged_figures: int  # rows of the agreement gate: cells and reviewers with enough items
    evidence_required: bool  # agreement.require_agreement_evidence
    packaged: dict[str, dict[str, int]] = field(default_factory=dict)
    replayed: list[ReplaySource] = field(default_factory=list)
    opposite_direction: str = "adjudicate"  # review.opposite_direction
    labels: dict[str, int] = field(
        default_factory=dict
    )  # agreed, adjudicated, sent for ... -> tasks
    vetoes: dict[str, int] = field(default_factory=dict)  # safety veto reason -> rows refused
    overrides: dict[str, int] = field(default_factory=dict)  # pair / sft -> let through by a senior
    contaminated_included: int | None = None  # flagged prompts in the release (None: not packaged)
    contamination_note: str = ""  # packaging.contamination_note, when flagged prompts are kept
    sign_offs: dict[str, SignOffRecord | None] = field(default_factory=dict)  # batch -> in force
    judge: JudgeAgreement = field(default_factory=JudgeAgreement)  # LLM judge vs reviewers
    expert_gold: ExpertGoldFigures = field(default_factory=lambda: ExpertGoldFigures(0))
    languages: list[LanguageFigures] = field(default_factory=list)  # most prompts first
    repositories: list[RepositoryFunnel] = field(default_factory=list)  # the environment funnel
    work: list[KindSection] = field(default_factory=list)  # work beyond pairs, per kind
    time_cost: list[TimeCost] = field(default_factory=list)  # per (language, kind)
    time_total: TimeCost | None = None
    currency: str = "USD"  # review.currency

    @property
    def passed(self) -> bool:
        """The agreement gate's verdict: no figure under threshold, and some figure judged."""
        has_evidence = self.judged_figures > 0 or not self.evidence_required
        return self.agreement.passed and has_evidence

    def contamination_sentence(self) -> str:
        """How many flagged prompts the release includes, and why."""
        if self.contaminated_included is None:
            return "Included in a release: n/a (nothing packaged yet)."
        if not self.contaminated_included:
            return "Included in the release: none."
        why = self.contamination_note or (
            "packaging.exclude_contaminated is off and no reason was recorded "
            "(packaging.contamination_note)"
        )
        return f"Included in the release: {self.contaminated_included}, because: {why}."

    def funnel_count(self, stage: str) -> int | None:
        for step in self.funnel:
            if step.stage == stage:
                return step.count
        raise KeyError(f"no funnel stage {stage!r}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "batch_ids": list(self.batch_ids),
            "simulated": self.simulated,
            "passed": self.passed,
            "funnel": [asdict(step) for step in self.funnel],
            "dropped": dict(self.dropped),
            "execution_verdicts": dict(self.verdicts),
            # JSON object keys are strings; keep the CWE id readable as "CWE-78".
            "security_findings_by_cwe": {f"CWE-{k}": v for k, v in self.cwe_findings.items()},
            "contamination": {
                "prompts": self.contaminated_prompts,
                "by_benchmark": dict(self.contamination),
                "included_in_release": self.contaminated_included,
                "why_included": self.contamination_note,
            },
            "generation": [asdict(model) for model in self.models],
            "replayed_candidates": [asdict(source) for source in self.replayed],
            "review_task_statuses": dict(self.task_statuses),
            "labels": {"opposite_direction": self.opposite_direction, **self.labels},
            "safety_vetoes": {"refused": dict(self.vetoes), "overridden": dict(self.overrides)},
            "packaging_exclusions": dict(self.exclusions),
            "packaged": {config: dict(splits) for config, splits in self.packaged.items()},
            "agreement": self.agreement.to_dict() | {"judged_figures": self.judged_figures},
            "sign_off": {
                batch: record.to_dict() if record else None
                for batch, record in self.sign_offs.items()
            },
            "judge_agreement": self.judge.to_dict(),
            "expert_gold": self.expert_gold.to_dict(),
            "languages": {f.language: f.to_dict() for f in self.languages},
            "repositories": [f.to_dict() for f in self.repositories],
            "work": {
                section.kind: section.to_dict()
                | {
                    "agreement": [
                        figure
                        for figure in self.agreement.to_dict()["work"]
                        if figure["kind"] == section.kind
                    ]
                }
                for section in self.work
            },
            "time_and_cost": {
                "currency": self.currency,
                "rows": [row.to_dict() for row in self.time_cost],
                "total": self.time_total.to_dict() if self.time_total else None,
            },
        }

    def work_markdown(self) -> list[str]:
        """A section per kind of work beyond pairs: counts, checks, rubric versions, agreement."""
        sections = []
        for section in self.work:
            sections += [
                f"## Work beyond pairs: {section.title}",
                section.markdown(),
                self.agreement.work_markdown(section.kind),
            ]
        return sections

    def time_cost_markdown(self) -> str:
        if self.time_total is None:
            return "No answers yet."
        return time_cost_markdown(self.time_cost, self.time_total, self.currency)

    def languages_markdown(self) -> str:
        """Prompts, candidates, review tasks and packaged rows per programming language."""
        return languages_markdown(self.languages)

    def summary_markdown(self) -> str:
        """The short version for the data card: funnel, agreement verdict, gold accuracy."""
        gold = self.agreement.gold
        mean_gold = sum(g.accuracy for g in gold) / len(gold) if gold else None
        verdict = "passed" if self.passed else "**failed**"
        parts = [
            _funnel_table(self.funnel),
            f"Agreement gate: {verdict}; "
            f"{len(self.agreement.failing_cells)} failing cell(s), "
            + (
                f"{len(self.agreement.failing_work)} failing work figure(s), "
                if self.agreement.work
                else ""
            )
            + f"{len(self.agreement.flagged_reviewers)} flagged reviewer(s), "
            f"{self.judged_figures} figure(s) judged.",
            "Mean gold accuracy: "
            + ("n/a (no gold answers)" if mean_gold is None else f"{mean_gold:.2f}")
            + f" over {len(gold)} reviewer(s).",
            "Expert gold accuracy (mean over reviewers): "
            + (
                "n/a (no expert gold answers)"
                if self.expert_gold.mean_accuracy is None
                else f"{self.expert_gold.mean_accuracy:.2f}"
            )
            + f"; {self.expert_gold.items} item(s) in service.",
        ]
        return "\n\n".join(parts)

    def to_markdown(self) -> str:
        sections = [
            "# QA report",
            f"Batches: {', '.join(self.batch_ids) or 'none'}",
        ]
        if self.simulated:
            sections.append("> **Warning:** labels come from simulated reviewers, not people.")
        sections += ["## Sign-off", sign_off_markdown(self.sign_offs)]
        sections += [
            "## Funnel",
            _funnel_table(self.funnel),
            "## Languages",
            self.languages_markdown(),
            "## Repository tasks (environment funnel)",
            repositories_markdown(self.repositories),
            "## Intake refusals",
            _count_table("reason", self.dropped),
            "## Execution outcomes (first run per candidate, references aside)",
            _count_table("verdict", self.verdicts),
            "## Security findings by CWE",
            _count_table("CWE", {f"CWE-{k}": v for k, v in self.cwe_findings.items()}),
            "## Decontamination",
            f"Prompts flagged as contaminated: {self.contaminated_prompts}",
            _count_table("benchmark", self.contamination),
            self.contamination_sentence(),
            "## Generation models and cost",
            _models_table(self.models),
            "## Replayed candidates",
            _replayed_table(self.replayed),
            "## Review tasks",
            _count_table("status", self.task_statuses),
            "## Labels: agreement and adjudication",
            _labels_text(self.opposite_direction, self.labels),
            "## Safety vetoes",
            _vetoes_text(self.vetoes, self.overrides),
            "## Packaging exclusions",
            _count_table("reason", self.exclusions),
            "## Packaged rows",
            _packaged_table(self.packaged),
            "## Agreement",
            f"Gate: {'passed' if self.passed else '**failed**'}",
            self.agreement.cells_markdown(),
            *self.work_markdown(),
            "## Time and cost",
            self.time_cost_markdown(),
            "## Expert gold per reviewer",
            self.expert_gold.markdown(),
            "## Gold accuracy per reviewer",
            "Attention checks: automatic pass-versus-fail pairs (`review.gold_rate`).",
            self.agreement.gold_markdown(),
            "## LLM judge versus reviewers",
            self.judge.markdown(),
        ]
        return "\n\n".join(sections) + "\n"


def build_qa_report(
    session: Session,
    batch_ids: list[str],
    *,
    packaged: dict[str, dict[str, int]] | None = None,
    simulated: bool = False,
    agreement_settings: AgreementSettings | None = None,
    selection: PairSelection | None = None,
    review_settings: ReviewSettings | None = None,
    packaged_items: Iterable[tuple[str, int]] | None = None,
    repository_tasks: list[str] | None = None,
) -> QAReport:
    """The QA report for `batch_ids`; `packaged` is {config: {split: rows}} of what was written,
    and `packaged_items` the same rows as (config, prompt id), counted per language.

    `selection` is the pair selection the release was built from, when there is one; without
    it the report selects pairs itself, the way packaging would (SFT vetoes are then not
    counted: they are decided while planning a release).
    """
    if not batch_ids:
        raise ValueError("build_qa_report needs at least one batch id")
    known = set(session.scalars(select(col(Batch.id)).where(col(Batch.id).in_(batch_ids))))
    missing = [batch_id for batch_id in batch_ids if batch_id not in known]
    if missing:
        raise ValueError(f"QA report: unknown batch id(s) {missing}")
    if agreement_settings is None or review_settings is None:
        config = load_config()
        agreement_settings = agreement_settings or config.agreement
        review_settings = review_settings or config.review
    settings = agreement_settings
    agreement = agreement_report(session, batch_ids, settings)
    if selection is None:
        flagged = set(agreement.flagged_reviewers) if settings.exclude_flagged_reviewers else set()
        selection = select_pairs(
            session,
            batch_ids,
            allow_simulated=simulated,
            flagged_reviewers=flagged,
            opposite_direction=review_settings.opposite_direction,
        )
    counts = _Counts(session, batch_ids)
    work = kind_sections(session, batch_ids)
    time_rows, time_total = time_and_cost(session, batch_ids, review_settings.tariffs)
    return QAReport(
        batch_ids=list(batch_ids),
        simulated=simulated,
        funnel=_with_work(counts.funnel(packaged), work),
        dropped=counts.dropped(),
        verdicts=counts.verdicts(),
        cwe_findings=counts.cwe_findings(),
        contamination=counts.contamination(),
        contaminated_prompts=counts.contaminated_prompts(),
        models=counts.models(),
        task_statuses=dict(sorted(selection.task_statuses.items())),
        exclusions=dict(sorted(selection.excluded.items())),
        agreement=agreement,
        judged_figures=len(agreement.gate_frame()),
        evidence_required=settings.require_agreement_evidence,
        packaged={config: dict(splits) for config, splits in (packaged or {}).items()},
        replayed=counts.replayed(),
        opposite_direction=selection.opposite_direction,
        labels={key: selection.labels[key] for key in LABEL_FIGURES},
        vetoes=dict(sorted(selection.vetoes.items())),
        overrides=dict(sorted(selection.overrides.items())),
        sign_offs=current_sign_offs(session, batch_ids),
        judge=judge_agreement(session, batch_ids),
        expert_gold=expert_gold_figures(session, batch_ids),
        languages=language_figures(session, batch_ids, packaged_items),
        repositories=repository_funnels(session, repository_tasks),
        work=work,
        time_cost=time_rows,
        time_total=time_total if time_rows else None,
        currency=review_settings.currency,
    )


def _with_work(funnel: list[FunnelStep], work: list[KindSection]) -> list[FunnelStep]:
    """The funnel with the steps of work beyond pairs before `packaged`, when there is any."""
    steps = [FunnelStep(stage, count, unit) for stage, count, unit in work_funnel(work)]
    return funnel[:-1] + steps + funnel[-1:]


class _Counts:
    """The direct queries behind each section, all restricted to the report's batches."""

    def __init__(self, session: Session, batch_ids: list[str]) -> None:
        self.session = session
        self.batch_ids = batch_ids

    def _in(self, table: Any) -> Any:
        return table.batch_id.in_(self.batch_ids)

    def scalar(self, query: Any) -> int:
        return int(self.session.scalar(query) or 0)

    def funnel(self, packaged: dict[str, dict[str, int]] | None) -> list[FunnelStep]:
        prompts = select(func.count(col(Prompt.id))).where(self._in(Prompt))
        candidates = select(func.count(col(Candidate.id))).where(self._in(Candidate))
        non_reference = col(Candidate.source) != CandidateSource.REFERENCE
        tasks = select(col(ReviewTask.id)).where(
            self._in(ReviewTask), col(ReviewTask.is_gold).is_(False)
        )
        return [
            FunnelStep(
                "received",
                self.scalar(
                    select(func.sum(col(Batch.received))).where(col(Batch.id).in_(self.batch_ids))
                ),
                "records",
            ),
            FunnelStep("accepted", self.scalar(prompts), "prompts"),
            FunnelStep(
                "gradable", self.scalar(prompts.where(col(Prompt.gradable).is_(True))), "prompts"
            ),
            FunnelStep(
                "stable",
                self.scalar(
                    prompts.where(col(Prompt.gradable).is_(True), col(Prompt.stable).is_(True))
                ),
                "prompts",
            ),
            FunnelStep(
                "generated",
                self.scalar(candidates.where(col(Candidate.source) == CandidateSource.GENERATED)),
                "candidates",
            ),
            FunnelStep(
                "replayed",
                self.scalar(candidates.where(col(Candidate.source) == CandidateSource.REPLAY)),
                "candidates",
            ),
            FunnelStep(
                "executed",
                self.scalar(
                    select(func.count(distinct(col(ExecutionRun.candidate_id))))
                    .join(Candidate, col(Candidate.id) == ExecutionRun.candidate_id)
                    .where(self._in(ExecutionRun), non_reference)
                ),
                "candidates",
            ),
            FunnelStep(
                "reviewed",
                self.scalar(
                    select(func.count(distinct(col(Annotation.task_id)))).where(
                        col(Annotation.task_id).in_(tasks)
                    )
                ),
                "tasks",
            ),
            FunnelStep(
                "agreed",
                self.scalar(
                    select(func.count(col(PreferencePair.id))).where(
                        col(PreferencePair.task_id).in_(tasks)
                    )
                ),
                "preference pairs",
            ),
            FunnelStep(
                "packaged",
                None if packaged is None else sum(sum(s.values()) for s in packaged.values()),
                "rows",
            ),
        ]

    def dropped(self) -> dict[str, int]:
        return {
            "quarantined": self.scalar(
                select(func.count(col(QuarantinedRecord.id))).where(self._in(QuarantinedRecord))
            ),
            "duplicates": self.scalar(
                select(func.count(col(DuplicateRecord.id))).where(self._in(DuplicateRecord))
            ),
        }

    def verdicts(self) -> dict[str, int]:
        rows = self.session.execute(
            select(col(ExecutionRun.verdict), func.count(col(ExecutionRun.id)))
            .join(Candidate, col(Candidate.id) == ExecutionRun.candidate_id)
            .where(
                self._in(ExecutionRun),
                col(ExecutionRun.attempt) == 1,
                col(Candidate.source) != CandidateSource.REFERENCE,
            )
            .group_by(ExecutionRun.verdict)
            .order_by(ExecutionRun.verdict)
        )
        return {verdict: int(n) for verdict, n in rows}

    def cwe_findings(self) -> dict[int, int]:
        rows = self.session.execute(
            select(col(Finding.cwe_id), func.count(col(Finding.id)))
            .join(Candidate, col(Candidate.id) == Finding.candidate_id)
            .where(self._in(Candidate), col(Finding.cwe_id).is_not(None))
            .group_by(col(Finding.cwe_id))
            .order_by(col(Finding.cwe_id))
        )
        return {int(cwe): int(n) for cwe, n in rows}

    def contaminated_prompts(self) -> int:
        return self.scalar(
            select(func.count(col(Prompt.id))).where(
                self._in(Prompt), col(Prompt.contaminated).is_(True)
            )
        )

    def contamination(self) -> dict[str, int]:
        rows = self.session.execute(
            select(
                col(ContaminationFlag.benchmark),
                func.count(distinct(col(ContaminationFlag.prompt_id))),
            )
            .join(Prompt, col(Prompt.id) == ContaminationFlag.prompt_id)
            .where(self._in(Prompt))
            .group_by(ContaminationFlag.benchmark)
            .order_by(ContaminationFlag.benchmark)
        )
        return {benchmark: int(n) for benchmark, n in rows}

    def models(self) -> list[ModelCost]:
        failures: dict[str, int] = dict(
            self.session.execute(
                select(col(GenerationFailure.model), func.count(col(GenerationFailure.id)))
                .where(self._in(GenerationFailure))
                .group_by(GenerationFailure.model)
            ).all()
        )
        rows = self.session.execute(
            select(
                col(Candidate.model),
                func.count(col(Candidate.id)),
                func.sum(col(Candidate.prompt_tokens)),
                func.sum(col(Candidate.completion_tokens)),
                func.sum(col(Candidate.cost_usd)),
            )
            .where(self._in(Candidate), col(Candidate.source) == CandidateSource.GENERATED)
            .group_by(Candidate.model)
            .order_by(Candidate.model)
        )
        made = {
            model: ModelCost(model, int(n), int(p or 0), int(c or 0), float(cost or 0.0), 0)
            for model, n, p, c, cost in rows
        }
        for model, n in failures.items():
            base = made.get(model, ModelCost(model, 0, 0, 0, 0.0, 0))
            made[model] = ModelCost(
                model,
                base.candidates,
                base.prompt_tokens,
                base.completion_tokens,
                base.cost_usd,
                int(n),
            )
        return [made[model] for model in sorted(made)]

    def replayed(self) -> list[ReplaySource]:
        rows = self.session.execute(
            select(
                col(Candidate.model),
                func.count(col(Candidate.id)),
                func.count(distinct(col(Candidate.provenance))),
            )
            .where(self._in(Candidate), col(Candidate.source) == CandidateSource.REPLAY)
            .group_by(Candidate.model)
            .order_by(Candidate.model)
        )
        return [ReplaySource(label, int(n), int(p)) for label, n, p in rows]


def _replayed_table(replayed: list[ReplaySource]) -> str:
    if not replayed:
        return "None: every candidate was generated here."
    lines = [
        f"| {r.label or '(unlabelled)'} | {r.candidates} | {r.provenances} |" for r in replayed
    ]
    return (
        "Read from a replay file, not generated by this factory: the labels are what the file "
        "recorded (`provenance` says who or what wrote each candidate), not models it ran.\n\n"
        "| recorded label | candidates | provenance notes |\n|---|---:|---:|\n" + "\n".join(lines)
    )


def _labels_text(policy: str, labels: dict[str, int]) -> str:
    rule = (
        "reviews favouring opposite candidates always go to a senior"
        if policy == ADJUDICATE
        else "reviews favouring opposite candidates are settled by their mean within the "
        "disagreement threshold"
    )
    return (
        f"Policy (`review.opposite_direction: {policy}`): {rule}; reviews further apart than "
        "`review.disagreement_threshold` go to a senior too. A pair is packaged only on an "
        "agreed or adjudicated label.\n\n" + _count_table("tasks", labels)
    )


def _vetoes_text(vetoes: dict[str, int], overrides: dict[str, int]) -> str:
    return (
        "A candidate with a high-severity security finding, or failing its tests, is never "
        "packaged as chosen over one without that flaw, nor as an SFT answer, unless a senior "
        "overrode the veto in writing.\n\nRefused:\n\n"
        + _count_table("reason", vetoes)
        + "\n\nLet through by a senior's written override:\n\n"
        + _count_table("rows", overrides)
    )


def _funnel_table(funnel: list[FunnelStep]) -> str:
    lines = [f"| {s.stage} | {'n/a' if s.count is None else s.count} | {s.unit} |" for s in funnel]
    return "| stage | count | unit |\n|---|---:|---|\n" + "\n".join(lines)


def _count_table(label: str, counts: dict[str, int]) -> str:
    if not counts:
        return "None."
    lines = [f"| {key} | {value} |" for key, value in counts.items()]
    return f"| {label} | count |\n|---|---:|\n" + "\n".join(lines)


def _models_table(models: list[ModelCost]) -> str:
    if not models:
        return "No generated candidates."
    lines = [
        f"| {m.model or '(unnamed)'} | {m.candidates} | {m.prompt_tokens} | "
        f"{m.completion_tokens} | {m.cost_usd:.4f} | {m.failures} |"
        for m in models
    ]
    header = (
        "| model | candidates | prompt tokens | completion tokens | cost (USD) | failures |\n"
        "|---|---:|---:|---:|---:|---:|\n"
    )
    return header + "\n".join(lines)


def _packaged_table(packaged: dict[str, dict[str, int]]) -> str:
    if not packaged:
        return "Nothing packaged yet."
    lines = [
        f"| {config} | {split} | {rows} |"
        for config, splits in packaged.items()
        for split, rows in splits.items()
    ]
    return "| config | split | rows |\n|---|---|---:|\n" + "\n".join(lines)
