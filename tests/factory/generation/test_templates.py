"""Prompt templates: one file per task type, each carrying the prompt and its entry point."""

import pytest

from factory.errors import ConfigError
from factory.generation.templates import generation_messages
from factory.vocab import TaskType


@pytest.mark.parametrize("task_type", list(TaskType))
def test_every_task_type_has_a_template_that_carries_the_prompt(task_type: TaskType) -> None:
    system, user = generation_messages(
        task_type=task_type,
        language="python",
        prompt="def f(x):\n    '''Double x.'''\n",
        entry_point="f",
    )

    assert system.role == "system" and "python" in system.content
    assert user.role == "user"
    assert "'''Double x.'''" in user.content
    assert "`f`" in user.content


def test_the_templates_differ_per_task_type() -> None:
    texts = {
        generation_messages(task_type=t, language="go", prompt="p", entry_point="")[1].content
        for t in TaskType
    }
    assert len(texts) == len(TaskType)


def test_an_unknown_task_type_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="no template"):
        generation_messages(task_type="poetry", language="python", prompt="p", entry_point="")
