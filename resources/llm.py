"""The chat-completions client as a Dagster resource.

The API key arrives only through `EnvVar("FACTORY_LLM_API_KEY")` at registration (see
`resources.build_resources`); it is never logged, and local servers need none. The server, the
models and the retry bounds come from the factory configuration's `generation` section.
"""

from dagster import ConfigurableResource

from factory.generation.client import OpenAIChatClient, RetryPolicy
from factory.settings import GenerationSettings

API_KEY_ENV = "FACTORY_LLM_API_KEY"


class LLMResource(ConfigurableResource):
    """Credentials for the OpenAI-compatible server named in `generation.base_url`."""

    api_key: str = ""

    def client(self, settings: GenerationSettings) -> OpenAIChatClient | None:
        """A client for the configured server, or None when generation is replay-only."""
        if not settings.base_url:
            return None
        return OpenAIChatClient(
            base_url=settings.base_url,
            api_key=self.api_key,
            timeout_s=settings.timeout_s,
            policy=RetryPolicy(max_retries=settings.max_retries),
        )
