"""The sandbox as a Dagster resource: which backend runs candidates, chosen in one place."""

from dagster import ConfigurableResource

from factory.sandbox import Sandbox, open_sandbox
from factory.sandbox.image import default_image
from factory.settings import SandboxSettings


class SandboxResource(ConfigurableResource):
    """`backend` overrides sandbox.backend from the factory config when set (e.g. "bwrap")."""

    backend: str = ""

    def effective_settings(self, settings: SandboxSettings) -> SandboxSettings:
        if self.backend:
            return settings.model_copy(update={"backend": self.backend})
        return settings

    def image_tag(self, settings: SandboxSettings) -> str:
        """The image verdicts are cached under (docker and bwrap share one recipe and tag)."""
        return settings.image or default_image() or ""

    def open(self, settings: SandboxSettings) -> Sandbox:
        """A started pool; raises SandboxUnavailableError when nothing can isolate candidates."""
        return open_sandbox(self.effective_settings(settings))
