#!/usr/bin/env bash
# The test suite, with every service it needs started here first: PostgreSQL 15, the Docker
# engine and the sandbox image. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/ensure-postgres.sh
bash scripts/ensure-docker.sh
bash scripts/build-sandbox-image.sh >/dev/null
make --no-print-directory lint
exec .venv/bin/python -m pytest "$@"
