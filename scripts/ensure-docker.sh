#!/usr/bin/env bash
# Make a Docker engine reachable (idempotent): install docker.io if missing and, when no engine
# answers, start dockerd in the background the way the sandbox expects it (no bridge network:
# sandbox containers run with --network none) and wait until it is ready.
# With DOCKER_HOST pointing at a remote engine, nothing is installed or started here.
set -euo pipefail

if docker info >/dev/null 2>&1; then
  exit 0
fi
if [ -n "${DOCKER_HOST:-}" ]; then
  echo "ensure-docker: DOCKER_HOST=$DOCKER_HOST does not answer" >&2
  exit 1
fi
if ! command -v dockerd >/dev/null; then
  if [ "$(id -u)" != 0 ]; then
    echo "ensure-docker: docker.io is not installed; install it as root" >&2
    exit 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
fi
if [ "$(id -u)" != 0 ]; then
  echo "ensure-docker: no Docker engine answers and only root can start dockerd" >&2
  exit 1
fi
log=/var/log/factory-dockerd.log
nohup dockerd --bridge=none --iptables=false >"$log" 2>&1 &
for _ in $(seq 1 60); do
  docker info >/dev/null 2>&1 && exit 0
  sleep 0.5
done
echo "ensure-docker: dockerd did not become ready in 30 s; see $log" >&2
exit 1
