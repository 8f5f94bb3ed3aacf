"""Errors a user can act on: each says what is wrong with which record and how to fix it."""


class FactoryUserError(ValueError):
    """Bad input or configuration from the user, as opposed to a bug in the factory."""


class RecordError(FactoryUserError):
    """A single input record is unusable; intake quarantines it under `code` with `reason`."""

    def __init__(self, code: str, reason: str, *, record_id: str | None = None) -> None:
        self.code = code
        self.reason = reason
        self.record_id = record_id
        where = f"record {record_id!r}: " if record_id else ""
        super().__init__(f"{where}{reason}")


class ConfigError(FactoryUserError):
    """The factory configuration is invalid."""


class SandboxUnavailableError(RuntimeError):
    """No isolation backend can run candidates here, and unsafe local mode was not requested."""
