"""Readability from lizard, in-process: cyclomatic complexity and length per function for every
language it parses (C, C++, Java, JavaScript, TypeScript, Go, Rust, Ruby, PHP), ranked on the bands
radon uses for Python so ranks compare across languages."""

from collections.abc import Mapping

import lizard as lizard_tool

from factory.signals.scanners.base import EXTENSIONS, Findings, Scanner, tool_problem
from factory.signals.signal import Signal
from factory.vocab import Dimension

TOOL = "lizard"
LANGUAGES = frozenset({"c", "cpp", "java", "javascript", "typescript", "go", "rust", "ruby", "php"})


def _rank(complexity: int) -> str:
    for limit, rank in ((5, "A"), (10, "B"), (20, "C"), (30, "D"), (40, "E")):
        if complexity <= limit:
            return rank
    return "F"


def _scan(codes: Mapping[int, str], language: str) -> Findings:
    return {candidate_id: lizard_signals(code, language) for candidate_id, code in codes.items()}


def lizard_signals(code: str, language: str) -> list[Signal]:
    try:
        info = lizard_tool.analyze_file.analyze_source_code(
            f"candidate{EXTENSIONS.get(language, '.txt')}", code
        )
    except Exception as exc:  # a tool's failure is a finding, never a crash of the stage
        return [tool_problem(TOOL, Dimension.READABILITY, f"lizard failed: {exc}"[:500])]
    signals = []
    for function in info.function_list:
        complexity, length = function.cyclomatic_complexity, function.nloc
        rank = _rank(complexity)
        signals.append(
            Signal(
                tool=TOOL,
                dimension=Dimension.READABILITY,
                rule_id="cc",
                severity=rank,
                line=function.start_line,
                value=float(complexity),
                message=f"{function.name}: cyclomatic complexity {complexity} "
                f"(rank {rank}; A is simplest), {length} lines",
            )
        )
        signals.append(
            Signal(
                tool=TOOL,
                dimension=Dimension.READABILITY,
                rule_id="nloc",
                line=function.start_line,
                value=float(length),
                message=f"{function.name}: {length} lines of code",
            )
        )
    return signals


LIZARD = Scanner(
    name=TOOL,
    languages=LANGUAGES,
    dimensions=frozenset({Dimension.READABILITY}),
    scan_many=_scan,
)
