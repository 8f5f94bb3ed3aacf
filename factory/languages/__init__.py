"""Every language the sandbox runs, one plug-in each, registered in `LANGUAGES`.

Python runs in the fork server's own Python path (factory.sandbox.server); every other language
is a `LanguagePlugin` (factory.languages.base) that turns a job into files and commands. Adding a
language is one module and one line below.
"""

from factory.languages.base import HARNESS_PROTOCOL, LanguagePlugin, Program
from factory.languages.bash import BASH_LANGUAGE
from factory.languages.c_family import CPP, C
from factory.languages.go import GO_LANGUAGE
from factory.languages.java import JAVA_LANGUAGE
from factory.languages.node_family import JAVASCRIPT, TYPESCRIPT
from factory.languages.php import PHP_LANGUAGE
from factory.languages.python import PYTHON
from factory.languages.ruby import RUBY_LANGUAGE
from factory.languages.rust import RUST
from factory.languages.sql import SQL

__all__ = [
    "HARNESS_PROTOCOL",
    "LANGUAGES",
    "LanguagePlugin",
    "Program",
    "language",
    "supported_languages",
]

LANGUAGES: dict[str, LanguagePlugin] = {
    plugin.name: plugin
    for plugin in (
        PYTHON,
        C,
        CPP,
        JAVASCRIPT,
        TYPESCRIPT,
        SQL,
        BASH_LANGUAGE,
        JAVA_LANGUAGE,
        RUBY_LANGUAGE,
        PHP_LANGUAGE,
        RUST,
        GO_LANGUAGE,
    )
}


def supported_languages() -> tuple[str, ...]:
    return tuple(LANGUAGES)


def language(name: str) -> LanguagePlugin:
    """The plug-in for `name`; KeyError names the supported ones."""
    try:
        return LANGUAGES[name]
    except KeyError:
        raise KeyError(
            f"no sandbox runner for language {name!r}; supported: {', '.join(LANGUAGES)}"
        ) from None
