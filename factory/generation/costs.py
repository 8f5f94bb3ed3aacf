"""Token and cost accounting per model, from GenerationSettings.prices (USD per million tokens)."""

from dataclasses import asdict, dataclass, field
from typing import Any

from factory.generation.requests import Completion

PER_MILLION = 1_000_000


def cost_usd(
    prices: dict[str, dict[str, float]], model: str, prompt_tokens: int, completion_tokens: int
) -> float:
    price = prices.get(model) or {}
    return (
        prompt_tokens * float(price.get("input", 0.0))
        + completion_tokens * float(price.get("output", 0.0))
    ) / PER_MILLION


@dataclass(slots=True)
class ModelUsage:
    requests_sent: int = 0  # requests that reached the server this run (retries included)
    cache_hits: int = 0
    failures: int = 0
    prompt_tokens: int = 0  # tokens paid for in this run (cache hits cost nothing)
    completion_tokens: int = 0
    cost_usd: float = 0.0
    cached_prompt_tokens: int = 0  # what the cache saved
    cached_completion_tokens: int = 0
    priced: bool = True


@dataclass(slots=True)
class CostLedger:
    prices: dict[str, dict[str, float]]
    models: dict[str, ModelUsage] = field(default_factory=dict)

    def usage(self, model: str) -> ModelUsage:
        if model not in self.models:
            self.models[model] = ModelUsage(priced=model in self.prices)
        return self.models[model]

    def record(self, model: str, completion: Completion) -> None:
        usage = self.usage(model)
        if completion.cached:
            usage.cache_hits += 1
            usage.cached_prompt_tokens += completion.prompt_tokens
            usage.cached_completion_tokens += completion.completion_tokens
            return
        usage.requests_sent += completion.attempts
        usage.prompt_tokens += completion.prompt_tokens
        usage.completion_tokens += completion.completion_tokens
        usage.cost_usd += cost_usd(
            self.prices, model, completion.prompt_tokens, completion.completion_tokens
        )

    def record_failure(self, model: str, *, attempts: int) -> None:
        usage = self.usage(model)
        usage.failures += 1
        usage.requests_sent += attempts

    @property
    def total_cost_usd(self) -> float:
        return sum(usage.cost_usd for usage in self.models.values())

    @property
    def requests_sent(self) -> int:
        return sum(usage.requests_sent for usage in self.models.values())

    def as_dict(self) -> dict[str, Any]:
        return {model: asdict(usage) for model, usage in sorted(self.models.items())}
