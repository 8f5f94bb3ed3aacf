"""Run-time growth with input size, measured in the sandbox where a prompt supplies a scaled input.

`Prompt.scaled_input` format: a Python expression in the integer `n` whose value is the tuple of
positional arguments for the prompt's entry point at input size n; any other value is passed as
the only argument. Examples:
    has_close_elements:  ([i * 1.5 for i in range(n)], 1.0)
    is_prime:            (n * n + 1,)
    unique:              [i % 97 for i in range(n)]
The expression comes from the prompt file, so it is treated like candidate code: it is only
checked for syntax here and evaluated inside the sandbox, next to the candidate. For each size
(`signals.growth_sizes`) the harness times the best of `growth_repeats` calls, each on arguments
built afresh from the expression (a candidate that mutates its input never sees it twice;
building them costs far less than deep-copying them, and neither is timed), and stops before a
size that would take longer than `growth_budget_s` if the code were quadratic (one slow
candidate cannot hold the sandbox for long). The growth exponent
is the least-squares slope of log(time) against log(n): about 1 for linear code, 2 for quadratic.
"""

import ast
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from factory.signals.signal import Signal
from factory.vocab import Dimension

TOOL = "sandbox"
MARKER = "FACTORY_GROWTH "
# Timings this short are mostly timer noise; an exponent from them would mislead.
MIN_MEASURABLE_S = 1e-5

# Runs a program in the sandbox with a timeout and returns its standard output.
ProgramRunner = Callable[[str, float], str]

_HARNESS = """

import json as _factory_json
import time as _factory_time

_factory_args = lambda n: ({expression})
_factory_points = []
_factory_sizes = {sizes!r}
for _factory_i, _factory_n in enumerate(_factory_sizes):
    _factory_best = float("inf")
    for _factory_repeat in range({repeats}):
        _factory_call = _factory_args(_factory_n)  # fresh for every call, never a reused one
        if not isinstance(_factory_call, tuple):
            _factory_call = (_factory_call,)
        _factory_start = _factory_time.perf_counter()
        {entry_point}(*_factory_call)
        _factory_best = min(_factory_best, _factory_time.perf_counter() - _factory_start)
        if _factory_best > {budget_s}:
            break
    _factory_points.append([_factory_n, _factory_best])
    # Stop before a size that would take longer than the budget if the code were quadratic.
    _factory_next = _factory_sizes[_factory_i + 1] if _factory_i + 1 < len(_factory_sizes) else 0
    if _factory_best * (_factory_next / _factory_n) ** 2 > {budget_s}:
        break
print({marker!r} + _factory_json.dumps(_factory_points), flush=True)
"""


DEMO_SCALED_INPUTS = "humaneval_scaled_inputs.json"


@cache
def _demo_scaled_inputs() -> dict[str, dict[str, str]]:
    text = files("factory.sample_data").joinpath(DEMO_SCALED_INPUTS).read_text(encoding="utf-8")
    return {key: value for key, value in json.loads(text).items() if not key.startswith("_")}


def scaled_input_for(*, external_id: str, entry_point: str, scaled_input: str | None) -> str | None:
    """The prompt's own scaled input; else the bundled one for a demo HumanEval prompt."""
    if scaled_input:
        return scaled_input
    bundled = _demo_scaled_inputs().get(external_id)
    if bundled and bundled["entry_point"] == entry_point:
        return bundled["scaled_input"]
    return None


class ScaledInputError(ValueError):
    """The prompt's scaled_input is not a valid expression."""


@dataclass(frozen=True, slots=True)
class GrowthPlan:
    sizes: list[int]
    repeats: int
    budget_s: float

    @property
    def timeout_s(self) -> float:
        return self.budget_s * self.repeats * len(self.sizes) * 2 + 10.0


def check_scaled_input(expression: str) -> None:
    try:
        ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise ScaledInputError(f"scaled_input is not a Python expression: {exc.msg}") from exc


def growth_program(code: str, *, entry_point: str, scaled_input: str, plan: GrowthPlan) -> str:
    check_scaled_input(scaled_input)
    if not entry_point.isidentifier():
        raise ScaledInputError(f"entry point {entry_point!r} is not a Python name")
    return code.rstrip() + _HARNESS.format(
        expression=scaled_input.strip(),
        sizes=sorted(plan.sizes),
        repeats=plan.repeats,
        entry_point=entry_point,
        budget_s=plan.budget_s,
        marker=MARKER,
    )


def parse_growth_output(stdout: str) -> list[tuple[int, float]]:
    for line in reversed(stdout.splitlines()):
        if line.startswith(MARKER):
            return [(int(n), float(t)) for n, t in json.loads(line.removeprefix(MARKER))]
    raise ValueError("the growth harness printed no result line")


def growth_exponent(points: list[tuple[int, float]]) -> float | None:
    usable = [(n, t) for n, t in points if n > 0 and t >= MIN_MEASURABLE_S]
    if len(usable) < 2 or len({n for n, _ in usable}) < 2:
        return None
    xs = [math.log(n) for n, _ in usable]
    ys = [math.log(t) for _, t in usable]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


def growth_signal(points: list[tuple[int, float]]) -> Signal:
    timings = ", ".join(f"n={n}: {t * 1000:.3g} ms" for n, t in points)
    exponent = growth_exponent(points)
    if exponent is None:
        message = f"too fast or too few sizes to estimate growth ({timings})"
    else:
        message = f"run time grows about as n^{exponent:.2f} ({timings})"
    return Signal(
        tool=TOOL,
        dimension=Dimension.EFFICIENCY,
        rule_id="growth",
        value=round(exponent, 3) if exponent is not None else None,
        message=message,
    )


def measure_growth(
    code: str, *, entry_point: str, scaled_input: str, plan: GrowthPlan, runner: ProgramRunner
) -> Signal:
    program = growth_program(code, entry_point=entry_point, scaled_input=scaled_input, plan=plan)
    return growth_signal(parse_growth_output(runner(program, plan.timeout_s)))
