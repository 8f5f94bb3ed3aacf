"""Dagster resources, one per file; the set for a deployment is chosen here, in one place."""

import os
from typing import Any

from dagster import EnvVar

from resources.database import DatabaseResource
from resources.hub import HF_TOKEN_ENV, HubResource
from resources.llm import API_KEY_ENV, LLMResource
from resources.sandbox import SandboxResource
from resources.settings import FactorySettingsResource


def build_resources() -> dict[str, Any]:
    """Resources for the current environment (FACTORY_* variables pick non-default backends)."""
    return {
        "database": DatabaseResource(),
        "settings": FactorySettingsResource(),
        "sandbox": SandboxResource(backend=os.environ.get("FACTORY_SANDBOX_BACKEND", "")),
        # The key only ever travels as an EnvVar; local servers and replay-only runs need none.
        "llm": LLMResource(api_key=EnvVar(API_KEY_ENV))
        if os.environ.get(API_KEY_ENV)
        else LLMResource(),
        # Likewise the Hub token; the local publish target (the default) needs none.
        "hub": HubResource(token=EnvVar(HF_TOKEN_ENV))
        if os.environ.get(HF_TOKEN_ENV)
        else HubResource(),
    }
