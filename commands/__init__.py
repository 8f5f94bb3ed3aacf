"""The `factory` command: the core's subcommands plus those that launch Dagster.

It sits on top of the layers (it imports `definitions`), so the core's own subcommands stay in
`factory.cli` and the orchestration ones live here.
"""

import sys

from factory import cli

# name -> (module, one-line help), in the order `factory --help` lists them.
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("commands.demo", "run the whole chain on the bundled sample batch"),
    "ui": ("commands.ui", "start the Dagster UI on this factory"),
    **cli.COMMANDS,
}


def main(argv: list[str] | None = None) -> int:
    return cli.main(argv, COMMANDS)


if __name__ == "__main__":
    sys.exit(main())
