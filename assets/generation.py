"""`candidates`: solutions for every prompt of a batch, generated and/or replayed, then gated."""

from dagster import AssetExecutionContext, MaterializeResult, asset

from assets.gates import gate_check
from assets.partitions import batch_partitions
from expectations.generation import build_suite, load_frame
from factory.generation.judge import run_judge
from factory.generation.pipeline import run_generation
from resources.database import DatabaseResource
from resources.llm import LLMResource
from resources.settings import FactorySettingsResource

GENERATION_GATE = "generation_gate"


@asset(
    deps=["prompts"],
    partitions_def=batch_partitions,
    group_name="pre_review",
    description=(
        "Candidate solutions per prompt: from the OpenAI-compatible server in "
        "generation.base_url (cached, so a rerun spends no tokens) and/or a replay file; the "
        "bundled demo replay file when neither is configured."
    ),
)
def candidates(
    context: AssetExecutionContext,
    database: DatabaseResource,
    settings: FactorySettingsResource,
    llm: LLMResource,
) -> MaterializeResult:
    config = settings.load().generation
    engine = database.get_engine()
    client = llm.client(config)
    report = run_generation(
        engine=engine, batch_id=context.partition_key, settings=config, client=client
    )
    metadata = report.metadata()
    if report.prompts_without_candidates:
        context.log.info(
            f"{len(report.prompts_without_candidates)} of {report.prompts} prompts got no "
            "candidates (not covered by the replay file, or every request failed)"
        )
    if config.judge_model and client is not None:
        metadata |= run_judge(
            engine=engine, batch_id=context.partition_key, settings=config, client=client
        ).metadata()
    elif config.judge_model:
        context.log.warning("generation.judge_model is set but no base_url: judging skipped")
    return MaterializeResult(metadata=metadata)


candidates_gate = gate_check(
    name=GENERATION_GATE,
    asset=candidates.key,
    description=(
        "Each prompt the sources cover has at least generation.min_candidates_per_prompt "
        "candidates with code, the extraction rate is at least generation.min_extraction_rate, "
        "and no extracted code is empty."
    ),
    suite_factory=build_suite,
    frame_loader=load_frame,
)
