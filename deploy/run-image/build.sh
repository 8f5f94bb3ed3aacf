#!/usr/bin/env bash
# Build the image the Docker run launcher starts for each Dagster run, with no registry:
#   1. base  : a Debian bookworm rootfs from Debian packages (debootstrap) with a venv holding the
#              project's dependencies, built from wheels made on this machine, then `docker import`ed.
#              Tagged by the hash of its recipe (this script, pyproject.toml, the pinned versions),
#              so it is rebuilt only when one of those changes.
#   2. final : the base plus the project's own wheel and the docker CLI, tagged by the hash of the
#              base, the source and that CLI.
# The same image serves the sandbox service (`factory sandbox serve`): the docker backend needs the
# docker CLI (a static binary: FACTORY_DOCKER_CLI, default the host's) and an engine socket; the
# bwrap backend needs bubblewrap (a Debian package in the base) and the sandbox's root filesystem.
# Prints the final image reference on stdout (progress goes to stderr). Needs root and Docker.
set -euo pipefail
cd "$(dirname "$0")/../.."

NAME=${FACTORY_RUN_IMAGE_NAME:-code-rlhf-factory-run}
WORK=${FACTORY_RUN_IMAGE_WORKDIR:-/var/tmp/factory-run-image}
PIP=${PIP:-.venv/bin/pip}
PYTHON=${PYTHON:-.venv/bin/python}
DOCKER_CLI=${FACTORY_DOCKER_CLI:-$(command -v docker)}
log() { echo "run-image: $*" >&2; }

mkdir -p "$WORK"
# The CLI goes into the image as it is, so it must not need the host's libraries.
if ! file -L "$DOCKER_CLI" | grep -q 'statically linked'; then
  log "$DOCKER_CLI is not a statically linked docker CLI; set FACTORY_DOCKER_CLI to one"
  exit 1
fi
# Build from a copy, so setuptools' build/ folders never land in the working tree.
src="$WORK/src"
rm -rf "$src"
mkdir -p "$src"
cp -r factory assets resources sensors expectations definitions commands pyproject.toml README.md "$src/"
find "$src" -name __pycache__ -prune -exec rm -rf {} +
# Pin what the development venv runs, so the run image executes the same versions.
"$PIP" freeze --exclude-editable | grep -v -e '^-e' -e ' @ ' -e '^torch==' >"$WORK/constraints.txt"

# The base's recipe: the steps below (bump BASE_RECIPE when they change), the project's runtime
# dependencies and the pinned versions. Other edits to pyproject.toml do not rebuild it.
BASE_RECIPE=2
base_hash=$(
  {
    echo "recipe $BASE_RECIPE"
    "$PYTHON" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"])'
    cat "$WORK/constraints.txt"
  } | sha256sum | cut -c1-16
)
base="$NAME-base:$base_hash"
source_hash=$(
  {
    echo "$base"
    sha256sum <"$DOCKER_CLI"
    find factory assets resources sensors expectations definitions commands pyproject.toml -type f \
      -not -path '*/__pycache__/*' -not -name '*.pyc' 2>/dev/null | LC_ALL=C sort | xargs sha256sum
  } | sha256sum | cut -c1-16
)
final="$NAME:$source_hash"

if docker image inspect "$final" >/dev/null 2>&1; then
  log "reusing $final"
  echo "$final"
  exit 0
fi

if ! docker image inspect "$base" >/dev/null 2>&1; then
  rootfs="$WORK/rootfs"
  wheels="$WORK/wheels"
  cleanup() {
    mountpoint -q "$rootfs/proc" && umount "$rootfs/proc"
    mountpoint -q "$rootfs/dev" && umount "$rootfs/dev"
    return 0
  }
  trap cleanup EXIT
  cleanup
  rm -rf "$rootfs"
  mirror=$(grep -h -m1 -E '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list \
    2>/dev/null | head -1 | awk '{print $2}' || true)
  mirror=${FACTORY_DEBIAN_MIRROR:-${mirror:-http://deb.debian.org/debian}}
  log "debootstrap bookworm from $mirror (a few minutes)"
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates,libpq5,tzdata,bubblewrap \
    bookworm "$rootfs" "$mirror" >"$WORK/debootstrap.log" 2>&1 ||
    {
      tail -20 "$WORK/debootstrap.log" >&2
      exit 1
    }

  log "building wheels for the project and its dependencies"
  rm -rf "$wheels"
  "$PIP" wheel -q --wheel-dir "$wheels" -c "$WORK/constraints.txt" "$src" >"$WORK/wheel.log" 2>&1 ||
    {
      tail -30 "$WORK/wheel.log" >&2
      exit 1
    }

  log "installing into /opt/factory inside the rootfs"
  mkdir -p "$rootfs/tmp/wheels"
  cp "$wheels"/*.whl "$rootfs/tmp/wheels/"
  cp "$WORK/constraints.txt" "$rootfs/tmp/constraints.txt"
  mount -t proc proc "$rootfs/proc"
  mount --bind /dev "$rootfs/dev"
  # A clean environment: the host's pip settings (indexes, find-links) mean nothing in the rootfs.
  in_rootfs() { chroot "$rootfs" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"; }
  in_rootfs /usr/bin/python3 -m venv /opt/factory
  in_rootfs /opt/factory/bin/pip install -q --no-index --find-links /tmp/wheels \
    -c /tmp/constraints.txt code-rlhf-factory >&2
  # The base carries only the dependencies; the project's own wheel is the thin final layer.
  in_rootfs /opt/factory/bin/pip uninstall -q -y code-rlhf-factory >&2
  cleanup
  trap - EXIT
  rm -rf "$rootfs/tmp/wheels" "$rootfs/tmp/constraints.txt" "$rootfs/var/cache/apt/archives"/*.deb \
    "$rootfs/var/lib/apt/lists"/* "$rootfs/root/.cache"
  log "importing $base"
  tar -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/opt/factory/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PYTHONUNBUFFERED=1' \
    --change 'WORKDIR /opt/factory' \
    - "$base" >&2
  rm -rf "$rootfs"
fi

log "adding the project's wheel to $base"
dist="$WORK/dist"
rm -rf "$dist"
"$PIP" wheel -q --no-deps --wheel-dir "$dist" "$src" >"$WORK/dist.log" 2>&1 ||
  {
    tail -30 "$WORK/dist.log" >&2
    exit 1
  }
container=$(docker create --network none -v "$dist:/dist:ro" -v "$(readlink -f "$DOCKER_CLI"):/cli:ro" \
  "$base" sh -c 'pip install -q --no-deps --no-index /dist/*.whl && install -m 0755 /cli /usr/local/bin/docker')
docker start -a "$container" >&2
docker commit \
  --change 'ENV PATH=/opt/factory/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'WORKDIR /opt/factory' \
  --change 'CMD ["dagster", "--version"]' \
  "$container" "$final" >/dev/null
docker rm "$container" >/dev/null
docker tag "$final" "$NAME:latest"
log "built $final"
echo "$final"
