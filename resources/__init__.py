"""Dagster resources, one per outside thing; the set for a deployment is chosen here.

Each resource only carries what Dagster should show and let a run override (a config path, a
database URL, a sandbox backend, credentials as `EnvVar`s); `resources.context` turns them into
the core's `StageContext`, which is what every stage receives.
"""

from typing import Any

from dagster import EnvVar

from factory.settings import HF_TOKEN_ENV, LLM_API_KEY_ENV, SANDBOX_TOKEN_ENV, environment
from resources.database import DatabaseResource
from resources.hub import HubResource
from resources.llm import LLMResource
from resources.sandbox import SandboxResource
from resources.settings import FactorySettingsResource


def build_resources() -> dict[str, Any]:
    """Resources for the current environment (the settings come from factory.settings)."""
    env = environment()
    return {
        "database": DatabaseResource(),
        "settings": FactorySettingsResource(),
        # The sandbox service's token, for runs that judge through its replicas.
        "sandbox": (
            SandboxResource(token=EnvVar(SANDBOX_TOKEN_ENV))
            if env.sandbox_token
            else SandboxResource()
        ),
        # The key only ever travels as an EnvVar, so Dagster shows its name, never its value;
        # local servers and replay-only runs need none.
        "llm": LLMResource(api_key=EnvVar(LLM_API_KEY_ENV)) if env.llm_api_key else LLMResource(),
        # Likewise the Hub token; the local publish target (the default) needs none.
        "hub": HubResource(token=EnvVar(HF_TOKEN_ENV)) if env.hf_token else HubResource(),
    }
