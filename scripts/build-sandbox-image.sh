#!/usr/bin/env bash
# Build the sandbox root filesystem from Debian packages and import it as a Docker image.
#
# No container registry is reachable, so the image is debootstrapped (minbase bookworm with
# python3 and python3-pytest) from the Debian mirror apt already uses, stripped of docs and
# caches, and `docker import`ed as factory-sandbox:<recipe hash>. The hash covers this script, so
# the image is rebuilt only when the recipe changes. The same root filesystem is kept on disk for
# the bubblewrap backend, which uses it read-only as the sandbox's `/`.
#
# Idempotent: exits early when the tag (or, without Docker, the root filesystem) already exists.
# Prints the image tag on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."

SUITE=bookworm
PACKAGES=python3,python3-pytest
CACHE=${FACTORY_SANDBOX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/factory-sandbox}
RECIPE_HASH=$(sha256sum scripts/build-sandbox-image.sh | cut -c1-12)
TAG=factory-sandbox:$RECIPE_HASH
ROOTFS=$CACHE/$RECIPE_HASH/rootfs

have_docker() { command -v docker >/dev/null && docker info >/dev/null 2>&1; }

mirror() {
  # The first Debian mirror apt is configured with (deb822 or one-line format).
  local url
  url=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list \
    /etc/apt/sources.list.d/*.list 2>/dev/null | grep -v security | grep -m1 -oE 'https?://[^ ]+' \
    || true)
  echo "${url:-http://deb.debian.org/debian}"
}

build_rootfs() {
  local tmp
  tmp=$CACHE/$RECIPE_HASH/rootfs.tmp
  rm -rf "$tmp"
  mkdir -p "$tmp"
  echo "build-sandbox-image: debootstrap $SUITE ($PACKAGES) from $(mirror)" >&2
  debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$tmp" "$(mirror)" >&2
  # Nothing in the sandbox needs docs, locales, apt state or logs; smaller image, faster import.
  rm -rf "$tmp"/usr/share/{doc,man,info,locale,lintian,linda} "$tmp"/var/cache/apt/* \
    "$tmp"/var/lib/apt/lists/* "$tmp"/var/log/* "$tmp"/var/cache/debconf/*-old \
    "$tmp"/debootstrap
  mv "$tmp" "$ROOTFS"
}

if have_docker && docker image inspect "$TAG" >/dev/null 2>&1 && [ -d "$ROOTFS" ]; then
  ln -sfn "$RECIPE_HASH" "$CACHE/current"
  echo "$TAG"
  exit 0
fi
if [ ! -d "$ROOTFS" ]; then
  command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    debootstrap >/dev/null
  build_rootfs
fi
if have_docker && ! docker image inspect "$TAG" >/dev/null 2>&1; then
  echo "build-sandbox-image: docker import as $TAG" >&2
  tar -C "$ROOTFS" -c . | docker import - "$TAG" >/dev/null
fi
echo "$TAG" >"$CACHE/$RECIPE_HASH/tag"
ln -sfn "$RECIPE_HASH" "$CACHE/current"
echo "$TAG"
