"""The publish target as a Dagster resource: the local folder or the Hugging Face Hub.

`PublishingSettings.target` chooses the target; this resource carries what only the Hub needs.
The token is registered from the environment as an `EnvVar` (see `resources.build_resources`), so
Dagster shows its name, never its value.
"""

from dagster import ConfigurableResource

from factory.publishing.base import Publisher
from factory.publishing.targets import publisher_for
from factory.settings import PublishingSettings

HF_TOKEN_ENV = "HF_TOKEN"  # noqa: S105  (the variable's name, not a secret)


class HubResource(ConfigurableResource):
    """Hub credentials and endpoint; empty endpoint means HF_ENDPOINT or huggingface.co."""

    token: str = ""
    endpoint: str = ""

    def publisher(self, settings: PublishingSettings) -> Publisher:
        return publisher_for(settings, token=self.token, endpoint=self.endpoint or None)
