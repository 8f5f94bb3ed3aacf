"""One observation about a candidate, before it is stored as a `Finding` row."""

from dataclasses import dataclass
from typing import Any

from factory.models import Finding


@dataclass(frozen=True, slots=True)
class Signal:
    tool: str  # bandit | ruff | radon | sandbox | parser
    dimension: str  # vocab.Dimension
    rule_id: str = ""
    severity: str = ""
    confidence: str = ""
    cwe_id: int | None = None
    line: int | None = None
    value: float | None = None
    message: str = ""

    def to_finding(self, candidate_id: int) -> Finding:
        return Finding(**self.finding_row(candidate_id))

    def finding_row(self, candidate_id: int) -> dict[str, Any]:
        """The `Finding` columns this signal fills, as a row for a bulk insert."""
        return {
            "candidate_id": candidate_id,
            "tool": self.tool,
            "dimension": self.dimension,
            "rule_id": self.rule_id[:60],
            "severity": self.severity,
            "confidence": self.confidence,
            "cwe_id": self.cwe_id,
            "line": self.line,
            "value": self.value,
            "message": self.message,
        }
