"""`python -m commands` is the `factory` command."""

import sys

from commands import main

sys.exit(main())
