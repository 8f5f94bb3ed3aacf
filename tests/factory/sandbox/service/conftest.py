"""The sandbox service over the session's docker pool, with the settings most tests use."""

from collections.abc import Iterator

import pytest
from sandbox_service_builders import PLANTED, Service, running_service, service_settings

from factory.sandbox.pool import PooledSandbox


@pytest.fixture(scope="module")
def service(docker_sandbox: PooledSandbox) -> Iterator[Service]:
    """One service per module: max_concurrency and the queue as configured by default."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FACTORY_SANDBOX_TOKEN", "host-token-never-in-a-sandbox")
        patch.setenv("FACTORY_PLANTED_SECRET", PLANTED)
        with running_service(docker_sandbox, service_settings(docker_sandbox.settings)) as up:
            yield up
