"""The model server's credentials as a Dagster resource.

The API key arrives only through `EnvVar("FACTORY_LLM_API_KEY")` at registration (see
`resources.build_resources`); it is never logged, and local servers need none. The server, the
models and the retry bounds come from the factory configuration's `generation` section.
"""

from dagster import ConfigurableResource


class LLMResource(ConfigurableResource):
    """Credentials for the OpenAI-compatible server named in `generation.base_url`."""

    api_key: str = ""
