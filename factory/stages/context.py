"""What a stage is given: the settings, the database and the way to each outside thing.

One `StageContext` serves every stage, so one setting moves all of them at once: every sandbox
run (candidates, growth timings) comes from `open_sandbox()` with `config.sandbox`, every model
call from `chat_client()`, every publish from `publisher()`. Secrets travel in `credentials`,
read from the environment by `factory.settings` and never passed into a sandbox.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Engine
from sqlmodel import Session

from factory.db import open_database, session_scope
from factory.settings import FactoryConfig, environment, load_config

if TYPE_CHECKING:
    from factory.generation.client import ChatClient
    from factory.publishing.base import Publisher
    from factory.sandbox import Sandbox


class StageLog(Protocol):
    """The logger a stage writes to: Python's, or the orchestrator's run log."""

    def info(self, msg: str, *args: Any, **kwargs: Any) -> Any: ...

    def warning(self, msg: str, *args: Any, **kwargs: Any) -> Any: ...


@dataclass(frozen=True, slots=True)
class Credentials:
    """Secrets for the outside services; empty where a service needs none (local stand-ins)."""

    llm_api_key: str = field(default="", repr=False)
    hf_token: str = field(default="", repr=False)
    hf_endpoint: str = ""
    sandbox_token: str = field(default="", repr=False)  # the sandbox service's, backend `service`

    @classmethod
    def from_environment(cls) -> "Credentials":
        env = environment()
        return cls(env.llm_api_key, env.hf_token, env.hf_endpoint, env.sandbox_token)


@dataclass
class StageContext:
    config: FactoryConfig
    engine: Engine
    credentials: Credentials = field(default_factory=Credentials)
    log: StageLog = field(default_factory=lambda: logging.getLogger("factory.stage"))

    @classmethod
    def from_environment(
        cls,
        *,
        config_path: str | None = None,
        database_url: str | None = None,
        log: StageLog | None = None,
    ) -> "StageContext":
        """The context a command-line run uses: FACTORY_CONFIG, FACTORY_DATABASE_URL and the
        credentials in the environment, unless given."""
        return cls(
            config=load_config(config_path),
            engine=open_database(database_url),
            credentials=Credentials.from_environment(),
            **({"log": log} if log is not None else {}),
        )

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on any error."""
        with session_scope(self.engine) as session:
            yield session

    def open_sandbox(self) -> "Sandbox":
        """A started sandbox pool with the backend `config.sandbox.backend` names."""
        from factory.sandbox import open_sandbox

        return open_sandbox(self.config.sandbox, token=self.credentials.sandbox_token)

    def sandbox_image(self) -> str:
        """The image verdicts are cached under (docker and bwrap share one recipe and tag; the
        service backend's replicas say which they run)."""
        from factory.sandbox.image import default_image

        settings = self.config.sandbox
        if settings.image:
            return settings.image
        if settings.backend == "service":
            from factory.sandbox.service_client import ServiceSandbox

            with ServiceSandbox(settings, token=self.credentials.sandbox_token) as sandbox:
                return sandbox.image
        return default_image() or ""

    def chat_client(self) -> "ChatClient | None":
        """A client for `generation.base_url`, or None when generation is replay-only."""
        from factory.generation.client import OpenAIChatClient, RetryPolicy

        settings = self.config.generation
        if not settings.base_url:
            return None
        return OpenAIChatClient(
            base_url=settings.base_url,
            api_key=self.credentials.llm_api_key,
            timeout_s=settings.timeout_s,
            policy=RetryPolicy(max_retries=settings.max_retries),
        )

    def publisher(self) -> "Publisher":
        """The publish target `publishing.target` names (local folder or the Hub)."""
        from factory.publishing.targets import publisher_for

        return publisher_for(
            self.config.publishing,
            token=self.credentials.hf_token,
            endpoint=self.credentials.hf_endpoint or None,
        )
