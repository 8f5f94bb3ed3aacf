"""The funnel for one repository: mine → recipes and images → runnable → gradable → stable, every
step stored, every exclusion counted with its reason.

Reruns are idempotent: a task already in the database is never mined twice, a task already
judged is not judged again, and a recipe's image (or its recorded failure) is reused, so a
second run builds nothing and duplicates nothing.
"""

import re
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import select

from factory.envs.container import SessionRunner
from factory.envs.ecosystems import ECOSYSTEMS, EnvBuildError, Recipe
from factory.envs.images import (
    base_image,
    docker_client,
    ensure_image,
    image_of,
    recipe_hash,
)
from factory.envs.mining import MinedTask, ecosystem_at, mine, read_file_at
from factory.envs.source import Snapshot, existing_snapshot, open_snapshot
from factory.envs.statements import rewrite_statement
from factory.envs.validation import Verdict, decide, validation_phases
from factory.envs.workspace import workspace_tar
from factory.errors import FactoryUserError
from factory.models import EnvRecipe, EnvRun, RepoSnapshot, RepoTask
from factory.models.storable_text import escape_unstorable
from factory.stages.context import StageContext
from factory.stages.report import Markdown, Metadata, StageReport, markdown_table

CUTS = ("mined", "runnable", "gradable", "stable")


@dataclass(slots=True)
class FunnelReport(StageReport):
    snapshot_id: str
    source: str
    commits_scanned: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # cut -> tasks that reached it
    reasons: dict[str, dict[str, int]] = field(default_factory=dict)  # cut -> reason -> count
    images: dict[str, int] = field(default_factory=dict)  # recipes, built, cache_hits, failed
    seconds: dict[str, float] = field(default_factory=dict)
    tasks: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> str:
        counts = " → ".join(f"{cut} {self.counts.get(cut, 0)}" for cut in CUTS)
        return f"{self.snapshot_id}: {counts}"

    def metadata(self) -> Metadata:
        rows = []
        for cut in CUTS:
            left = self.reasons.get(cut, {})
            rows.append([cut, self.counts.get(cut, 0), reasons_text(left)])
        mined = self.counts.get("mined", 0)
        return {
            **{f"tasks_{cut}": self.counts.get(cut, 0) for cut in CUTS},
            "stable_yield": round(self.counts.get("stable", 0) / mined, 3) if mined else 0.0,
            "funnel": Markdown(
                markdown_table(["cut", "tasks", "left here, and why"], rows, limit=2000)
            ),
            "tasks": Markdown(
                markdown_table(
                    ["instance_id", "status", "F2P", "P2P", "reason"],
                    [
                        [
                            t["instance_id"],
                            t["status"],
                            len(t["FAIL_TO_PASS"]),
                            len(t["PASS_TO_PASS"]),
                            t["reason"][:120],
                        ]
                        for t in self.tasks
                    ],
                )
            ),  # fmt: skip
        }

    def row_count(self) -> int | None:
        return self.counts.get("stable", 0)

    def as_json(self) -> dict[str, Any]:
        return {
            "snapshot": self.snapshot_id,
            "source": self.source,
            "commits_scanned": self.commits_scanned,
            "funnel": self.counts,
            "reasons": self.reasons,
            "images": self.images,
            "seconds": self.seconds,
            "tasks": self.tasks,
        }


def run(ctx: StageContext, source: str) -> FunnelReport:
    """The whole funnel for the repository at `source` (a path, a bundle or a URL)."""
    mined = mine_repository(ctx, source)
    images = build_images(ctx, mined.snapshot_id)
    report = validate_tasks(ctx, mined.snapshot_id)
    report.images = images.counts
    report.seconds = {"mine": mined.seconds, "images": images.seconds, **report.seconds}
    return report


