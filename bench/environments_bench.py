"""Benchmark the repository-environment funnel on the fixture repositories, end to end.

For each repository (default: the three bundles in ../shared/fixtures/repos/), on a fresh
factory home and SQLite database:

  1. the funnel (`factory.envs.funnel.run`): mining, recipes and images, validation, with the
     time of each cut, the yield of each cut, the recipes, the images built and found;
  2. the same funnel again: it must build no image and judge no task again (cache hits);
  3. per validated task, the cost of validating it (the whole container session as the host
     sees it: create, checkout, install, collect, 2K test runs, teardown) against the raw time
     of running its tests the required number of times (the 2K test runs themselves, timed
     around the test process inside the environment).

Targets: image builds per repository no more than its distinct dependency recipes; validating a
task at most 3x the raw time of its required test runs (median over the repository's tasks).
The factory's environment images (factory-env:*) are removed first so builds are measured
(--keep-images keeps them: the first run then finds them).

    .venv/bin/python bench/environments_bench.py [--max-tasks 10] [--runs 3] [REPO ...]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT.parent / "shared" / "fixtures" / "repos"
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repos", nargs="*", help="repositories (default: the fixture bundles)")
    parser.add_argument("--max-tasks", type=int, default=10, help="candidate tasks per repository")
    parser.add_argument("--runs", type=int, default=3, help="stability runs (K)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep-images", action="store_true", help="do not remove factory-env:*")
    args = parser.parse_args()
    repos = args.repos or [str(p) for p in sorted(FIXTURES.glob("*.bundle"))]
    if not repos:
        print(f"no repositories given and none in {FIXTURES}")
        return 2
    if not args.keep_images:
        removed = _remove_env_images()
        print(f"removed {removed} factory-env image(s) so that builds are measured")
    met = True
    rows = []
    for repo in repos:
        row = bench_repository(repo, args)
        rows.append(row)
        met &= row["images_ok"] and row["ratio_ok"] and row["rerun_ok"]
    print()
    print("== summary")
    header = (
        f"{'repository':<26} {'commits':>7} {'mined':>5} {'run':>4} {'grad':>4} {'stable':>6} "
        f"{'recipes':>7} {'built':>5} {'rerun built':>11} {'mine s':>6} {'images s':>8} "
        f"{'valid s':>7} {'task s':>6} {'raw s':>6} {'ratio':>5}"
    )
    print(header)
    for r in rows:
        print(
            f"{r['snapshot']:<26} {r['commits']:>7} {r['mined']:>5} {r['runnable']:>4} "
            f"{r['gradable']:>4} {r['stable']:>6} {r['recipes']:>7} {r['built']:>5} "
            f"{r['rerun_built']:>11} {r['mine_s']:>6.1f} {r['images_s']:>8.1f} "
            f"{r['validate_s']:>7.1f} {r['task_s']:>6.2f} {r['raw_s']:>6.2f} {r['ratio']:>5.2f}"
        )
    print()
    for r in rows:
        print(f"{r['snapshot']}: yield per cut " + ", ".join(
            f"{cut} {share:.0%}" for cut, share in r["yields"].items()
        ))  # fmt: skip
        print(
            f"  target image builds <= recipes: {r['built']} <= {r['recipes']} "
            f"{'MET' if r['images_ok'] else 'MISSED'}; second run builds nothing, judges "
            f"nothing: {'MET' if r['rerun_ok'] else 'MISSED'}"
        )
        print(
            f"  target validation <= 3x raw test time: median {r['ratio']:.2f}x "
            f"({r['task_s']:.2f} s a task vs {r['raw_s']:.2f} s of tests) "
            f"{'MET' if r['ratio_ok'] else 'MISSED'}"
        )
    return 0 if met else 1


def bench_repository(repo: str, args: argparse.Namespace) -> dict:
    home = Path(tempfile.mkdtemp(prefix="envs-bench-"))
    os.environ["FACTORY_HOME"] = str(home)
    from sqlmodel import select

    from factory.envs import funnel
    from factory.models import EnvRun, RepoTask
    from factory.settings import FactoryConfig
    from factory.stages.context import StageContext

    config = FactoryConfig.model_validate(
        {"envs": {"max_tasks": args.max_tasks, "stability_runs": args.runs,
                  "workers": args.workers}}
    )  # fmt: skip
    ctx = StageContext.from_environment(database_url=f"sqlite:///{home}/factory.db")
    ctx.config = config
    print(f"== {repo}")
    started = time.monotonic()
    first = funnel.run(ctx, repo)
    total = time.monotonic() - started
    print(f"   {first.summary()} in {total:.1f} s; images {first.images}")
    with ctx.session() as session:
        runs_before = len(session.exec(select(EnvRun)).all())
    second = funnel.run(ctx, repo)
    with ctx.session() as session:
        runs_after = len(session.exec(select(EnvRun)).all())
        tasks = session.exec(
            select(RepoTask).where(RepoTask.snapshot_id == first.snapshot_id)
        ).all()
    task_seconds, raw_seconds, ratios = [], [], []
    for task in tasks:
        seconds = task.validation.get("seconds")
        if not seconds:
            continue
        raw = sum(seconds.get("before", [])) + sum(seconds.get("after", []))
        if raw <= 0:
            continue
        task_seconds.append(seconds["session"])
        raw_seconds.append(raw)
        ratios.append(seconds["session"] / raw)
    counts = first.counts
    mined = counts.get("mined", 0)
    ratio = statistics.median(ratios) if ratios else 0.0
    return {
        "snapshot": first.snapshot_id,
        "commits": first.commits_scanned,
        **{cut: counts.get(cut, 0) for cut in ("mined", "runnable", "gradable", "stable")},
        "recipes": first.images.get("recipes", 0),
        "built": first.images.get("built", 0),
        "rerun_built": second.images.get("built", 0),
        "mine_s": first.seconds.get("mine", 0.0),
        "images_s": first.seconds.get("images", 0.0),
        "validate_s": first.seconds.get("validate", 0.0),
        "task_s": statistics.median(task_seconds) if task_seconds else 0.0,
        "raw_s": statistics.median(raw_seconds) if raw_seconds else 0.0,
        "ratio": ratio,
        "yields": {
            cut: (counts.get(cut, 0) / mined if mined else 0.0)
            for cut in ("runnable", "gradable", "stable")
        },
        "images_ok": first.images.get("built", 0) <= first.images.get("recipes", 0),
        "rerun_ok": second.images.get("built", 0) == 0 and runs_after == runs_before,
        "ratio_ok": bool(ratios) and ratio <= 3.0,
    }


def _remove_env_images() -> int:
    listed = subprocess.run(
        ["docker", "images", "--quiet", "--filter", "reference=factory-env"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    ids = sorted(set(listed.stdout.split()))
    if ids:
        subprocess.run(["docker", "rmi", "--force", *ids], capture_output=True, timeout=300)
    return len(ids)


if __name__ == "__main__":
    sys.exit(main())
