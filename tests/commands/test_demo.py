"""`factory demo` end to end on a slice of the sample batch: both jobs, simulated reviews, a
release folder and its published copy; plus the slice and the demo-only config override."""

import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import pyarrow.parquet as pq
import pytest
from dagster import DagsterInstance
from sqlmodel import Session, select
from ui_server import free_port, graphql, running_ui

from commands.demo import demo_config, sample_batch
from factory.db import open_database
from factory.models import Candidate, Reviewer
from factory.models.release import Release
from factory.packaging.safety import high_severity_findings
from factory.samples import sample_lines
from factory.settings import FactoryConfig, load_config

REPO_ROOT = Path(__file__).resolve().parents[2]
EXECUTIONS_IN_THE_UI = """{
  assetNodes(assetKeys: [{path: ["executions"]}]) {
    assetMaterializations(limit: 1) {
      partition
      metadataEntries { label ... on IntMetadataEntry { intValue } }
    }
    assetChecksOrError {
      ... on AssetChecks { checks { name executionForLatestMaterialization { status } } }
    }
  }
}"""
# The README's main command as it is: the whole sample batch. A slice has too few review tasks
# for the agreement gate to judge (a handful of overlapping items), and the gate is not lowered.


def test_sample_batch_slices_the_first_problems_and_is_stable(tmp_path: Path) -> None:
    path = sample_batch(tmp_path / "inbox", 3)
    lines = path.read_text().splitlines()
    assert [json.loads(line)["task_id"] for line in lines] == [f"HumanEval/{i}" for i in range(3)]
    before = path.stat().st_mtime_ns
    assert sample_batch(tmp_path / "inbox", 3) == path  # same content, same batch id
    assert path.stat().st_mtime_ns == before
    whole = sample_batch(tmp_path / "inbox", 0)
    with gzip.open(whole, "rt") as handle:
        lines = handle.readlines()
    assert lines == sample_lines() and len(lines) > 164  # HumanEval, then other languages


def test_sample_batch_refuses_a_negative_limit(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="--limit must be 0 \\(all\\) or a positive count, got -1"):
        sample_batch(tmp_path, -1)


def test_demo_config_applies_the_demo_overrides_and_keeps_the_rest(tmp_path: Path) -> None:
    base = FactoryConfig.model_validate(
        {"review": {"gold_rate": 0.5}, "publishing": {"target": "hub", "repo_id": "org/x"}}
    )
    path = demo_config(base, tmp_path)
    loaded = load_config(path)
    assert loaded.packaging.allow_simulated is True
    # Pass-versus-fail pairs too, so the broken replayed candidates reach the release.
    assert loaded.review.pair_strategy == "mixed" and loaded.review.max_pairs_per_prompt == 6
    assert loaded.packaging.exclude_contaminated is False  # HumanEval flags itself
    assert "HumanEval benchmark itself" in loaded.packaging.contamination_note  # the card's why
    assert loaded.agreement == base.agreement  # the gates keep their thresholds
    assert loaded.publishing.target == "local"  # simulated labels stay on this machine
    assert loaded.review.gold_rate == 0.5 and loaded.publishing.repo_id == "org/x"
    assert base.packaging.allow_simulated is False  # the active config is untouched
    assert loaded.sha256() != base.sha256()


