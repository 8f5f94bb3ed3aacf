"""The factory configuration as a Dagster resource."""

from dagster import ConfigurableResource

from factory.settings import FactoryConfig, load_config


class FactorySettingsResource(ConfigurableResource):
    """Path of the factory's YAML config; empty means FACTORY_CONFIG or the built-in defaults."""

    config_path: str = ""

    def load(self) -> FactoryConfig:
        return load_config(self.config_path or None)
