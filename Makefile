# The two commands of the README are `make demo` and `make test`; the rest are for developers.
.PHONY: setup demo test lint format ui

setup:
	bash scripts/setup.sh

# The sandbox runs candidates in Docker where an engine can run, else in bubblewrap; the image
# script builds the root filesystem both use (and the Docker image when an engine answers).
demo: setup
	bash scripts/ensure-docker.sh || echo "demo: no Docker engine; the sandbox falls back to bubblewrap"
	bash scripts/build-sandbox-image.sh >/dev/null
	.venv/bin/factory demo

test:
	bash scripts/test.sh

# Style, the layer contract (pyproject's [tool.importlinter]) and types; scripts/test.sh runs it.
lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports --no-cache
	.venv/bin/mypy

format: setup
	.venv/bin/ruff format . && .venv/bin/ruff check --fix .

ui: setup
	.venv/bin/factory ui
