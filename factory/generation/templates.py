"""Prompt templates, one file per task type under `templates/`, rendered with Jinja2.

Every template receives `language`, `prompt` and `entry_point`; `judge.txt` also receives `code`.
Editing a template changes the messages and therefore the cache key: the cache never serves a
reply to a question that was not asked.
"""

from functools import cache
from importlib.resources import files

from jinja2 import Environment, StrictUndefined, Template

from factory.errors import ConfigError
from factory.generation.requests import ChatMessage
from factory.vocab import TaskType

SYSTEM_TEMPLATE = "system"
JUDGE_TEMPLATE = "judge"


@cache
def _environment() -> Environment:
    # Rendered text becomes an LLM message, never HTML: autoescaping would corrupt code.
    return Environment(undefined=StrictUndefined, keep_trailing_newline=False, autoescape=False)  # noqa: S701


@cache
def load_template(name: str) -> Template:
    resource = files("factory.generation").joinpath("templates", f"{name}.txt")
    if not resource.is_file():
        raise ConfigError(f"no prompt template {name}.txt in factory/generation/templates")
    return _environment().from_string(resource.read_text(encoding="utf-8"))


def render(name: str, **values: str) -> str:
    return load_template(name).render(**values).strip() + "\n"


def generation_messages(
    *, task_type: str, language: str, prompt: str, entry_point: str
) -> tuple[ChatMessage, ...]:
    """The system and user messages asking for one candidate for a prompt of `task_type`."""
    if task_type not in TaskType.__members__.values():
        raise ConfigError(f"task type {task_type!r} has no template; known: {list(TaskType)}")
    values = {"language": language, "prompt": prompt, "entry_point": entry_point}
    return (
        ChatMessage("system", render(SYSTEM_TEMPLATE, **values)),
        ChatMessage("user", render(task_type, **values)),
    )
