"""Where the sandbox image and root filesystem built by scripts/build-sandbox-image.sh live."""

from pathlib import Path

from factory.settings import environment

IMAGE_REPOSITORY = "factory-sandbox"
BUILD_HINT = "build it with `bash scripts/build-sandbox-image.sh` (or `make test`)"


def sandbox_cache() -> Path:
    """The build script's cache folder (FACTORY_SANDBOX_CACHE overrides it)."""
    cache = environment().sandbox_cache
    assert cache is not None  # always set by Environment.read
    return cache


def default_image() -> str | None:
    """The tag of the newest build, or None when the script has not run."""
    tag_file = sandbox_cache() / "current" / "tag"
    return tag_file.read_text().strip() if tag_file.exists() else None


def default_rootfs() -> Path | None:
    rootfs = sandbox_cache() / "current" / "rootfs"
    return rootfs if (rootfs / "usr" / "bin" / "python3").exists() else None
