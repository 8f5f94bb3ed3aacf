"""From a run's resources to the core's `StageContext`: the one place they are combined."""

from typing import Any

from factory.settings import environment
from factory.stages.context import Credentials, StageContext, StageLog
from resources.database import DatabaseResource
from resources.hub import HubResource
from resources.llm import LLMResource
from resources.sandbox import SandboxResource
from resources.settings import FactorySettingsResource

RESOURCE_KEYS = frozenset({"database", "settings", "sandbox", "llm", "hub"})


def stage_context(resources: Any, log: StageLog) -> StageContext:
    """The context a stage runs with, from a run's `database`, `settings`, `sandbox`, `llm` and
    `hub` resources."""
    database: DatabaseResource = resources.database
    settings: FactorySettingsResource = resources.settings
    sandbox: SandboxResource = resources.sandbox
    llm: LLMResource = resources.llm
    hub: HubResource = resources.hub
    return StageContext(
        config=sandbox.apply(settings.load()),
        engine=database.get_engine(),
        credentials=Credentials(
            llm_api_key=llm.api_key,
            hf_token=hub.token,
            hf_endpoint=hub.endpoint or environment().hf_endpoint,
            sandbox_token=sandbox.token,
        ),
        log=log,
    )
