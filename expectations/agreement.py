"""The agreement gate: preference kappa, dimension alpha and gold accuracy over their thresholds.

The frame is `AgreementReport.gate_frame()`: one row per judged figure. A cell's figure is the
estimate with `agreement.gate_on: point` (the default) or the lower end of its 95% bootstrap
interval with `lower_bound`. Figures with too few items are not in it (they are reported in the
asset's tables instead).
"""

import great_expectations as gx
import pandas as pd

from factory.agreement.breakdown import ALPHA, KAPPA
from factory.agreement.report import GOLD, agreement_report
from factory.agreement.work_figures import THRESHOLDS
from factory.settings import FactoryConfig
from factory.stages.context import StageContext

SUITE_NAME = "agreement"
DESCRIPTION = (
    "Every gated kappa cell >= agreement.min_preference_kappa, every gated alpha cell >= "
    "agreement.min_dimension_alpha (cells judged on the lower 95% bootstrap bound, or on the "
    "estimate, as agreement.gate_on says), every gold-judged reviewer >= "
    "agreement.min_gold_accuracy; gated figures on work beyond pairs (mean Kendall's W, span F1, "
    "cross-check pass rate) >= agreement.min_ranking_w, min_span_f1, min_cross_pass_rate; "
    "with agreement.require_agreement_evidence, at least one judged figure. Failing figures are "
    "named in `offending`."
)


def build_suite(config: FactoryConfig) -> gx.ExpectationSuite:
    settings = config.agreement
    expectations: list[gx.expectations.Expectation] = [
        gx.expectations.ExpectColumnValuesToBeBetween(
            column=KAPPA, min_value=settings.min_preference_kappa, max_value=1.0
        ),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column=ALPHA, min_value=settings.min_dimension_alpha, max_value=1.0
        ),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column=GOLD, min_value=settings.min_gold_accuracy, max_value=1.0
        ),
        *(
            gx.expectations.ExpectColumnValuesToBeBetween(
                column=metric, min_value=getattr(settings, threshold), max_value=1.0
            )
            for metric, threshold in THRESHOLDS.items()
        ),
        # Names every figure under its threshold, so the failing cells show in the metadata.
        gx.expectations.ExpectColumnValuesToBeNull(column="offending"),
    ]
    if settings.require_agreement_evidence:
        # A reviewed batch with no judged figure at all has no evidence its labels are reliable.
        expectations.append(gx.expectations.ExpectTableRowCountToBeBetween(min_value=1))
    return gx.ExpectationSuite(name=SUITE_NAME, expectations=expectations)


def load_frame(ctx: StageContext, batch_id: str) -> pd.DataFrame:
    with ctx.session() as session:
        return agreement_report(session, [batch_id], ctx.config.agreement).gate_frame()
