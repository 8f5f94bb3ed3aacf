"""`factory demo`: the whole chain on the bundled sample batch, end to end.

The sample batch is HumanEval plus problems written for this project in other languages
(factory.samples), with replayed candidates for both. Drops the sample batch (or its first
`--limit` problems) into the inbox, runs `pre_review_job` for its partition, completes the
review queue with SIMULATED reviewers (for demonstration only), signs the batch off as a
SIMULATED calibrator (the sign-off packaging waits for), then runs `post_review_job` with the
demo-only overrides in DEMO_OVERRIDES (simulated reviews allowed, local target), so the release
is built, marked simulated in its data card, and published locally. Before packaging it runs
`environments_job` on a real repository's history (`--repo`, a fixture bundle by default), so
the release's `swe` config holds its stable repository tasks. Runs use the Dagster
instance under FACTORY_HOME, so `make ui` shows them afterwards.
Running it again reuses what is done: a batch through `pre_review_job` is not run again.
"""

import argparse
import hashlib
import os
import shutil
import sys
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from commands.demo_progress import Reporter, RunFollower
from commands.ui import dagster_home
from factory.intake.batch_id import batch_id_for
from factory.samples import drop_sample_batch, sample_languages, sample_lines
from factory.settings import FactoryConfig, factory_home, load_config

if TYPE_CHECKING:
    from dagster import DagsterInstance, Definitions

