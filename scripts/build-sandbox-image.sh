#!/usr/bin/env bash
# Build the sandbox root filesystem from Debian packages and import it as a Docker image.
#
# No container registry is reachable, so the image is debootstrapped (minbase bookworm) from the
# Debian mirror apt already uses, then every language's toolchain is installed into it from
# bookworm main with `apt-get install --no-install-recommends` in a chroot, one stage per
# toolchain (the size each adds is written to sizes.txt beside the root filesystem). Docs, apt
# state and caches are stripped, read-only caches that only the image can hold are built (the
# JVM's class-data-sharing archive), and the result is `docker import`ed as
# factory-sandbox:<recipe hash>. The hash covers this script (and RECIPE_FILES), so the image is
# rebuilt only when the recipe changes. The same root filesystem is kept on disk for the
# bubblewrap backend, which uses it read-only as the sandbox's `/`.
#
# Idempotent: exits early when the tag (or, without Docker, the root filesystem) already exists.
# Prints the image tag on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."

SUITE=bookworm
BASE_PACKAGES=python3,python3-pytest
# One stage per toolchain: "name:package package ...". rustc-web (1.85) falls back to rustc
# (1.63) when it does not install.
STAGES=(
  "c:gcc g++ libc6-dev"
  "go:golang-go"
  "rust:rustc-web"
  "java:default-jdk-headless junit5"
  "node:nodejs node-typescript"
  "shell:bats sqlite3"
  "ruby:ruby"
  "php:php-cli"
  "repo:git"
)
RECIPE_FILES=(scripts/build-sandbox-image.sh)
CACHE=${FACTORY_SANDBOX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/factory-sandbox}
RECIPE_HASH=$(cat "${RECIPE_FILES[@]}" | sha256sum | cut -c1-12)
TAG=factory-sandbox:$RECIPE_HASH
ROOTFS=$CACHE/$RECIPE_HASH/rootfs

have_docker() { command -v docker >/dev/null && docker info >/dev/null 2>&1; }
log() { echo "build-sandbox-image: $*" >&2; }

