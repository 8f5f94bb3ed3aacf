"""Static signals for languages besides Python: a security finding with its CWE from each
language's scanner, complexity from lizard, and an explicit record where no scanner reads
security."""

import pytest

from factory.signals.scanners import scan
from factory.signals.scanners.base import Workspace, run_tool
from factory.signals.scanners.cppcheck import CPPCHECK
from factory.signals.scanners.lizard import LIZARD
from factory.vocab import Dimension

UNSAFE_C = (
    "#include <stdio.h>\n#include <string.h>\n"
    "void copy(char *input) {\n  char buffer[8];\n  strcpy(buffer, input);\n  gets(buffer);\n}\n"
)
BRANCHY = {
    "c": "int f(int x) {\n  if (x > 1) { if (x > 2) return 2; return 1; }\n"
    "  for (int i = 0; i < x; i++) { if (i == 3) return 3; }\n  return 0;\n}\n",
    "javascript": "function f(x) {\n  if (x > 1) { if (x > 2) return 2; return 1; }\n"
    "  for (let i = 0; i < x; i++) { if (i === 3) return 3; }\n  return 0;\n}\n",
    "go": "package main\n\nfunc f(x int) int {\n\tif x > 1 {\n\t\tif x > 2 {\n"
    "\t\t\treturn 2\n\t\t}\n"
    "\t\treturn 1\n\t}\n\tfor i := 0; i < x; i++ {\n\t\tif i == 3 {\n\t\t\treturn 3\n\t\t}\n\t}\n"
    "\treturn 0\n}\n",
    "java": "class S {\n  static int f(int x) {\n"
    "    if (x > 1) { if (x > 2) return 2; return 1; }\n"
    "    for (int i = 0; i < x; i++) { if (i == 3) return 3; }\n    return 0;\n  }\n}\n",
    "rust": "fn f(x: i32) -> i32 {\n    if x > 1 { if x > 2 { return 2; } return 1; }\n"
    "    for i in 0..x { if i == 3 { return 3; } }\n    0\n}\n",
    "ruby": "def f(x)\n  if x > 1\n    return 2 if x > 2\n    return 1\n  end\n"
    "  i = 0\n  while i < x\n    return 3 if i == 3\n    i += 1\n  end\n  0\nend\n",
    "php": "<?php\nfunction f($x) {\n  if ($x > 1) { if ($x > 2) return 2; return 1; }\n"
    "  for ($i = 0; $i < $x; $i++) { if ($i == 3) return 3; }\n  return 0;\n}\n",
}


def security(signals: list) -> list:
    return [s for s in signals if s.dimension == Dimension.SECURITY]


def test_flawfinder_and_cppcheck_name_the_buffer_overflows_in_c() -> None:
    found = security(scan(UNSAFE_C, "c"))
    by_tool = {(s.tool, s.rule_id): s for s in found}
    assert by_tool[("flawfinder", "strcpy")].cwe_id == 120
    assert by_tool[("flawfinder", "gets")].severity == "HIGH"
    assert by_tool[("flawfinder", "gets")].line == 6
    assert any(s.tool == "cppcheck" for s in found)


def test_shellcheck_flags_unquoted_data_as_command_injection() -> None:
    found = security(scan("run() {\n  eval $1\n  rm -rf $2\n}\n", "bash"))
    assert {s.rule_id for s in found} >= {"SC2086"}
    assert all(s.cwe_id == 78 for s in found)


@pytest.mark.parametrize("language", ["javascript", "typescript"])
def test_eslint_security_rules_flag_eval_of_input(language: str) -> None:
    found = security(scan("function run(input) {\n  return eval(input);\n}\n", language))
    assert {s.rule_id for s in found} >= {"no-eval"}
    assert all(s.cwe_id == 95 for s in found)


@pytest.mark.parametrize(
    ("language", "code"),
    [
        ("c", "int add(int a, int b) { return a + b; }\n"),
        ("javascript", "function add(a, b) {\n  return a + b;\n}\n"),
        ("bash", 'add() {\n  echo "$(( $1 + $2 ))"\n}\n'),
    ],
)
def test_clean_code_has_no_security_findings(language: str, code: str) -> None:
    assert security(scan(code, language)) == []


@pytest.mark.parametrize("language", sorted(BRANCHY))
def test_lizard_measures_complexity_in_every_language(language: str) -> None:
    complexity = [s for s in LIZARD.scan(BRANCHY[language], language) if s.rule_id == "cc"]
    assert [(s.tool, s.value) for s in complexity] == [("lizard", 5.0)]
    assert complexity[0].dimension == Dimension.READABILITY


def test_a_language_without_a_security_scanner_says_so() -> None:
    found = scan("SELECT name FROM users WHERE id = 1;", "sql")
    assert [(s.dimension, s.rule_id, s.cwe_id) for s in found] == [
        (Dimension.SECURITY, "no-scanner", None),
        (Dimension.READABILITY, "no-scanner", None),  # lizard does not read SQL either
    ]
    assert found[0].message.startswith("no security scanner for sql")


def test_a_missing_tool_is_a_finding_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    import factory.signals.scanners.cppcheck as module

    def missing(argv: list[str], workspace: Workspace) -> object:
        return run_tool(["no-such-scanner-binary"], workspace)

    monkeypatch.setattr(module, "run_tool", missing)
    [problem] = CPPCHECK.scan(UNSAFE_C, "c")
    assert problem.rule_id == "tool-error"
    assert "no-such-scanner-binary is not installed" in problem.message


def test_a_tool_report_that_breaks_the_reader_is_a_finding_not_a_crash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import factory.signals.scanners.flawfinder as module

    def unreadable(argv: list[str], workspace: Workspace) -> object:
        done, problem = run_tool(["echo", "File,Line,Level\n"], workspace)
        assert done is not None
        done.stdout = f"File,Line,Level\n{next(iter(workspace.paths.values()))},seven,4\n"
        return done, problem

    monkeypatch.setattr(module, "run_tool", unreadable)
    found = scan(UNSAFE_C, "c")
    [problem] = [s for s in found if s.tool == "flawfinder"]
    assert (problem.rule_id, problem.dimension) == ("tool-error", Dimension.SECURITY)
    assert "seven" in problem.message
    assert any(s.tool == "cppcheck" for s in found)  # the other tools still ran