@pytest.mark.slow
@pytest.mark.docker
def test_demo_runs_the_whole_chain_on_a_slice(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "FACTORY_HOME": str(home)}
    env.pop("DAGSTER_HOME", None)
    proc = subprocess.run(
        [sys.executable, "-m", "commands", "demo"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = proc.stdout
    assert proc.returncode == 0, output[-4000:] + proc.stderr[-4000:]
    for line in (
        "pre_review_job: succeeded",
        "SIMULATED REVIEWERS",
        "post_review_job: succeeded",
        "open the Dagster UI: make ui → http://127.0.0.1:3000",
        "factory review serve",
    ):
        assert line in output, output
    # Every kind of work beyond pairs in the sample batch was answered by simulated annotators.
    work = re.search(r"work_submissions=(\d+) work_left_for_people=0 work_refused=0", output)
    assert work and int(work.group(1)) >= 2 * 7, output

    engine = open_database(f"sqlite:///{home / 'factory.db'}")
    with Session(engine) as session:
        (release,) = session.exec(select(Release)).all()
        reviewers = session.exec(select(Reviewer)).all()
    engine.dispose()
    assert reviewers and all(r.simulated for r in reviewers)
    folder = Path(release.path)
    assert f"release folder: {folder}" in output
    card = (folder / "README.md").read_text()
    assert "simulated reviewers" in card.lower()
    assert "license: mit" in card and "**This release includes 164 of them**" in card
    assert any(folder.rglob("*.parquet"))
    # No chosen and no SFT answer carries a high-severity security finding (the sample's
    # `shell=True` candidate and the md5 reference among them), and the QA report says why.
    engine = open_database(f"sqlite:///{home / 'factory.db'}")
    with Session(engine) as session:
        unsafe = set(high_severity_findings(session, batch_ids=list(release.batch_ids)))
        references = session.exec(select(Candidate).where(Candidate.source == "reference")).all()
        unsafe_references = {c.prompt_id for c in references if c.id in unsafe}
    engine.dispose()
    assert unsafe_references and unsafe - {c.id for c in references}
    chosen = pq.read_table(folder / "dpo").column("chosen_candidate_id").to_pylist()
    sft = pq.read_table(folder / "sft").to_pylist()
    assert chosen and not unsafe & set(chosen)
    assert not unsafe & {row["candidate_id"] for row in sft}
    assert not unsafe_references & {r["prompt_id"] for r in sft if r["source"] == "reference"}
    qa = release.qa_report
    assert qa["labels"]["adjudicated"] >= 1 and qa["labels"]["awaiting_adjudication"] == 0
    assert qa["safety_vetoes"]["refused"]["sft_reference_unsafe"] == 1
    assert qa["safety_vetoes"]["overridden"] == {}
    report = (folder / "qa_report.md").read_text()
    # The simulated senior authors a qualification set per pool (language), the newcomer
    # answers each through the queue.
    gold_items = re.search(r"Expert gold items in service: (\d+)\.", report)
    assert gold_items and int(gold_items.group(1)) >= 5 * 5
    assert re.search(r"\| sim-newcomer \| \d+ \| \d+ \|", report)
    # Pairs in many languages, and the per-language table of the card and report says so.
    languages = set(pq.read_table(folder / "dpo").column("language").to_pylist())
    assert len(languages - {"python"}) >= 5
    assert "## Languages" in card and "| javascript |" in report
    assert "signed off by Simulated senior" in report and "**SIMULATED**" in report
    # The local target publishes a copy under FACTORY_HOME/hub; the printed URL points at it.
    assert release.target == "local" and release.url in output
    published = Path(unquote(urlparse(release.url).path))
    assert published.is_relative_to(home / "hub")
    assert (published / "README.md").read_bytes() == (folder / "README.md").read_bytes()
    # The runs live in the instance `make ui` opens.
    instance = DagsterInstance.from_config(str(home / "dagster"))
    jobs = {record.dagster_run.job_name for record in instance.get_run_records()}
    instance.dispose()
    assert {"pre_review_job", "post_review_job"} <= jobs

    # What ops see in that UI: the batch's execution asset with its funnel and its passed gate.
    port = free_port()
    with running_ui(home, port):
        [node] = graphql(port, EXECUTIONS_IN_THE_UI)["assetNodes"]
    [materialization] = node["assetMaterializations"]
    funnel = {
        entry["label"]: entry.get("intValue")
        for entry in materialization["metadataEntries"]
        if entry["label"].startswith("funnel_")
    }
    records = len(sample_lines())
    # A record brought for authoring alone has no reference or tests yet: nothing to run.
    to_author = [r for r in map(json.loads, sample_lines()) if r.get("work") == ["authoring"]]
    assert len(to_author) == 1
    assert funnel["funnel_received"] == records
    assert funnel["funnel_accepted"] == records - len(to_author)
    assert records >= funnel["funnel_gradable"] >= funnel["funnel_stable"] > records - 14
    gates = {
        check["name"]: check["executionForLatestMaterialization"]["status"]
        for check in node["assetChecksOrError"]["checks"]
    }
    assert gates == {"executions_gate": "SUCCEEDED"}
