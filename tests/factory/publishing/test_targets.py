"""Choosing the publish target from the settings."""

import pytest

from factory.errors import ConfigError
from factory.publishing.base import PublishError
from factory.publishing.hub import HubPublisher
from factory.publishing.local import LocalPublisher
from factory.publishing.targets import publisher_for
from factory.settings import PublishingSettings


@pytest.mark.parametrize(
    ("target", "token", "expected"),
    [
        ("local", "", LocalPublisher),
        ("local", "hf_x", LocalPublisher),
        ("hub", "hf_x", HubPublisher),
    ],
)
def test_target_picks_the_publisher(target: str, token: str, expected: type) -> None:
    publisher = publisher_for(
        PublishingSettings(target=target), token=token, endpoint="http://127.0.0.1:9"
    )
    assert isinstance(publisher, expected)
    assert publisher.target == target


def test_hub_settings_reach_the_publisher() -> None:
    settings = PublishingSettings(target="hub", private=False, max_retries=7)
    publisher = publisher_for(settings, token="hf_x", endpoint="http://127.0.0.1:9")
    assert isinstance(publisher, HubPublisher)
    assert (publisher.private, publisher.max_retries, publisher.endpoint) == (
        False,
        7,
        "http://127.0.0.1:9",
    )


def test_hub_without_token_says_how_to_fix_it() -> None:
    with pytest.raises(PublishError, match="set HF_TOKEN"):
        publisher_for(PublishingSettings(target="hub"))


def test_unknown_target_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="use one of local, hub"):
        publisher_for(PublishingSettings(target="s3"))
