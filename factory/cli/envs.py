"""factory envs: repository environments from real histories.

factory envs build REPO            the funnel for one repository (path, git bundle or URL)
factory envs grade ID PATCH_FILE   grade a patch (or `gold`, `empty`) against a task, as JSON
factory envs run ID -- COMMAND     run a command in a task's environment, as a model sees it
"""

import argparse
import json
import sys
from pathlib import Path

from factory.envs import tasks
from factory.envs.funnel import FunnelReport, reasons_text
from factory.errors import FactoryUserError
from factory.stages.context import StageContext


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="envs_command", required=True)
    build = sub.add_parser("build", help="mine a repository and run the funnel")
    build.add_argument("repo", help="a local repository, a git bundle, or a URL")
    build.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    build.add_argument("--max-tasks", type=int, default=None, help="override envs.max_tasks")
    build.add_argument("--runs", type=int, default=None, help="override envs.stability_runs")
    grade = sub.add_parser("grade", help="grade a patch against a task (JSON)")
    grade.add_argument("instance_id")
    grade.add_argument("patch", help="a patch file, `gold` or `empty`")
    run = sub.add_parser("run", help="run a command inside a task's environment")
    run.add_argument("instance_id")
    run.add_argument("cmd", nargs=argparse.REMAINDER, help="-- COMMAND [ARGS...]")


def run(args: argparse.Namespace) -> int:
    ctx = StageContext.from_environment()
    try:
        if args.envs_command == "build":
            return _build(ctx, args)
        if args.envs_command == "grade":
            return _grade(ctx, args)
        return _run(ctx, args)
    except FactoryUserError as exc:
        print(f"factory envs: {exc}", file=sys.stderr)
        return 2


def _build(ctx: StageContext, args: argparse.Namespace) -> int:
    from factory.envs import funnel

    overrides = {}
    if args.max_tasks is not None:
        overrides["max_tasks"] = args.max_tasks
    if args.runs is not None:
        overrides["stability_runs"] = args.runs
    if overrides:
        envs = ctx.config.envs.model_copy(update=overrides)
        ctx.config = ctx.config.model_copy(update={"envs": envs})
    report = funnel.run(ctx, args.repo)
    if args.json:
        print(json.dumps(report.as_json(), indent=2))
    else:
        print(render_funnel(report))
    return 0


def render_funnel(report: FunnelReport) -> str:
    lines = [f"repository {report.snapshot_id}  ({report.commits_scanned} commits scanned)", ""]
    lines.append(f"{'cut':<10} {'tasks':>6}  reasons for leaving here")
    cuts = list(report.counts.items())
    for cut, count in cuts:
        reasons = report.reasons.get(cut, {})
        lines.append(f"{cut:<10} {count:>6}  {reasons_text(reasons)}")
    images = report.images
    lines += [
        "",
        f"images: {images.get('recipes', 0)} recipe(s), {images.get('built', 0)} built, "
        f"{images.get('cache_hits', 0)} found already, {images.get('failed', 0)} failed",
        "seconds: " + ", ".join(f"{k} {v}" for k, v in report.seconds.items()),
        "",
        f"{'instance_id':<24} {'status':<13} {'F2P':>4} {'P2P':>5}  statement",
    ]
    for task in report.tasks:
        title = task["problem_statement"].splitlines()[0][:60] if task["problem_statement"] else ""
        lines.append(
            f"{task['instance_id']:<24} {task['status']:<13} {len(task['FAIL_TO_PASS']):>4} "
            f"{len(task['PASS_TO_PASS']):>5}  {title}"
        )
    return "\n".join(lines)


def _grade(ctx: StageContext, args: argparse.Namespace) -> int:
    if args.patch in ("gold", "empty"):
        source, text = args.patch, None
    else:
        path = Path(args.patch)
        if not path.is_file():
            raise FactoryUserError(f"patch {args.patch!r}: no such file (or use `gold`, `empty`)")
        source, text = path.name, read_patch(path)
    result = tasks.grade_patch(ctx, args.instance_id, text, source)
    print(json.dumps(result, indent=2))
    return 0 if result["resolved"] else 1


def read_patch(path: Path) -> str:
    """A patch file's text; refused, naming the file and the reason, unless it is UTF-8 text
    without NUL characters (git's binary patches are base85 text, so they pass)."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FactoryUserError(
            f"patch {str(path)!r}: not UTF-8 text (invalid byte at offset {exc.start})"
        ) from None
    if "\0" in text:
        offset = text.index("\0")
        raise FactoryUserError(f"patch {str(path)!r}: a NUL character at offset {offset}")
    return text


def _run(ctx: StageContext, args: argparse.Namespace) -> int:
    command = list(args.cmd)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise FactoryUserError("give the command after `--`, e.g. factory envs run ID -- git log")
    exit_code, output = tasks.run_command(ctx, args.instance_id, command)
    sys.stdout.write(output)
    if output and not output.endswith("\n"):
        sys.stdout.write("\n")
    return exit_code
