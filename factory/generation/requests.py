"""A chat-completion request as plain data, and the cache key that identifies it.

The key is the sha256 of the canonical JSON of everything that decides the reply: model,
messages, sampling settings and the sample index. The server's base URL is deliberately left
out: the same model served from another address (a new gateway, a moved vLLM host) gives the
same distribution of replies, and moving a server must not make a rerun pay twice. Point two
different models at the same name only if they really are the same weights.
"""

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: str  # system | user | assistant
    content: str


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """One chat completion to ask for; `sample_index` tells the n-th sample of a prompt apart."""

    model: str
    messages: tuple[ChatMessage, ...]
    temperature: float
    top_p: float
    max_tokens: int
    sample_index: int = 0
    extra: dict[str, Any] = field(default_factory=dict)  # other sampling settings, if any

    def canonical(self) -> dict[str, Any]:
        return asdict(self)

    def sha256(self) -> str:
        text = json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def api_messages(self) -> list[dict[str, str]]:
        return [{"role": message.role, "content": message.content} for message in self.messages]


@dataclass(frozen=True, slots=True)
class Completion:
    """The part of a chat-completion response the factory uses, plus the response itself."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    response: dict[str, Any]
    cached: bool = False
    attempts: int = 1  # requests sent to get it, retries included (0 when cached)
