"""Static signals: bandit (with real CWE ids), ruff rule hits, radon metrics, parser findings."""

import pytest

from factory.signals.parsing import parse_finding
from factory.signals.readability import radon_signals
from factory.signals.security import bandit_signals
from factory.signals.style import ruff_signals

SHELL_AND_PASSWORD = """\
import subprocess

DB_PASSWORD = "hunter2-admin"


def deploy(host):
    return subprocess.run(f"ssh {host} ./deploy.sh", shell=True, check=False)
"""


def test_shell_true_and_a_hard_coded_password_carry_cwe_78_and_259() -> None:
    found = bandit_signals({7: SHELL_AND_PASSWORD})[7]

    by_rule = {signal.rule_id: signal for signal in found}
    assert by_rule["B602"].cwe_id == 78  # subprocess with shell=True: OS command injection
    assert by_rule["B602"].severity == "HIGH" and by_rule["B602"].line == 7
    assert by_rule["B105"].cwe_id == 259  # hard-coded password
    assert by_rule["B105"].line == 3
    assert by_rule["B404"].cwe_id == 78  # importing subprocess at all is flagged LOW
    assert {signal.dimension for signal in found} == {"security"}


def test_nosec_comments_do_not_hide_issues() -> None:
    code = "import pickle  # nosec\n\n\ndef load(b):\n    return pickle.loads(b)  # nosec\n"

    rules = {signal.rule_id for signal in bandit_signals({1: code})[1]}

    assert {"B403", "B301"} <= rules


def test_clean_code_has_no_bandit_findings_and_each_candidate_keeps_its_own() -> None:
    found = bandit_signals({1: "def add(a, b):\n    return a + b\n", 2: "x = eval('1')\n"})

    assert found[1] == []
    assert [signal.rule_id for signal in found[2]] == ["B307"]


def test_ruff_reports_each_rule_hit_with_its_line_and_ignores_noqa() -> None:
    code = "import os  # noqa\nimport sys\n\n\ndef f(l):\n    return sys.argv == None\n"

    found = ruff_signals({3: code, 4: "X = 1\n"}, select=["E", "F"])

    assert sorted((s.rule_id, s.line) for s in found[3]) == [
        ("E711", 6),
        ("E741", 5),
        ("F401", 1),
    ]
    assert found[4] == []
    assert {s.dimension for s in found[3]} == {"style"}


def test_radon_reports_complexity_per_function_once_and_a_maintainability_index() -> None:
    code = (
        "def simple(x):\n    return x\n\n\n"
        "class Shape:\n    def area(self, kind):\n"
        "        if kind == 1:\n            return 1\n"
        "        elif kind == 2:\n            return 2\n"
        "        return 0\n"
    )

    found = radon_signals(code)

    complexity = {s.message.split(":")[0]: s.value for s in found if s.rule_id == "cc"}
    assert complexity == {"simple": 1.0, "Shape.area": 3.0}
    [mi] = [s for s in found if s.rule_id == "mi"]
    assert 0 < mi.value <= 100 and mi.severity == "A"


@pytest.mark.parametrize(
    ("code", "rule_id", "line"),
    [
        ("", "no_code", None),
        ("   \n", "no_code", None),
        ("def f(:\n    pass\n", "syntax_error", 1),
        ("x = 1\nif x\n    y = 2\n", "syntax_error", 2),
        ("print('a')\x00\n", "syntax_error", None),
        ("def f():\n    return 1\n", None, None),
    ],
)
def test_code_that_cannot_be_analysed_gets_a_parser_finding(
    code: str, rule_id: str | None, line: int | None
) -> None:
    finding = parse_finding(code)

    if rule_id is None:
        assert finding is None
    else:
        assert finding is not None
        assert (finding.tool, finding.rule_id, finding.line) == ("parser", rule_id, line)
