"""`release_package`: the batch's reviewed work packaged as a versioned release, then gated.

Builds the DPO (standard and conversational), RLVR, SFT and reward configs with their data
card, QA report and factory config under `<FACTORY_HOME>/releases/<name>/<version>/`, and
records the Release with one ReleaseItem per row. Same content reruns return the same release.
The `release_gate` reads the packaged tables back from disk before anything is published.
"""

from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from assets.gates import gate_check
from assets.partitions import batch_partitions
from expectations.packaging import build_suite, load_frame
from factory.packaging.release import build_release
from factory.settings import factory_home
from resources.database import DatabaseResource
from resources.settings import FactorySettingsResource

RELEASE_GATE = "release_gate"
AGREEMENT = AssetKey("agreement")


def releases_root() -> Path:
    return factory_home() / "releases"


@asset(
    deps=[AGREEMENT],
    partitions_def=batch_partitions,
    group_name="post_review",
    kinds={"parquet"},
    description=(
        "The batch's release: dpo (TRL standard), dpo_conversational, rlvr, sft and reward "
        "configs split by prompt (near duplicates together), with README data card, QA report "
        "and factory config; one ReleaseItem per row traces it to its sources. Unchanged "
        "content keeps its version; changed content gets the next minor."
    ),
)
def release_package(
    context: AssetExecutionContext,
    database: DatabaseResource,
    settings: FactorySettingsResource,
) -> MaterializeResult:
    config = settings.load()
    release = build_release(
        database.get_engine(), [context.partition_key], config, out_root=releases_root()
    )
    folder = Path(release.path)
    packaged = dict(release.qa_report.get("packaged", {}))
    context.log.info(f"release {release.name} {release.version} at {folder}: {release.counts}")
    return MaterializeResult(
        metadata={
            "release": f"{release.name} {release.version}",
            "release_id": release.id,
            "version": release.version,
            "path": MetadataValue.path(str(folder)),
            "config_sha256": release.config_sha256,
            "simulated_labels": bool(release.qa_report.get("simulated")),
            "counts": MetadataValue.json(packaged),
            **{
                f"rows_{name}_{split}": rows
                for name, splits in packaged.items()
                for split, rows in splits.items()
            },
            "qa_report": MetadataValue.md((folder / "qa_report.md").read_text(encoding="utf-8")),
            "qa_report_json": MetadataValue.json(release.qa_report),
        }
    )


release_gate = gate_check(
    name=RELEASE_GATE,
    asset=release_package.key,
    description=(
        "Read back from the release folder: every config's schema columns present, "
        "no empty prompt/chosen/rejected, chosen differs from rejected, no prompt in two "
        "splits, and at least one DPO row."
    ),
    suite_factory=build_suite,
    frame_loader=load_frame,
)