mirror() {
  # The first Debian mirror apt is configured with (deb822 or one-line format).
  local url
  url=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list \
    /etc/apt/sources.list.d/*.list 2>/dev/null | grep -v security | grep -m1 -oE 'https?://[^ ]+' \
    || true)
  echo "${url:-http://deb.debian.org/debian}"
}

in_root() { chroot "$1" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
  DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "${@:2}"; }

size_mb() { du -sxm "$1" | cut -f1; }

install_stages() {
  local root=$1 stage name packages before after
  # Never unpack docs, man pages or translations: nothing in the sandbox reads them.
  cat >"$root/etc/dpkg/dpkg.cfg.d/01-sandbox-nodoc" <<'EOF'
path-exclude=/usr/share/doc/*
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-exclude=/usr/share/lintian/*
EOF
  cat >"$root/etc/apt/apt.conf.d/01-sandbox" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
EOF
  in_root "$root" apt-get update -qq >&2
  : >"$root.sizes"
  for stage in "${STAGES[@]}"; do
    name=${stage%%:*}
    packages=${stage#*:}
    before=$(size_mb "$root")
    log "stage $name: $packages"
    # shellcheck disable=SC2086  # a list of package names
    if ! in_root "$root" apt-get install -y -qq $packages >&2; then
      [ "$name" = rust ] || return 1
      log "rustc-web did not install; falling back to rustc"
      in_root "$root" apt-get install -y -qq rustc >&2
    fi
    in_root "$root" apt-get clean
    after=$(size_mb "$root")
    echo "$name $((after - before))" >>"$root.sizes"
  done
}

JUNIT_JAR=/usr/share/java/junit-platform-console-standalone.jar
CDS_DIR=/usr/lib/jvm/factory-cds

build_caches() {
  local root=$1 jdk work
  # Class-data sharing: the JVM maps these archives read-only, so they are sound in a read-only
  # image and must be written now. Debian's JDK ships the base archive (lib/server/classes.jsa);
  # dump it only if a future package does not. On top of it, one dynamic (AppCDS) archive each
  # for javac and the JUnit console launcher, dumped from a sample run: they cut those two
  # starts by about a third. A JVM that cannot use an archive silently runs without it.
  jdk=$(dirname "$(dirname "$(readlink -f "$root/usr/bin/javac")")")
  jdk=${jdk#"$root"}
  if [ ! -f "$root$jdk/lib/server/classes.jsa" ]; then
    log "JVM base class-data-sharing archive"
    in_root "$root" "$jdk/bin/java" -Xshare:dump >/dev/null
  fi
  log "JVM AppCDS archives for javac and JUnit"
  mkdir -p "$root$CDS_DIR"
  work=$(mktemp -d "$root/tmp/cds.XXXXXX")
  cat >"$work/CdsSampleTest.java" <<'EOF'
import static org.junit.jupiter.api.Assertions.assertEquals;
import org.junit.jupiter.api.Test;

class CdsSampleTest {
    @Test void adds() { assertEquals(5, 2 + 3); }
}
EOF
  in_root "$root" /bin/sh -c "cd ${work#"$root"} &&
    /usr/bin/javac -J-XX:ArchiveClassesAtExit=$CDS_DIR/javac.jsa -cp $JUNIT_JAR -d . \
      CdsSampleTest.java &&
    /usr/bin/java -XX:ArchiveClassesAtExit=$CDS_DIR/junit.jsa -jar $JUNIT_JAR \
      --disable-banner --details=none --class-path . --select-class CdsSampleTest" >/dev/null
  rm -rf "$work"
  chmod 0644 "$root$CDS_DIR"/*.jsa
}

build_rootfs() {
  local tmp before total
  tmp=$CACHE/$RECIPE_HASH/rootfs.tmp
  if mountpoint -q "$tmp/proc"; then umount "$tmp/proc"; fi
  rm -rf "$tmp" "$tmp.sizes"
  mkdir -p "$tmp"
  log "debootstrap $SUITE ($BASE_PACKAGES) from $(mirror)"
  debootstrap --variant=minbase --include="$BASE_PACKAGES" "$SUITE" "$tmp" "$(mirror)" >&2
  # The JDK's and ca-certificates-java's maintainer scripts run java, which needs /proc.
  mount -t proc proc "$tmp/proc"
  trap 'umount "'"$tmp"'/proc" 2>/dev/null || true' EXIT
  install_stages "$tmp"
  before=$(size_mb "$tmp")
  build_caches "$tmp"
  echo "jvm-cds $(($(size_mb "$tmp") - before))" >>"$tmp.sizes"
  umount "$tmp/proc"
  trap - EXIT
  # Nothing in the sandbox needs docs, locales, apt state or logs; smaller image, faster import.
  rm -rf "$tmp"/usr/share/{doc,man,info,locale,lintian,linda} "$tmp"/var/cache/apt/* \
    "$tmp"/var/lib/apt/lists/* "$tmp"/var/log/* "$tmp"/var/cache/debconf/*-old \
    "$tmp"/debootstrap
  total=$(size_mb "$tmp")
  # MB each stage added (after stripping docs); base is what is left: debootstrap and python.
  echo "base $((total - $(awk '{s += $2} END {print s}' "$tmp.sizes")))" >>"$tmp.sizes"
  echo "total $total" >>"$tmp.sizes"
  mv "$tmp.sizes" "$CACHE/$RECIPE_HASH/sizes.txt"
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
  log "docker import as $TAG"
  tar -C "$ROOTFS" -c . | docker import - "$TAG" >/dev/null
fi
echo "$TAG" >"$CACHE/$RECIPE_HASH/tag"
ln -sfn "$RECIPE_HASH" "$CACHE/current"
echo "$TAG"
