"""The sandbox as a Dagster resource: a run-level override of where candidates run."""

from dagster import ConfigurableResource

from factory.settings import FactoryConfig


class SandboxResource(ConfigurableResource):
    """`backend` overrides sandbox.backend (and FACTORY_SANDBOX_BACKEND) for every stage of a
    run when set (e.g. "bwrap"): execution and growth timings alike. `token` is the sandbox
    service's, for backend `service` (an `EnvVar`, so Dagster shows its name, never its value)."""

    backend: str = ""
    token: str = ""

    def apply(self, config: FactoryConfig) -> FactoryConfig:
        if self.backend:
            config.sandbox.backend = self.backend
        return config
