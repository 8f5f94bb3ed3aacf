"""The publish target's credentials as a Dagster resource.

`publishing.target` chooses the target (local folder or the Hugging Face Hub); this resource
carries what only the Hub needs. The token is registered from the environment as an `EnvVar`
(see `resources.build_resources`), so Dagster shows its name, never its value.
"""

from dagster import ConfigurableResource


class HubResource(ConfigurableResource):
    """Hub credentials and endpoint; empty endpoint means HF_ENDPOINT or huggingface.co."""

    token: str = ""
    endpoint: str = ""