@dataclass(slots=True)
class MiningReport(StageReport):
    snapshot_id: str
    commits_scanned: int
    candidates: int
    new_tasks: int
    rejected: dict[str, int]
    seconds: float

    def summary(self) -> str:
        return (
            f"{self.snapshot_id}: {self.commits_scanned} commits scanned, {self.candidates} "
            f"candidate tasks ({self.new_tasks} new)"
        )

    def metadata(self) -> Metadata:
        rows = [[why, n] for why, n in sorted(self.rejected.items(), key=lambda x: -x[1])]
        return {
            "snapshot": self.snapshot_id,
            "commits_scanned": self.commits_scanned,
            "candidate_tasks": self.candidates,
            "new_tasks": self.new_tasks,
            "left_out": Markdown(markdown_table(["reason", "commits"], rows)),
        }

    def row_count(self) -> int | None:
        return self.candidates


@dataclass(slots=True)
class ImagesReport(StageReport):
    snapshot_id: str
    counts: dict[str, int]
    failures: dict[str, str]
    seconds: float

    def summary(self) -> str:
        c = self.counts
        return (
            f"{self.snapshot_id}: {c['recipes']} recipe(s), {c['built']} image(s) built, "
            f"{c['cache_hits']} found already, {c['failed']} failed"
        )

    def metadata(self) -> Metadata:
        rows = [[recipe, why] for recipe, why in self.failures.items()]
        return {**self.counts, "failures": Markdown(markdown_table(["recipe", "reason"], rows))}

    def row_count(self) -> int | None:
        return self.counts["recipes"]


def mine_repository(ctx: StageContext, source: str, expected_id: str = "") -> MiningReport:
    """Mine `source` into candidate tasks, stored once each (a rerun adds only new ones)."""
    settings = ctx.config.envs
    started = time.monotonic()
    snapshot = open_snapshot(source)
    if expected_id and snapshot.id != expected_id:
        raise FactoryUserError(
            f"repository {source!r} is now at {snapshot.id}, not {expected_id}: its history "
            "moved since the run was requested; request the new snapshot"
        )
    mined = mine(
        snapshot,
        max_tasks=settings.max_tasks,
        max_patch_lines=settings.max_patch_lines,
        min_statement_chars=settings.min_statement_chars,
    )
    rewrite = _rewriter(ctx)
    new = 0
    with ctx.session() as session:
        row = session.get(RepoSnapshot, snapshot.id) or RepoSnapshot(
            id=snapshot.id, name=snapshot.name, head_commit=snapshot.head
        )
        row.source, row.commits_scanned = snapshot.source, mined.commits_scanned
        row.funnel = {**row.funnel, "mining_rejections": dict(mined.rejected)}
        session.add(row)
        for task in mined.tasks:
            if session.get(RepoTask, task.instance_id) is None:
                task_row = _task_row(task, snapshot.id)
                if rewrite is not None:
                    rewrite(task_row)
                session.add(task_row)
                new += 1
    report = MiningReport(
        snapshot.id, mined.commits_scanned, len(mined.tasks), new, dict(mined.rejected),
        round(time.monotonic() - started, 2),
    )  # fmt: skip
    ctx.log.info(report.summary())
    return report


def _rewriter(ctx: StageContext) -> Callable[[RepoTask], None] | None:
    """Rewrites a new task's statement into an issue (envs.rewrite_statements), or None."""
    settings = ctx.config.envs
    if not settings.rewrite_statements:
        return None
    client = ctx.chat_client()
    model = settings.rewrite_model or next(iter(ctx.config.generation.models), "")
    if client is None or not model:
        raise FactoryUserError(
            "envs.rewrite_statements needs an OpenAI-compatible server (generation.base_url) "
            "and a model (envs.rewrite_model or generation.models)"
        )
    max_tokens = ctx.config.generation.max_tokens

    def rewrite(row: RepoTask) -> None:
        result = rewrite_statement(client, model, row.problem_statement, max_tokens)
        row.validation = {"commit_statement": row.problem_statement}
        if result.rewritten:
            row.problem_statement, row.statement_source = result.text, "rewritten"
        else:
            ctx.log.warning("%s: statement kept: %s", row.instance_id, result.problem)

    return rewrite


