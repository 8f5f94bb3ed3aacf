"""Choosing the publish target named by `PublishingSettings.target`, in one place."""

from factory.errors import ConfigError
from factory.publishing.base import Publisher
from factory.publishing.hub import HubPublisher
from factory.publishing.local import LocalPublisher
from factory.settings import PublishingSettings

TARGETS = ("local", "hub")


def publisher_for(
    settings: PublishingSettings, *, token: str = "", endpoint: str | None = None
) -> Publisher:
    """The publisher for `settings.target`; `token`/`endpoint` matter only for the Hub."""
    if settings.target == "local":
        return LocalPublisher.from_settings(settings)
    if settings.target == "hub":
        return HubPublisher(
            token=token,
            endpoint=endpoint or None,
            private=settings.private,
            max_retries=settings.max_retries,
        )
    raise ConfigError(f"publishing.target is {settings.target!r}; use one of {', '.join(TARGETS)}")
