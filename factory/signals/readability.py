"""Readability signals from radon: cyclomatic complexity per function, maintainability index."""

from radon.complexity import cc_rank, cc_visit
from radon.metrics import mi_rank, mi_visit
from radon.visitors import Function

from factory.signals.signal import Signal
from factory.vocab import Dimension

TOOL = "radon"


def radon_signals(code: str) -> list[Signal]:
    """For code that parses: one `cc` finding per function or method, and one `mi` finding."""
    # cc_visit lists methods on their own as well as inside their class: count each once.
    signals = [_complexity(block) for block in cc_visit(code) if isinstance(block, Function)]
    index = float(mi_visit(code, multi=True))
    signals.append(
        Signal(
            tool=TOOL,
            dimension=Dimension.READABILITY,
            rule_id="mi",
            severity=mi_rank(index),
            value=round(index, 2),
            message=f"maintainability index {index:.1f} (rank {mi_rank(index)}; A is best)",
        )
    )
    return signals


def _complexity(function: Function) -> Signal:
    rank = cc_rank(function.complexity)
    return Signal(
        tool=TOOL,
        dimension=Dimension.READABILITY,
        rule_id="cc",
        severity=rank,
        line=function.lineno,
        value=float(function.complexity),
        message=(
            f"{function.fullname}: cyclomatic complexity {function.complexity} "
            f"(rank {rank}; A is simplest)"
        ),
    )