def snapshot_of(ctx: StageContext, snapshot_id: str) -> Snapshot:
    with ctx.session() as session:
        row = session.get(RepoSnapshot, snapshot_id)
    if row is None:
        raise FactoryUserError(f"repository snapshot {snapshot_id!r} was never mined")
    return existing_snapshot(snapshot_id, row.source)


def build_images(ctx: StageContext, snapshot_id: str) -> ImagesReport:
    """Each pending task's recipe; each distinct recipe's image built once (or found)."""
    started = time.monotonic()
    snapshot = snapshot_of(ctx, snapshot_id)
    client = docker_client()
    counts, failures = _build_images(ctx, snapshot, base_image(ctx.config.envs), client)
    report = ImagesReport(snapshot_id, counts, failures, round(time.monotonic() - started, 2))
    ctx.log.info(report.summary())
    return report


def validate_tasks(ctx: StageContext, snapshot_id: str) -> FunnelReport:
    """Judge every task not judged yet; the funnel as the database then holds it."""
    started = time.monotonic()
    snapshot = snapshot_of(ctx, snapshot_id)
    _validate_pending(ctx, snapshot, docker_client())
    report = funnel_report(ctx, snapshot_id)
    report.seconds = {"validate": round(time.monotonic() - started, 2)}
    with ctx.session() as session:
        row = session.get(RepoSnapshot, snapshot_id)
        assert row is not None
        row.funnel = {**row.funnel, "counts": report.counts, "reasons": report.reasons}
        session.add(row)
    ctx.log.info(report.summary())
    return report


def _task_row(task: MinedTask, snapshot_id: str) -> RepoTask:
    return RepoTask(
        instance_id=task.instance_id,
        snapshot_id=snapshot_id,
        repo=task.repo,
        base_commit=task.base_commit,
        source_commit=task.source_commit,
        patch=task.patch,
        test_patch=task.test_patch,
        test_files=task.test_files,
        problem_statement=task.problem_statement,
        scrubbed=task.scrubbed,
        version=task.version,
        created_at_source=task.created_at,
        status="mined",
    )


def task_recipe(snapshot: Snapshot, task: RepoTask) -> Recipe:
    ecosystem = ecosystem_at(snapshot.git_dir, task.base_commit)
    assert ecosystem is not None  # mining kept only commits an ecosystem recognises
    return ecosystem.recipe(lambda path: read_file_at(snapshot.git_dir, task.base_commit, path))


