"""Fixtures for generation tests: the chat-completions stand-in and a small HumanEval batch."""

from collections.abc import Iterator

import pytest
from generation_builder import GEN_BATCH, add_humaneval_batch
from sqlalchemy import Engine
from stand_ins.openai_server import StandInServer, running_stand_in

from factory.models import Prompt


@pytest.fixture
def llm_server() -> Iterator[StandInServer]:
    with running_stand_in(hang_s=3.0) as server:
        yield server


@pytest.fixture
def three_prompts(engine: Engine) -> list[Prompt]:
    return add_humaneval_batch(engine, GEN_BATCH, [0, 2, 4])
