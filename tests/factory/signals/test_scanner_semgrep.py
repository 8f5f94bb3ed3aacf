"""semgrep with the factory's own rules: each language's unsafe code is named with its CWE,
safe code of the same batch gets nothing, and a missing semgrep is a finding, not a crash."""

import pytest

import factory.signals.scanners.semgrep as semgrep_module
from factory.signals.scanners import SCANNERS, scan_batch
from factory.signals.scanners.semgrep import SEMGREP
from factory.vocab import Dimension

UNSAFE = 1
SAFE = 2
# language -> (unsafe code, what semgrep must say: (rule, CWE, severity, line), safe code)
CASES = {
    "go": (
        'package main\n\nimport "os/exec"\n\nfunc run(name string) {\n'
        '\texec.Command("sh", "-c", "ls "+name).Run()\n}\n',
        ("go-exec-shell-with-data", 78, "HIGH", 6),
        'package main\n\nimport "os/exec"\n\nfunc run(name string) {\n'
        '\texec.Command("ls", name).Run()\n}\n',
    ),
    "java": (
        "import java.sql.*;\nclass S {\n"
        "  ResultSet find(Statement s, String name) throws Exception {\n"
        '    return s.executeQuery("SELECT * FROM t WHERE n = \'" + name + "\'");\n  }\n}\n',
        ("java-sql-built-from-strings", 89, "HIGH", 4),
        "import java.sql.*;\nclass S {\n"
        "  ResultSet find(Connection c, String name) throws Exception {\n"
        '    PreparedStatement p = c.prepareStatement("SELECT * FROM t WHERE n = ?");\n'
        "    p.setString(1, name);\n    return p.executeQuery();\n  }\n}\n",
    ),
    "rust": (
        "fn first(p: *const i32) -> i32 {\n    unsafe { *p }\n}\n",
        ("rust-unsafe-block", 119, "MEDIUM", 2),
        "fn first(v: &[i32]) -> i32 {\n    v[0]\n}\n",
    ),
    "ruby": (
        "def run(input)\n  eval(input)\nend\n",
        ("ruby-eval-of-data", 95, "HIGH", 2),
        "def run(a, b)\n  [a, b].max\nend\n",
    ),
    "php": (
        "<?php\nfunction load($data) {\n  return unserialize($data);\n}\n",
        ("php-unserialize", 502, "HIGH", 3),
        "<?php\nfunction load($data) {\n  return json_decode($data, true);\n}\n",
    ),
    "bash": (
        'run() {\n  eval "$1"\n}\n',  # quoted: shellcheck has no code for it
        ("bash-eval-of-data", 78, "HIGH", 2),
        'run() {\n  echo "$1"\n}\n',
    ),
}


@pytest.mark.parametrize("language", sorted(CASES))
def test_semgrep_names_the_weakness_and_leaves_safe_code_alone(language: str) -> None:
    unsafe, expected, safe = CASES[language]
    found = scan_batch({UNSAFE: unsafe, SAFE: safe}, language)

    hits = [s for s in found[UNSAFE] if s.tool == "semgrep"]
    assert [(s.rule_id, s.cwe_id, s.severity, s.line) for s in hits] == [expected]
    assert hits[0].dimension == Dimension.SECURITY
    assert [s for s in found[SAFE] if s.dimension == Dimension.SECURITY] == []


def test_semgrep_covers_security_for_every_language_without_another_scanner() -> None:
    for language in ("go", "java", "rust", "ruby", "php"):
        security = [s for s in SCANNERS[language] if Dimension.SECURITY in s.dimensions]
        assert security == [SEMGREP]


def test_a_missing_semgrep_is_a_finding_for_every_candidate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(semgrep_module, "semgrep_binary", lambda: "no-such-semgrep")
    found = SEMGREP.scan_many({UNSAFE: CASES["go"][0], SAFE: CASES["go"][2]}, "go")
    for signals in found.values():
        [problem] = signals
        assert (problem.tool, problem.rule_id, problem.dimension) == (
            "semgrep",
            "tool-error",
            Dimension.SECURITY,
        )
        assert "no-such-semgrep is not installed" in problem.message