def _build_images(
    ctx: StageContext, snapshot: Snapshot, base: str, client: Any
) -> tuple[dict[str, int], dict[str, str]]:
    """A recipe per pending task; each distinct recipe's image built once (or found)."""
    counts: Counter[str] = Counter()
    failures: dict[str, str] = {}
    with ctx.session() as session:
        pending = session.exec(
            select(RepoTask).where(RepoTask.snapshot_id == snapshot.id, RepoTask.status == "mined")
        ).all()
        recipes: dict[str, Recipe] = {}
        for task in pending:
            recipe = task_recipe(snapshot, task)
            task.recipe_id = recipe_hash(recipe, base)
            recipes.setdefault(task.recipe_id, recipe)
            session.add(task)
        # The newest base commit of each recipe is the commit its environment stands for.
        newest: dict[str, RepoTask] = {}
        for task in pending:
            held = newest.get(task.recipe_id)
            if held is None or task.created_at_source > held.created_at_source:
                newest[task.recipe_id] = task
        for task in pending:
            task.environment_setup_commit = newest[task.recipe_id].base_commit
    counts["recipes"] = len(recipes)
    for recipe_id, recipe in recipes.items():
        with ctx.session() as session:
            row = session.get(EnvRecipe, recipe_id)
            if row is not None and row.status == "failed":
                counts["failed"] += 1  # recorded before: not retried, never built twice
                failures[recipe_id] = row.reason
                continue
        build = ensure_image(client, recipe, base, ctx.config.envs)
        counts[
            "built"
            if build.built_now and build.image
            else "cache_hits"
            if build.image
            else "failed"
        ] += 1
        ctx.log.info("recipe %s: %s", recipe_id, build.image or f"failed: {build.reason}")
        with ctx.session() as session:
            row = session.get(EnvRecipe, recipe_id) or EnvRecipe(
                id=recipe_id, ecosystem=recipe.ecosystem
            )
            row.spec = {**recipe.spec, "notes": list(recipe.notes)}
            row.base_image, row.image = base, build.image
            row.status = "built" if build.image else "failed"
            if build.built_now:
                row.reason, row.build_log = build.reason, build.log[-20000:]
                row.build_time_s = round(build.seconds, 2)
            row.image_size_mb = build.size_mb
            session.add(row)
        if not build.image:
            failures[recipe_id] = build.reason
    return {k: counts.get(k, 0) for k in ("recipes", "built", "cache_hits", "failed")}, failures


def _validate_pending(ctx: StageContext, snapshot: Snapshot, client: Any) -> None:
    settings = ctx.config.envs
    runner = SessionRunner(client, settings)
    with ctx.session() as session:
        pending = session.exec(
            select(RepoTask).where(RepoTask.snapshot_id == snapshot.id, RepoTask.status == "mined")
        ).all()
        recipes = {r.id: r for r in session.exec(select(EnvRecipe)).all()}

    def one(task: RepoTask) -> None:
        recipe = recipes.get(task.recipe_id)
        if recipe is None or recipe.status != "built":
            reason = recipe.reason if recipe else "no environment recipe"
            _store_verdict(ctx, task, Verdict("not_runnable", f"environment: {reason}"), [])
            return
        ecosystem = ECOSYSTEMS[recipe.ecosystem]
        phases = validation_phases(
            ecosystem, task.test_files, task.patch, task.test_patch, settings.stability_runs
        )
        try:
            image = image_of(client, recipe, settings)
        except EnvBuildError as exc:
            _store_verdict(ctx, task, Verdict("not_runnable", f"environment: {exc}"), [])
            return
        result = runner.run(
            image, ecosystem, workspace_tar(snapshot.git_dir, task.base_commit), phases
        )
        verdict = decide(result, settings.stability_runs)
        _store_verdict(ctx, task, verdict, result.phases)
        ctx.log.info("%s: %s %s", task.instance_id, verdict.status, verdict.reason[:200])

    with ThreadPoolExecutor(max_workers=max(1, settings.workers)) as pool:
        list(pool.map(one, pending))


def _store_verdict(
    ctx: StageContext, task: RepoTask, verdict: Verdict, phases: list[dict[str, Any]]
) -> None:
    with ctx.session() as session:
        row = session.get(RepoTask, task.instance_id)
        assert row is not None
        if row.status != "mined":
            return  # judged meanwhile by another run: keep that
        row.status, row.reason = verdict.status, escape_unstorable(verdict.reason[:4000])[0]
        row.FAIL_TO_PASS, row.PASS_TO_PASS = verdict.fail_to_pass, verdict.pass_to_pass
        row.validation = {**row.validation, **verdict.details}
        session.add(row)
        session.add_all(env_run_row(task.instance_id, "validation", p) for p in phases)


