"""One image per dependency recipe: the sandbox's Debian base plus the recipe's dependencies,
tagged by the recipe's hash so every task of the recipe shares it and a rebuild never happens
twice. Downloads go through the ecosystem's own client on the host (wheels only: nothing is
built or run there); the install runs in a container with no network, then is committed."""

import hashlib
import io
import json
import shutil
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors

from factory.envs.ecosystems import ECOSYSTEMS, EnvBuildError, Recipe
from factory.errors import FactoryUserError
from factory.models import EnvRecipe as EnvRecipeRow
from factory.sandbox.image import BUILD_HINT, default_image
from factory.settings import EnvsSettings, factory_home

IMAGE_REPOSITORY = "factory-env"
RECIPE_LABEL = "org.factory.env.recipe"


class EnvironmentUnavailableError(FactoryUserError):
    """Repository environments need the Docker engine and the sandbox image."""


def recipe_hash(recipe: Recipe, base_image: str) -> str:
    canonical = json.dumps(
        {"ecosystem": recipe.ecosystem, "spec": recipe.spec, "base": base_image}, sort_keys=True
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class ImageBuild:
    recipe_id: str
    image: str  # empty when the build failed
    built_now: bool  # False: the image was there already (a cache hit)
    reason: str = ""
    log: str = ""
    seconds: float = 0.0
    size_mb: float = 0.0


def docker_client() -> docker.DockerClient:
    try:
        client = docker.from_env(timeout=120)
        client.ping()
    except docker.errors.DockerException as exc:
        raise EnvironmentUnavailableError(
            "repository environments run in Docker images, and the Docker engine is not "
            f"reachable ({exc}); start it with `bash scripts/ensure-docker.sh`"
        ) from exc
    return client


def base_image(settings: EnvsSettings) -> str:
    image = settings.base_image or default_image()
    if not image:
        raise EnvironmentUnavailableError(
            f"no sandbox image to build environments on; {BUILD_HINT}"
        )
    return image


def downloads_root() -> Path:
    return factory_home() / "envs" / "downloads"


def ensure_image(
    client: docker.DockerClient, recipe: Recipe, base: str, settings: EnvsSettings
) -> ImageBuild:
    """The recipe's image, built if no image carries its hash yet."""
    recipe_id = recipe_hash(recipe, base)
    tag = f"{IMAGE_REPOSITORY}:{recipe_id}"
    try:
        image = client.images.get(tag)
        return ImageBuild(recipe_id, tag, built_now=False, size_mb=_layer_mb(client, image, base))
    except docker.errors.ImageNotFound:
        pass
    started = time.monotonic()
    ecosystem = ECOSYSTEMS[recipe.ecosystem]
    downloads = downloads_root() / recipe_id
    try:
        log = ecosystem.download(recipe, downloads, settings.build_timeout_s)
        log += _install(client, recipe, base, tag, downloads, settings)
    except EnvBuildError as exc:
        return ImageBuild(recipe_id, "", True, str(exc), seconds=time.monotonic() - started)
    finally:
        shutil.rmtree(downloads, ignore_errors=True)
    size = _layer_mb(client, client.images.get(tag), base)
    return ImageBuild(
        recipe_id, tag, True, log=log, seconds=time.monotonic() - started, size_mb=size
    )


def _install(
    client: docker.DockerClient,
    recipe: Recipe,
    base: str,
    tag: str,
    downloads: Path,
    settings: EnvsSettings,
) -> str:
    script = ECOSYSTEMS[recipe.ecosystem].install_script(recipe)
    container = client.containers.create(
        base,
        command=["/bin/sh", "/factory-install.sh"],
        network_mode="none",
        user="0:0",
        mem_limit=f"{settings.memory_mb}m",
        pids_limit=settings.max_processes,
        volumes={str(downloads): {"bind": "/factory-downloads", "mode": "ro"}},
        labels={RECIPE_LABEL: tag.split(":")[1]},
    )
    try:
        container.put_archive("/", _one_file_tar("factory-install.sh", script.encode()))
        container.start()
        try:
            status = container.wait(timeout=settings.build_timeout_s)
        except Exception as exc:  # the engine's read timeout: the install ran too long
            raise EnvBuildError(
                f"installing the dependencies took over {settings.build_timeout_s:.0f} s"
            ) from exc
        log = container.logs(stdout=True, stderr=True).decode("utf-8", "replace")
        if status.get("StatusCode") != 0:
            raise EnvBuildError(f"installing the dependencies failed: {log.strip()[-600:]}")
        container.commit(
            repository=IMAGE_REPOSITORY,
            tag=tag.split(":")[1],
            changes=['CMD ["/bin/sh"]'],
        )
        return log
    finally:
        container.remove(force=True)


def _one_file_tar(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo(name)
        info.size, info.mode = len(data), 0o755
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _layer_mb(client: docker.DockerClient, image: docker.models.images.Image, base: str) -> float:
    """What the recipe adds on top of the base image, in MB."""
    try:
        below = float(client.images.get(base).attrs.get("Size", 0))
    except docker.errors.ImageNotFound:
        below = 0.0
    return round(max(0.0, float(image.attrs.get("Size", 0)) - below) / 1e6, 1)


def image_of(client: docker.DockerClient, row: EnvRecipeRow, settings: EnvsSettings) -> str:
    """The built image of a recorded recipe, rebuilt from its spec if it was pruned since.

    Raises EnvBuildError when the rebuild fails."""
    try:
        client.images.get(row.image)
        return row.image
    except docker.errors.ImageNotFound:
        pass
    spec = {k: v for k, v in row.spec.items() if k != "notes"}
    build = ensure_image(
        client, Recipe(ecosystem=row.ecosystem, spec=spec), row.base_image, settings
    )
    if not build.image:
        raise EnvBuildError(build.reason)
    return build.image
