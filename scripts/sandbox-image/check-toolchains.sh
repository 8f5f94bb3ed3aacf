#!/usr/bin/env bash
# Smoke-test every toolchain of the sandbox image under both isolation layers, with the options
# the factory uses (factory/sandbox/bwrap_backend.py, factory/sandbox/docker_isolation.py).
#   bash scripts/sandbox-image/check-toolchains.sh [bwrap|docker|both] [limits|-] [SECTION]
# "limits" also searches each step's smallest working RLIMIT_AS (slow: bwrap only is enough).
# Not part of the image recipe: changing it does not rebuild the image.
set -euo pipefail
cd "$(dirname "$0")/../.."
WHICH=${1:-both}
MODE=${2:-}
ONLY=${3:-}
CACHE=${FACTORY_SANDBOX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/factory-sandbox}
ROOTFS=$CACHE/current/rootfs
TAG=$(cat "$CACHE/current/tag")
SMOKE=scripts/sandbox-image/toolchain-smoke.sh

if [ "$WHICH" != docker ]; then
  echo "### bwrap ($ROOTFS)"
  bwrap --ro-bind "$ROOTFS" / --proc /proc --dev /dev --tmpfs /tmp --unshare-all \
    --unshare-user --uid 65534 --gid 65534 --as-pid-1 --new-session --cap-drop ALL \
    --clearenv --setenv PATH /usr/bin:/bin --chdir /tmp /bin/sh -s -- "$MODE" "$ONLY" <"$SMOKE"
fi
if [ "$WHICH" != bwrap ]; then
  echo "### docker ($TAG)"
  # The defaults of SandboxSettings: memory_mb 512, tmpfs_mb 256 -> (2*512+256+256) MB.
  docker run --rm -i --network none --read-only \
    --tmpfs /tmp:rw,exec,nosuid,nodev,size=256m,mode=1777 --memory 1536m --memory-swap 1536m \
    --pids-limit 64 --cpus 1 --cap-drop ALL --security-opt no-new-privileges \
    --user 65534:65534 --ipc none --log-driver none --ulimit core=0 --workdir /tmp \
    "$TAG" /bin/sh -s -- "$MODE" "$ONLY" <"$SMOKE"
fi