def env_run_row(instance_id: str, purpose: str, phase: dict[str, Any]) -> EnvRun:
    """A session phase as stored: its outcomes, and its output's tail made storable."""
    output, escaped = escape_unstorable(str(phase.get("output", ""))[-4000:])
    return EnvRun(
        instance_id=instance_id,
        purpose=purpose,
        phase=phase["name"],
        attempt=int(phase.get("attempt", 1)),
        exit_code=phase.get("exit"),
        outcomes=phase.get("outcomes", {}),
        report_complete=bool(phase.get("complete")),
        wall_time_s=float(phase.get("seconds", 0.0)),
        output_tail=output,
        output_escaped=escaped,
    )


def funnel_report(ctx: StageContext, snapshot_id: str) -> FunnelReport:
    """The funnel as the database holds it for this snapshot (all runs together)."""
    with ctx.session() as session:
        snapshot = session.get(RepoSnapshot, snapshot_id)
        if snapshot is None:
            raise FactoryUserError(f"repository snapshot {snapshot_id!r} was never mined")
        tasks = session.exec(
            select(RepoTask)
            .where(RepoTask.snapshot_id == snapshot_id)
            .order_by(
                RepoTask.created_at_source.desc()  # type: ignore[attr-defined]
            )
        ).all()
    status = Counter(t.status for t in tasks)
    reached = cut_counts(status)
    reasons: dict[str, dict[str, int]] = {
        "mined": dict(snapshot.funnel.get("mining_rejections", {}))
    }
    for cut, stopped in (
        ("runnable", "not_runnable"),
        ("gradable", "not_gradable"),
        ("stable", "flaky"),
    ):
        reasons[cut] = dict(Counter(reason_key(t.reason) for t in tasks if t.status == stopped))
    return FunnelReport(
        snapshot_id=snapshot_id,
        source=snapshot.source,
        commits_scanned=snapshot.commits_scanned,
        counts=reached,
        reasons=reasons,
        tasks=[task_record(t) for t in tasks],
    )


def cut_counts(statuses: Counter[str]) -> dict[str, int]:
    """Tasks that reached each cut, from how many tasks stopped where (`RepoTask.status`)."""
    mined = sum(statuses.values())
    return {
        "mined": mined,
        "runnable": mined - statuses["not_runnable"] - statuses["mined"],
        "gradable": statuses["flaky"] + statuses["stable"],
        "stable": statuses["stable"],
    }


def reasons_text(reasons: dict[str, int]) -> str:
    """ "12 no test change; 3 root commit": most frequent first."""
    return "; ".join(f"{n} {why}" for why, n in sorted(reasons.items(), key=lambda x: -x[1]))


def reason_key(reason: str) -> str:
    """Reasons grouped for counting: the part before the details (after the first colon; the
    second for an environment's reason, which names its own cause first)."""
    parts = reason.split(":")
    keep = 2 if parts[0] == "environment" and len(parts) > 2 else 1
    key = re.sub(r"\s*\([^)]*\)\s*$", "", ":".join(parts[:keep]).strip())  # e.g. file names
    return key[:200] or "unknown"


def swe_bench_fields(task: RepoTask) -> dict[str, Any]:
    """The task's fields under SWE-bench's names (FAIL_TO_PASS and PASS_TO_PASS as lists)."""
    return {
        "instance_id": task.instance_id,
        "repo": task.repo,
        "base_commit": task.base_commit,
        "patch": task.patch,
        "test_patch": task.test_patch,
        "problem_statement": task.problem_statement,
        "hints_text": "",
        "FAIL_TO_PASS": task.FAIL_TO_PASS,
        "PASS_TO_PASS": task.PASS_TO_PASS,
        "environment_setup_commit": task.environment_setup_commit,
        "version": task.version,
        "created_at": task.created_at_source,
    }


def task_record(task: RepoTask) -> dict[str, Any]:
    """A task as SWE-bench's schema has it, plus the factory's status and lineage."""
    return {
        **swe_bench_fields(task),
        "status": task.status,
        "reason": task.reason,
        "snapshot_id": task.snapshot_id,
        "source_commit": task.source_commit,
        "recipe_id": task.recipe_id,
        "test_files": task.test_files,
    }
