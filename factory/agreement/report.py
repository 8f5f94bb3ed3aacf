"""One batch's agreement report: the cells, the figures on work beyond pairs, gold accuracy,
flagged reviewers, and the verdict."""

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import pandas as pd
from sqlmodel import Session

from factory.agreement.breakdown import ALPHA, KAPPA, Cell, agreement_cells
from factory.agreement.data import ReviewData, load_review_data
from factory.agreement.gold import GoldRecord, gold_accuracy
from factory.agreement.work_data import WorkAnswer, load_work_answers
from factory.agreement.work_figures import GATED_METRICS, WorkFigure, work_figures, work_markdown
from factory.settings import AgreementSettings

GOLD = "gold_accuracy"
# How the cells table names what each cell was judged on.
JUDGED_ON = {
    "value": "estimate",
    "ci_low": "lower 95% bound",
    "ci_high": "upper 95% bound",
    "": "not gated",
}


@dataclass(frozen=True, slots=True)
class AgreementReport:
    cells: list[Cell]
    gold: list[GoldRecord]
    work: list[WorkFigure] = field(default_factory=list)  # work beyond pairs, per kind
    min_items: int = 0  # agreement.min_items_per_cell, for saying why a work figure is n/a

    @property
    def flagged_reviewers(self) -> list[int]:
        return [record.reviewer_id for record in self.gold if record.flagged]

    @property
    def failing_cells(self) -> list[Cell]:
        return [cell for cell in self.cells if not cell.passed]

    @property
    def failing_work(self) -> list[WorkFigure]:
        return [figure for figure in self.work if not figure.passed]

    @property
    def passed(self) -> bool:
        return not self.failing_cells and not self.failing_work and not self.flagged_reviewers

    def gate_frame(self) -> pd.DataFrame:
        """One row per judged figure (cells and reviewers), for the blocking gate.

        Each metric has its own column (empty on other rows) so each gets its own expectation
        and threshold; `offending` names every figure under its threshold, so the check's
        metadata lists the failing cells. Figures with too few items are not rows here.
        """
        rows = []
        for cell in self.cells:
            if cell.gated:
                rows.append(
                    _gate_row(
                        cell.name,
                        cell.metric,
                        cell.n_items,
                        cell.judged_value,
                        cell.threshold,
                        cell.judged_on,
                    )
                )
        for figure in self.work:
            if figure.gated and figure.threshold is not None:
                rows.append(
                    _gate_row(
                        figure.name,
                        figure.metric,
                        figure.n_items,
                        figure.judged_value,
                        figure.threshold,
                        figure.judged_on,
                    )
                )
        for record in self.gold:
            if record.gated:
                rows.append(
                    _gate_row(
                        f"{GOLD}[reviewer {record.reviewer_id}]",
                        GOLD,
                        record.n_gold,
                        record.accuracy,
                        record.threshold,
                        "value",
                    )
                )
        return pd.DataFrame(rows, columns=GATE_COLUMNS)

    def to_dict(self) -> dict:
        return {
            "passed": self.passed,
            "cells": [
                asdict(cell) | {"name": cell.name, "gated": cell.gated, "passed": cell.passed}
                for cell in self.cells
            ],
            "gold": [
                asdict(record) | {"accuracy": record.accuracy, "flagged": record.flagged}
                for record in self.gold
            ],
            "work": [
                asdict(figure)
                | {"name": figure.name, "gated": figure.gated, "passed": figure.passed}
                for figure in self.work
            ],
            "flagged_reviewers": self.flagged_reviewers,
            "failing_cells": [cell.name for cell in self.failing_cells],
            "failing_work_figures": [figure.name for figure in self.failing_work],
        }

    def work_markdown(self, kind: str | None = None) -> str:
        """The figures on work beyond pairs (of one kind, when given) as a table."""
        figures = [f for f in self.work if kind is None or f.kind == kind]
        if kind is not None and not figures:
            return "No answers yet, so no agreement figures."
        return work_markdown(figures, min_items=self.min_items)

    def cells_markdown(self) -> str:
        header = (
            "| metric | language | task type | dimension | n | value | 95% CI | judged on | ok |\n"
            "|---|---|---|---|---:|---:|---|---|---|\n"
        )
        lines = [
            f"| {c.metric} | {c.language} | {c.task_type} | {c.dimension} | {c.n_items} "
            f"| {_fmt(c.value)} | {_ci(c.ci_low, c.ci_high)} | {JUDGED_ON[c.judged_on]} "
            f"| {'yes' if c.passed else '**NO**'} |"
            for c in self.cells
        ]
        return header + "\n".join(lines) if lines else "No reviewed items yet."

    def gold_markdown(self) -> str:
        header = (
            "| reviewer | gold answered | correct | accuracy | flagged |\n"
            "|---:|---:|---:|---:|---|\n"
        )
        lines = [
            f"| {g.reviewer_id} | {g.n_gold} | {g.n_correct} | {g.accuracy:.2f} "
            f"| {'**yes**' if g.flagged else 'no'} |"
            for g in self.gold
        ]
        return header + "\n".join(lines) if lines else "No gold answers yet."


METRIC_COLUMNS = [KAPPA, ALPHA, *GATED_METRICS, GOLD]
GATE_COLUMNS = ["cell", "n_items", *METRIC_COLUMNS, "offending"]


def _gate_row(
    name: str, metric: str, n_items: int, value: float | None, threshold: float, judged_on: str
) -> dict:
    row: dict = {"cell": name, "n_items": n_items} | dict.fromkeys(METRIC_COLUMNS)
    row[metric] = value
    below = value is None or value < threshold
    shown = "n/a" if value is None else f"{value:.3f}"
    basis = {"ci_high": " (upper 95% bound)", "ci_low": " (lower 95% bound)"}.get(judged_on, "")
    row["offending"] = f"{name} = {shown}{basis} < {threshold} with n={n_items}" if below else None
    return row


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _ci(low: float | None, high: float | None) -> str:
    return "n/a" if low is None or high is None else f"[{low:.3f}, {high:.3f}]"


def build_report(
    data: ReviewData, settings: AgreementSettings, work: Sequence[WorkAnswer] = ()
) -> AgreementReport:
    return AgreementReport(
        cells=agreement_cells(data, settings),
        gold=gold_accuracy(data.ratings, settings),
        work=work_figures(work, settings),
        min_items=settings.min_items_per_cell,
    )


def agreement_report(
    session: Session, batch_ids: list[str], settings: AgreementSettings
) -> AgreementReport:
    """Recomputed from the database every time: deterministic for a given seed, never stale."""
    return build_report(
        load_review_data(session, batch_ids), settings, load_work_answers(session, batch_ids)
    )