PRE_REVIEW_JOB = "pre_review_job"
POST_REVIEW_JOB = "post_review_job"
ENVIRONMENTS_JOB = "environments_job"
# A real project's whole history (cachetools, MIT), for the repository-environment funnel.
FIXTURE_REPO = (
    Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "repos" / "cachetools.bundle"
)
DEMO_CONFIG_NAME = "factory.demo.yaml"
# The progress lines replace Dagster's console log; full logs stay in the UI's run view.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=3000, help="port the UI hint names")
    parser.add_argument(
        "--limit",
        type=int,
        default=0,
        help="use only the first N problems of the sample batch (default: all)",
    )
    parser.add_argument(
        "--reviewers", type=int, default=3, help="how many simulated reviewers complete the queue"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the simulated reviewers")
    parser.add_argument(
        "--repo",
        default=str(FIXTURE_REPO),
        help="a repository (path, git bundle or URL) for the environment funnel; '' skips it",
    )


def sample_batch(inbox: Path, limit: int) -> Path:
    """The sample batch in `inbox`: the whole file, or a file holding its first `limit` lines."""
    if limit < 0:
        raise SystemExit(f"--limit must be 0 (all) or a positive count, got {limit}")
    if not limit:
        return drop_sample_batch(inbox)
    lines = sample_lines()[:limit]
    inbox.mkdir(parents=True, exist_ok=True)
    target = inbox / f"sample-first-{len(lines)}.jsonl"
    content = "".join(lines)
    if not target.exists() or target.read_text(encoding="utf-8") != content:
        target.write_text(content, encoding="utf-8")
    return target


CONTAMINATION_NOTE = (
    "the demo's sample batch holds the HumanEval benchmark itself, so its HumanEval prompts are "
    "flagged, and excluding them would leave Python out of the release"
)
# Demo-only overrides of the active config for both jobs, each printed when the demo runs.
DEMO_OVERRIDES: dict[str, dict[str, object]] = {
    # Every pair gets two reviews, so that a batch this small still gives the agreement gate
    # enough overlapping items to judge (production overlaps a fraction of tasks). Pairs of a
    # passing and a failing candidate are reviewed too, after the passing pairs that differ:
    # the replayed wrong and non-compiling candidates then reach reviewers and the release as
    # rejected answers, and each language's agreement cells get more than a handful of items.
    "review": {"overlap_fraction": 1.0, "pair_strategy": "mixed", "max_pairs_per_prompt": 6},
    # Simulated reviews are refused by packaging unless this is on; the data card says simulated.
    # The sample batch holds HumanEval itself, a benchmark intake decontaminates against: its
    # prompts are flagged, and excluding them would leave Python out of the release.
    "packaging": {
        "allow_simulated": True,
        "exclude_contaminated": False,
        "contamination_note": CONTAMINATION_NOTE,
    },
    # Simulated labels never leave the machine from the demo, whatever the active target.
    "publishing": {"target": "local"},
    # The repository funnel mines the newest ten candidate commits (of hundreds), to stay quick.
    "envs": {"max_tasks": 10},
}


def demo_config(base: FactoryConfig, folder: Path) -> Path:
    """A copy of the active config with DEMO_OVERRIDES applied, for this demo's runs.

    HumanEval is itself a decontamination benchmark, so its sample prompts are flagged; keeping
    flagged prompts is what keeps Python in the demo's release. The overrides are for
    demonstration only and are recorded in the release's config hash.
    """
    data = base.model_dump(mode="json")
    for section, values in DEMO_OVERRIDES.items():
        data[section].update(values)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / DEMO_CONFIG_NAME
    path.write_text(
        "# Written by `factory demo`: the active config with the demo-only overrides.\n"
        + yaml.safe_dump(data, sort_keys=False)
    )
    return path


def overrides_text() -> str:
    return ", ".join(
        f"{section}.{key}: {value}"
        for section, values in DEMO_OVERRIDES.items()
        for key, value in values.items()
    )


def run_job(
    defs: "Definitions",
    name: str,
    partition: str,
    instance: "DagsterInstance",
    reporter: Reporter,
    run_config: dict[str, Any] | None = None,
) -> bool:
    """Execute one job of the Definitions in-process for `partition`, printing progress."""
    job = defs.resolve_job_def(name)
    run_id = str(uuid.uuid4())
    run_config = {**QUIET_CONSOLE, **(run_config or {})}
    reporter.say(f"{name}: run {run_id} for partition {partition}", "bold")
    start = time.monotonic()
    with RunFollower(instance, run_id, reporter):
        result = job.execute_in_process(
            run_config=run_config,
            partition_key=partition,
            instance=instance,
            run_id=run_id,
            raise_on_error=False,
            tags={"factory/demo": "true"},
        )
    took = time.monotonic() - start
    if result.success:
        reporter.say(f"{name}: succeeded in {took:.1f} s", "bold green")
    else:
        reporter.say(f"{name}: failed after {took:.1f} s; see above or open the UI", "bold red")
    return result.success


def succeeded_before(instance: "DagsterInstance", job_name: str, partition: str) -> str | None:
    """The id of an earlier successful run of `job_name` for `partition`, if there is one."""
    from dagster import DagsterRunStatus, RunsFilter

    records = instance.get_run_records(
        filters=RunsFilter(
            job_name=job_name,
            statuses=[DagsterRunStatus.SUCCESS],
            tags={"dagster/partition": partition},
        ),
        limit=1,
    )
    return records[0].dagster_run.run_id if records else None


def simulate(
    partition: str, config: FactoryConfig, args: argparse.Namespace, reporter: Reporter
) -> dict[str, int]:
    from factory.db import open_database
    from factory.review.simulate import simulate_reviews
    from factory.review.simulated_gold import simulate_expert_gold

    reporter.banner("SIMULATED REVIEWERS - for demonstration only, not human judgement")
    reporter.say(
        f"{args.reviewers} simulated reviewers (sim-01...) score and compare every pair from the "
        "sandbox verdicts and static findings, with seeded noise, and answer the other kinds of "
        "work (rankings and code reviews from the same evidence, the rest from the records' "
        "demonstration answers, checked in the sandbox); their work is flagged simulated",
        "yellow",
    )
    engine = open_database()
    start = time.monotonic()
    counts = simulate_reviews(
        engine,
        partition,
        reviewers=args.reviewers,
        seed=args.seed,
        settings=config.review,
        sandbox_settings=config.sandbox,
        report=lambda line: reporter.say(line, "yellow"),
    )
    figures = " ".join(f"{key}={value}" for key, value in counts.items())
    reporter.say(f"simulated reviews: {figures} ({time.monotonic() - start:.1f} s)", "yellow")
    reporter.say(
        "the simulated senior makes expert gold of settled hard pairs (both candidates pass), "
        "and a simulated newcomer qualifies on it through the queue, as a new reviewer would",
        "yellow",
    )
    gold = simulate_expert_gold(engine, partition, seed=args.seed, settings=config.review)
    engine.dispose()
    reporter.say("simulated gold: " + " ".join(f"{k}={v}" for k, v in gold.items()), "yellow")
    return counts


def sign_off_simulated(partition: str, reporter: Reporter) -> bool:
    """The batch signed off by the simulated calibrator, said as loudly as the simulated
    reviewers; False (with the reason) when the sign-off is refused."""
    from factory.db import open_database
    from factory.signoff.records import SignOffError
    from factory.signoff.simulated import simulated_sign_off

    reporter.banner("SIMULATED SIGN-OFF - a simulated calibrator, not a senior, approves the batch")
    engine = open_database()
    try:
        record, new = simulated_sign_off(engine, partition)
    except SignOffError as exc:
        reporter.say(f"sign-off refused: {exc}", "bold red")
        return False
    finally:
        engine.dispose()
    what = "signed off" if new else "already signed off"
    reporter.say(
        f"{what} by {record.signed_by} at {record.signed_at:%H:%M:%S} UTC, marked simulated; "
        "packaging accepts it only because the demo sets packaging.allow_simulated",
        "yellow",
    )
    return True


def report_release(partition: str, reporter: Reporter) -> bool:
    """Print where the release was written and published; False when there is none."""
    from sqlmodel import Session

    from factory.db import open_database
    from factory.errors import FactoryUserError
    from factory.publishing.records import release_for_batch

    engine = open_database()
    try:
        with Session(engine) as session:
            release = release_for_batch(session, partition)
    except FactoryUserError as exc:
        reporter.say(f"no release for {partition}: {exc}", "bold red")
        return False
    finally:
        engine.dispose()
    counts = " ".join(f"{k}={v}" for k, v in (release.counts or {}).items())
    reporter.say(f"release {release.name} {release.version} ({release.status}) {counts}", "bold")
    reporter.say(f"release folder: {release.path}", "bold")
    reporter.say(f"published ({release.target or 'not yet'}): {release.url}", "bold")
    return True


def run_environments(
    defs: "Definitions",
    instance: "DagsterInstance",
    repo: str,
    home: Path,
    reporter: Reporter,
    run_config: dict[str, Any],
) -> None:
    """The environment funnel on one repository, through the repository inbox and
    `environments_job`; its stable tasks join the release's `swe` config. Skipped, saying why,
    without a repository or a Docker engine."""
    from assets.partitions import REPO_PARTITIONS_NAME
    from factory.envs.images import EnvironmentUnavailableError, docker_client
    from factory.envs.inbox import repo_inbox, snapshot_id_of
    from factory.errors import FactoryUserError

    if not repo:
        return
    source = Path(repo)
    if not source.exists() and "://" not in repo:
        reporter.say(f"environment funnel skipped: no repository at {repo} (give one: --repo)")
        return
    try:
        docker_client()
    except EnvironmentUnavailableError as exc:
        reporter.say(f"environment funnel skipped: {exc}", "yellow")
        return
    folder = repo_inbox(home / "inbox")
    folder.mkdir(parents=True, exist_ok=True)
    if source.is_file():
        target = folder / source.name
        if not target.exists():
            shutil.copyfile(source, target)
        repo = str(target.resolve())
    else:
        (folder / "demo.repos").write_text(f"{repo}\n")
    try:
        partition = snapshot_id_of(repo)
    except FactoryUserError as exc:
        reporter.say(f"environment funnel skipped: {exc}", "yellow")
        return
    reporter.say(f"repository {repo}: snapshot {partition} (environment funnel)")
    if not instance.has_dynamic_partition(REPO_PARTITIONS_NAME, partition):
        instance.add_dynamic_partitions(REPO_PARTITIONS_NAME, [partition])
    earlier = succeeded_before(instance, ENVIRONMENTS_JOB, partition)
    if earlier:
        reporter.say(f"{ENVIRONMENTS_JOB} already succeeded for {partition} (run {earlier})")
    elif not run_job(defs, ENVIRONMENTS_JOB, partition, instance, reporter, run_config):
        reporter.say("the release goes on without repository tasks", "yellow")


def print_next_steps(partition: str, port: int, reporter: Reporter) -> None:
    reporter.say(f"open the Dagster UI: make ui → http://127.0.0.1:{port}", "bold cyan")
    reporter.say(
        "to have people review in the browser instead: create their accounts, start the "
        "reviewer app, drop a batch into the inbox and let `make ui` run the jobs:",
        "cyan",
    )
    for command in (
        "factory review add-reviewer alice --languages python   # asks for a password",
        "factory review add-reviewer bob --role senior           # adjudicates disagreements",
        "factory review serve --port 8000                        # http://127.0.0.1:8000",
        f"factory review sign-off {partition} --by bob --note '...'   # or at /signoff",
        f"factory review simulate {partition}   # simulated reviewers, as in this demo",
    ):
        reporter.say(f"  {command}", "cyan")


def run(args: argparse.Namespace) -> int:
    instance_home = dagster_home()
    os.environ["DAGSTER_HOME"] = str(instance_home)  # where DagsterInstance.get() looks
    from dagster import DagsterInstance

    from assets.partitions import BATCH_PARTITIONS_NAME
    from definitions import defs

    reporter = Reporter()
    home = factory_home()
    config = load_config()
    reporter.say(f"factory home: {home} (Dagster instance: {instance_home})")
    batch_file = sample_batch(home / "inbox", args.limit)
    partition = batch_id_for(batch_file.name, hashlib.sha256(batch_file.read_bytes()).hexdigest())
    languages = ", ".join(f"{name} {count}" for name, count in sample_languages().items())
    reporter.say(f"sample batch {batch_file} -> partition {partition} (problems: {languages})")

    instance = DagsterInstance.get()
    if not instance.has_dynamic_partition(BATCH_PARTITIONS_NAME, partition):
        instance.add_dynamic_partitions(BATCH_PARTITIONS_NAME, [partition])

    config_path = demo_config(config, home / "demo")
    reporter.say(f"the demo's runs use {config_path}; demo-only: {overrides_text()}", "yellow")
    settings_override = {"resources": {"settings": {"config": {"config_path": str(config_path)}}}}
    # Review tasks exist once pre_review_job succeeded; a second demo goes straight to review.
    earlier = succeeded_before(instance, PRE_REVIEW_JOB, partition)
    if earlier:
        reporter.say(f"{PRE_REVIEW_JOB} already succeeded for {partition} (run {earlier})")
    elif not run_job(defs, PRE_REVIEW_JOB, partition, instance, reporter, settings_override):
        return 1
    run_environments(defs, instance, args.repo, home, reporter, settings_override)
    simulate(partition, load_config(config_path), args, reporter)
    if not sign_off_simulated(partition, reporter):
        return 1
    if not run_job(defs, POST_REVIEW_JOB, partition, instance, reporter, settings_override):
        return 1
    if not report_release(partition, reporter):
        return 1
    print_next_steps(partition, args.port, reporter)
    return 0


if __name__ == "__main__":
    sys.exit(
        run(argparse.Namespace(port=3000, limit=0, reviewers=3, seed=0, repo=str(FIXTURE_REPO)))
    )
