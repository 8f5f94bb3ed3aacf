"""The `factory` command. Each subcommand lives in its own module under factory.cli."""

import argparse
import importlib
import sys

# name -> (module, one-line help). Modules define add_arguments(parser) and run(args) -> int.
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("factory.cli.demo", "run the whole chain on the bundled sample batch"),
    "ui": ("factory.cli.ui", "start the Dagster UI on this factory"),
    "review": ("factory.cli.review", "reviewer accounts, the reviewer web app, simulated reviews"),
    "ingest": ("factory.cli.ingest", "ingest one batch file without Dagster and print the report"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="factory", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        module.add_arguments(sub.add_parser(name, help=help_text, description=help_text))
    args = parser.parse_args(argv)
    module = importlib.import_module(COMMANDS[args.command][0])
    return int(module.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
