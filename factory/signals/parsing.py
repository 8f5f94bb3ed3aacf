"""Whether a candidate is Python that parses: if not, a parser finding replaces the static tools."""

import ast

from factory.signals.signal import Signal
from factory.vocab import Dimension

TOOL = "parser"


def parse_finding(code: str) -> Signal | None:
    """A finding for code that cannot be analysed (empty, or a syntax error); None if it parses."""
    if not code.strip():
        return Signal(
            tool=TOOL,
            dimension=Dimension.CORRECTNESS,
            rule_id="no_code",
            severity="HIGH",
            message="no code was extracted from the reply",
        )
    try:
        ast.parse(code)
    except SyntaxError as exc:
        return Signal(
            tool=TOOL,
            dimension=Dimension.CORRECTNESS,
            rule_id="syntax_error",
            severity="HIGH",
            line=exc.lineno,
            message=f"does not parse: {exc.msg}",
        )
    except ValueError as exc:  # e.g. null bytes in the source
        return Signal(
            tool=TOOL,
            dimension=Dimension.CORRECTNESS,
            rule_id="syntax_error",
            severity="HIGH",
            message=f"does not parse: {exc}",
        )
    return None
