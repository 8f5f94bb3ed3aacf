#!/usr/bin/env bash
# Install everything the factory needs on a fresh Debian 12 machine (idempotent, no prompts):
# system packages (PostgreSQL, Docker engine, bubblewrap, debootstrap, Chromium) and the venv.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v pg_ctlcluster >/dev/null || need+=(postgresql)
command -v dockerd >/dev/null || need+=(docker.io)
command -v bwrap >/dev/null || need+=(bubblewrap)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v chromium >/dev/null || need+=(chromium)
# Static scanners for the languages besides Python (factory/signals/scanners), and npm for eslint.
command -v flawfinder >/dev/null || need+=(flawfinder)
command -v cppcheck >/dev/null || need+=(cppcheck)
command -v shellcheck >/dev/null || need+=(shellcheck)
command -v npm >/dev/null || need+=(npm)
if ((${#need[@]})); then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing system packages (${need[*]}); install them as root" >&2
    exit 1
  fi
  echo "setup: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "setup: creating .venv and installing the project (a few minutes the first time)"
  python3 -m venv .venv
  .venv/bin/pip install -q --upgrade pip
  # torch comes from the CPU build on this machine; the rest from PyPI.
  .venv/bin/pip install -q -e '.[dev,train,k8s]'
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# eslint, its security plugin and the TypeScript parser, pinned by tools/eslint's lockfile.
eslint_stamp=tools/eslint/node_modules/.installed-$(sha256sum tools/eslint/package-lock.json | cut -c1-16)
if [ ! -f "$eslint_stamp" ]; then
  echo "setup: installing eslint into tools/eslint"
  npm ci --prefix tools/eslint --no-audit --no-fund --loglevel=error >/dev/null
  touch "$eslint_stamp"
fi

# semgrep, pinned with its dependencies, in a virtualenv of its own: installed into .venv its pins
# would move the factory's own (click, jsonschema).
semgrep_stamp=tools/semgrep/venv/.installed-$(sha256sum tools/semgrep/requirements.txt | cut -c1-16)
if [ ! -f "$semgrep_stamp" ]; then
  echo "setup: installing semgrep into tools/semgrep/venv"
  rm -rf tools/semgrep/venv
  python3 -m venv tools/semgrep/venv
  tools/semgrep/venv/bin/pip install -qq --no-deps -r tools/semgrep/requirements.txt
  touch "$semgrep_stamp"
fi
