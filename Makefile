# The two commands of the README are `make demo` and `make test`; the rest are for developers.
.PHONY: setup demo test lint format ui

setup:
	bash scripts/setup.sh

demo: setup
	.venv/bin/factory demo

test:
	bash scripts/test.sh

lint: setup
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

format: setup
	.venv/bin/ruff format . && .venv/bin/ruff check --fix .

ui: setup
	.venv/bin/factory ui
