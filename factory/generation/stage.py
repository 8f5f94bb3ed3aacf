"""The generation stage: candidates for every prompt of a batch, then optional judge scores.

Candidates come from the model server in `generation.base_url` (cached, so a rerun spends no
tokens) and/or a replay file; the bundled demo replay file when neither is configured.
"""

from dataclasses import dataclass

from factory.generation.judge import JudgeReport, run_judge
from factory.generation.pipeline import GenerationReport, run_generation
from factory.stages.context import StageContext
from factory.stages.report import Metadata, StageReport


@dataclass(slots=True)
class GenerationStageReport(StageReport):
    generation: GenerationReport
    judge: JudgeReport | None = None

    def summary(self) -> str:
        report = self.generation
        text = (
            f"batch {report.batch_id}: {report.prompts} prompts, "
            f"{report.candidates_written} candidates written, {report.candidates_updated} "
            f"updated, {report.candidates_unchanged} unchanged, {report.failures} failed requests"
        )
        if report.prompts_without_candidates:
            text += (
                f"; {len(report.prompts_without_candidates)} prompt(s) got no candidates (not "
                "covered by the replay file, or every request failed)"
            )
        if self.judge is not None:
            text += f"; {self.judge.judged} judged"
        return text

    def metadata(self) -> Metadata:
        metadata: Metadata = dict(self.generation.metadata())
        if self.judge is not None:
            metadata |= self.judge.metadata()
        return metadata


def run(ctx: StageContext, batch_id: str) -> GenerationStageReport:
    settings = ctx.config.generation
    client = ctx.chat_client()
    report = GenerationStageReport(
        run_generation(engine=ctx.engine, batch_id=batch_id, settings=settings, client=client)
    )
    if settings.judge_model and client is not None:
        report.judge = run_judge(
            engine=ctx.engine, batch_id=batch_id, settings=settings, client=client
        )
    elif settings.judge_model:
        ctx.log.warning("generation.judge_model is set but no base_url: judging skipped")
    return report
