"""The packaging stage: a batch's reviewed work as a versioned release.

Builds the DPO (standard and conversational), RLVR, SFT and reward configs, and the configs of
work beyond pairs (ranking, code review, bug fix, authoring, reasoning, refactoring), with their
data card, QA report and factory config under `<FACTORY_HOME>/releases/<name>/<version>/`, and
records the Release with one ReleaseItem per row. Unchanged content keeps its version; changed
content gets the next minor.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from factory.packaging.release import build_release
from factory.settings import releases_root
from factory.stages.context import StageContext
from factory.stages.report import FilePath, Markdown, Metadata, StageReport


@dataclass(frozen=True, slots=True)
class PackagingReport(StageReport):
    release_id: int
    name: str
    version: str
    folder: Path
    config_sha256: str
    counts: dict[str, Any]
    qa_report: dict[str, Any]

    def summary(self) -> str:
        return f"release {self.name} {self.version} at {self.folder}: {self.counts}"

    def metadata(self) -> Metadata:
        packaged: dict[str, dict[str, int]] = dict(self.qa_report.get("packaged", {}))
        return {
            "release": f"{self.name} {self.version}",
            "release_id": self.release_id,
            "version": self.version,
            "path": FilePath(str(self.folder)),
            "config_sha256": self.config_sha256,
            "simulated_labels": bool(self.qa_report.get("simulated")),
            "counts": packaged,
            **{
                f"rows_{name}_{split}": rows
                for name, splits in packaged.items()
                for split, rows in splits.items()
            },
            "qa_report": Markdown((self.folder / "qa_report.md").read_text(encoding="utf-8")),
            "qa_report_json": self.qa_report,
        }


def run(ctx: StageContext, batch_id: str) -> PackagingReport:
    release = build_release(ctx.engine, [batch_id], ctx.config, out_root=releases_root())
    assert release.id is not None  # stored by build_release
    return PackagingReport(
        release_id=release.id,
        name=release.name,
        version=release.version,
        folder=Path(release.path),
        config_sha256=release.config_sha256,
        counts=dict(release.counts or {}),
        qa_report=dict(release.qa_report or {}),
    )
