"""The cache key: every part of the request that decides the reply changes it, nothing else."""

import dataclasses

import pytest

from factory.generation.requests import ChatMessage, ChatRequest

BASE = ChatRequest(
    model="coder-7b",
    messages=(ChatMessage("system", "s"), ChatMessage("user", "write f")),
    temperature=0.8,
    top_p=0.95,
    max_tokens=512,
    sample_index=0,
)


@pytest.mark.parametrize(
    "change",
    [
        {"model": "coder-13b"},
        {"messages": (ChatMessage("system", "s"), ChatMessage("user", "write g"))},
        {"messages": (ChatMessage("user", "write f"),)},
        {"temperature": 0.2},
        {"top_p": 1.0},
        {"max_tokens": 1024},
        {"sample_index": 1},
        {"extra": {"seed": 7}},
    ],
)
def test_any_change_to_the_request_changes_the_key(change: dict) -> None:
    assert dataclasses.replace(BASE, **change).sha256() != BASE.sha256()


def test_an_identical_request_has_the_same_key() -> None:
    twin = ChatRequest(
        model="coder-7b",
        messages=(ChatMessage("system", "s"), ChatMessage("user", "write f")),
        temperature=0.8,
        top_p=0.95,
        max_tokens=512,
    )
    assert twin.sha256() == BASE.sha256()
    assert len(BASE.sha256()) == 64
