"""Readability from lizard (many languages): cyclomatic complexity and length per function."""

import lizard as lizard_tool

from factory.signals.scanners.base import EXTENSIONS, tool_problem
from factory.signals.signal import Signal
from factory.vocab import Dimension

TOOL = "lizard"


def _rank(complexity: int) -> str:
    # The same bands radon uses for Python (A simplest … F), so ranks compare across languages.
    for limit, rank in ((5, "A"), (10, "B"), (20, "C"), (30, "D"), (40, "E")):
        if complexity <= limit:
            return rank
    return "F"


def lizard_signals(code: str, language: str) -> list[Signal]:
    try:
        info = lizard_tool.analyze_file.analyze_source_code(
            f"candidate{EXTENSIONS.get(language, '.txt')}", code
        )
    except Exception as exc:  # a tool's failure is a finding, never a crash of the stage
        return [tool_problem(TOOL, Dimension.READABILITY, f"lizard failed: {exc}")]
    signals = []
    for function in info.function_list:
        rank = _rank(function.cyclomatic_complexity)
        signals.append(
            Signal(
                tool=TOOL,
                dimension=Dimension.READABILITY,
                rule_id="cc",
                severity=rank,
                line=function.start_line,
                value=float(function.cyclomatic_complexity),
                message=(
                    f"{function.name}: cyclomatic complexity {function.cyclomatic_complexity} "
                    f"(rank {rank}; A is simplest), {function.nloc} lines"
                ),
            )
        )
        signals.append(
            Signal(
                tool=TOOL,
                dimension=Dimension.READABILITY,
                rule_id="nloc",
                line=function.start_line,
                value=float(function.nloc),
                message=f"{function.name}: {function.nloc} lines of code",
            )
        )
    return signals
