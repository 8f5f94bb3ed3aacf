"""Bash: bats-style tests run by a small bats-compatible runner of our own.

Native tests are bats blocks, `@test "adds" { run add 2 3; [ "$output" = 5 ]; }`, with `run`
(sets $status, $output, $lines) and an optional `setup` function. bats
itself prints TAP on the stdout the candidate shares, so the runner is ours: each test runs in a
subshell that sources the candidate, with `set -eE` as in bats, without the report channel (fd 3
closed) and with the secret unset; a test passes only if its body ran to its last line, which
then writes a marker to a descriptor the runner reads, so `exit 0` inside the candidate ends the
test as an error, not a pass. "program" style: the candidate followed by a test script whose
commands fail with a nonzero exit (`[ "$(add 2 3)" = 5 ] || exit 1`); one test `program`.
Code in the test's own shell can still read that shell's memory and descriptors: a script
written to forge the marker could, as the README says of every single-process runtime.
"""

import re
from dataclasses import dataclass

from factory.languages.base import Program
from factory.sandbox.job import ExecutionJob

BASH = "/bin/bash"
_TEST_HEADER = re.compile(
    r"""^[ \t]*@test[ \t]+(?:"((?:[^"\\]|\\.)*)"|'([^']*)')[ \t]*\{[ \t]*$""", re.M
)

RUNNER = r"""
IFS= read -r FACTORY_SECRET <&4
exec 4<&-
factory_json() {
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\t'/\\t}
  s=${s//$'\r'/\\r}
  printf '"%s"' "${s//[$'\001'-$'\037']/?}"
}
factory_report() {  # name outcome message seconds [error type]
  printf '%s {"t": %s, "o": "%s", "m": %s, "d": %s, "e": "%s"}\n' "$FACTORY_SECRET" \
    "$(factory_json "$1")" "$2" "$(factory_json "$3")" "$4" "${5:-}" >&3
}
run() {
  local __opts=$- __trap
  __trap=$(trap -p ERR)
  trap - ERR
  set +eE
  output=$("$@" 2>&1)
  status=$?
  mapfile -t lines <<<"$output"
  [[ $__opts == *e* ]] && set -eE
  eval "$__trap"
  return 0
}
factory_now() { printf '%s' "$EPOCHREALTIME"; }
factory_one() {  # name function
  local marker start end status message
  marker=$(mktemp)
  start=$(factory_now)
  (
    unset FACTORY_SECRET
    exec 3>&- 6>"$marker"
    source ./solution.sh
    source ./tests.sh
    set -eE
    trap 'echo "failed: $BASH_COMMAND (status $?)" >&2' ERR
    if declare -F setup >/dev/null; then setup; fi
    "$2"
    echo done >&6
  ) 2> >(tee -a "$FACTORY_ERRORS" >&2)
  status=$?
  end=$(factory_now)
  local seconds
  seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.6f", b - a }')
  if [ "$status" -eq 0 ] && [ "$(cat "$marker")" = done ]; then
    factory_report "$1" passed "" "$seconds"
  elif [ "$status" -eq 0 ]; then
    factory_report "$1" error "the test ended before its last line" "$seconds" EarlyExit
  else
    message=$(tail -c 2000 "$FACTORY_ERRORS")
    factory_report "$1" failed "status $status: $message" "$seconds"
  fi
  : > "$FACTORY_ERRORS"
  rm -f "$marker"
}
FACTORY_ERRORS=$(mktemp)
"""


def native_tests(tests: str) -> tuple[str, list[str]]:
    """The bats file as bash functions factory_test_N, and the tests' names in order."""
    names: list[str] = []

    def rename(match: re.Match[str]) -> str:
        names.append(match.group(1) if match.group(1) is not None else match.group(2))
        return f"factory_test_{len(names)}() {{"

    return _TEST_HEADER.sub(rename, tests), names


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


@dataclass(frozen=True, slots=True)
class Bash:
    name: str = "bash"
    title: str = "Bash"
    extension: str = ".sh"
    highlight: str = "bash"
    test_styles: tuple[str, ...] = ("native", "program")
    packages: tuple[str, ...] = ("bash",)

    def program(self, job: ExecutionJob) -> Program:
        if job.test_style not in self.test_styles:
            raise ValueError(f"{self.title} takes test styles {self.test_styles}")
        if job.test_style == "native":
            tests, names = native_tests(job.tests)
            calls = "".join(
                f"factory_one {_quote(name)} factory_test_{index}\n"
                for index, name in enumerate(names, 1)
            )
            main = (
                RUNNER + calls + f'printf \'%s {{"end": {len(names)}}}\\n\' "$FACTORY_SECRET" >&3\n'
            )
        else:
            tests = ""
            main = (
                RUNNER
                + "factory_program() { source ./program_tests.sh; }\n"
                + "factory_one program factory_program\n"
                + 'printf \'%s {"end": 1}\\n\' "$FACTORY_SECRET" >&3\n'
            )
        files = {"solution.sh": job.code, "tests.sh": tests, "runner.sh": main}
        if job.test_style == "program":
            files["program_tests.sh"] = job.tests
        return Program(files=files, run=(BASH, "runner.sh"))

    def check_tests(self, tests: str, test_style: str, entry_point: str) -> str | None:
        if test_style == "native" and not native_tests(tests)[1]:
            return 'native tests need at least one @test "name" { ... } block'
        return None


BASH_LANGUAGE = Bash()
