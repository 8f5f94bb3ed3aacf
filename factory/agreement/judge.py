"""How far the LLM judge (generation.judge_model) agrees with the reviewers, per dimension.

Every reviewer's 1-5 score of a candidate on a dimension is paired with the judge's score of the
same candidate on the same dimension. Per judge model and dimension: the number of pairs and of
candidates, the share of exact matches and of matches within one point, the mean absolute
difference, the mean bias (judge minus reviewer: positive when the judge is more generous), and
Cohen's kappa with quadratic weights over 1-5 (None when undefined, e.g. a constant column).
"""

import math
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any

from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import cohen_kappa_score
from sqlalchemy import and_, select
from sqlmodel import Session, col

from factory.agreement.metrics import KAPPA_WEIGHTS, SCORE_DOMAIN
from factory.models import Annotation, DimensionScore, JudgeScore, ReviewTask
from factory.stages.report import markdown_table
from factory.vocab import DIMENSIONS


@dataclass(frozen=True, slots=True)
class JudgeDimensionAgreement:
    judge_model: str
    dimension: str
    pairs: int  # (reviewer score, judge score) pairs
    candidates: int
    exact: float
    within_one: float
    mean_abs_diff: float
    mean_bias: float  # judge minus reviewer
    kappa: float | None


@dataclass(frozen=True, slots=True)
class JudgeAgreement:
    rows: list[JudgeDimensionAgreement] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "judge_models": sorted({row.judge_model for row in self.rows}),
            "by_dimension": [asdict(row) for row in self.rows],
        }

    def markdown(self) -> str:
        if not self.rows:
            return "No candidate both scored by an LLM judge and reviewed (generation.judge_model)."
        header = [
            "judge",
            "dimension",
            "pairs",
            "candidates",
            "exact",
            "within 1",
            "mean |diff|",
            "bias (judge - reviewer)",
            "weighted kappa",
        ]
        rows = [
            [
                row.judge_model,
                row.dimension,
                row.pairs,
                row.candidates,
                f"{row.exact:.2f}",
                f"{row.within_one:.2f}",
                f"{row.mean_abs_diff:.2f}",
                f"{row.mean_bias:+.2f}",
                "n/a" if row.kappa is None else f"{row.kappa:.2f}",
            ]
            for row in self.rows
        ]
        return markdown_table(header, rows)


def weighted_kappa(judge: list[int], human: list[int]) -> float | None:
    if not judge:
        return None
    with warnings.catch_warnings():
        # A constant column makes kappa 0/0: reported as None, not as a warning.
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        value = cohen_kappa_score(judge, human, labels=SCORE_DOMAIN, weights=KAPPA_WEIGHTS)
    return None if math.isnan(value) else float(value)


def judge_agreement(session: Session, batch_ids: list[str]) -> JudgeAgreement:
    """Judge-versus-reviewer agreement on every reviewed candidate of the batches."""
    pairs = session.execute(
        select(
            col(JudgeScore.judge_model),
            col(DimensionScore.dimension),
            col(DimensionScore.candidate_id),
            col(JudgeScore.score),
            col(DimensionScore.score),
        )
        .join(Annotation, col(Annotation.id) == col(DimensionScore.annotation_id))
        .join(ReviewTask, col(ReviewTask.id) == col(Annotation.task_id))
        .join(
            JudgeScore,
            and_(
                col(JudgeScore.candidate_id) == col(DimensionScore.candidate_id),
                col(JudgeScore.dimension) == col(DimensionScore.dimension),
            ),
        )
        .where(col(ReviewTask.batch_id).in_(batch_ids))
    ).all()
    grouped: dict[tuple[str, str], list[tuple[int, int, int]]] = {}
    for model, dimension, candidate_id, judge, human in pairs:
        grouped.setdefault((model, dimension), []).append((candidate_id, judge, human))
    order = {d.value: i for i, d in enumerate(DIMENSIONS)}
    rows = []
    for (model, dimension), items in sorted(
        grouped.items(), key=lambda kv: (kv[0][0], order.get(kv[0][1], len(order)), kv[0][1])
    ):
        judge = [j for _, j, _ in items]
        human = [h for _, _, h in items]
        diffs = [j - h for j, h in zip(judge, human, strict=True)]
        n = len(items)
        rows.append(
            JudgeDimensionAgreement(
                judge_model=model,
                dimension=dimension,
                pairs=n,
                candidates=len({c for c, _, _ in items}),
                exact=sum(d == 0 for d in diffs) / n,
                within_one=sum(abs(d) <= 1 for d in diffs) / n,
                mean_abs_diff=sum(abs(d) for d in diffs) / n,
                mean_bias=sum(diffs) / n,
                kappa=weighted_kappa(judge, human),
            )
        )
    return JudgeAgreement(rows)
