"""The core's subcommands of the `factory` command: work that needs no orchestrator.

Each subcommand lives in its own module, which defines `add_arguments(parser)` and
`run(args) -> int`. The `factory` command itself (`commands.main`) adds the subcommands that
launch Dagster (demo, ui) to these; the core never imports Dagster.
"""

import argparse
import importlib

# name -> (module, one-line help).
COMMANDS: dict[str, tuple[str, str]] = {
    "review": ("factory.cli.review", "reviewer accounts, the reviewer web app, simulated reviews"),
    "ingest": ("factory.cli.ingest", "ingest one batch file without Dagster and print the report"),
    "sandbox": ("factory.cli.sandbox", "judge a batch file's records in the sandbox"),
    "envs": ("factory.cli.envs", "repository environments: mine, build, grade, run"),
}


def main(argv: list[str] | None = None, commands: dict[str, tuple[str, str]] | None = None) -> int:
    """Parse `argv` and run the chosen subcommand of `commands` (default: the core's)."""
    commands = commands or COMMANDS
    parser = argparse.ArgumentParser(
        prog="factory",
        description="The code-RLHF data factory: intake, generation, sandboxed execution, "
        "expert review, agreement, packaging and publishing.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (module_name, help_text) in commands.items():
        module = importlib.import_module(module_name)
        module.add_arguments(sub.add_parser(name, help=help_text, description=help_text))
    args = parser.parse_args(argv)
    module = importlib.import_module(commands[args.command][0])
    return int(module.run(args) or 0)
