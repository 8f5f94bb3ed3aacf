"""`python -m factory.cli` is the `factory` command."""

import sys

from factory.cli import main

sys.exit(main())
