"""Rust: candidate and tests in one crate, run by a generated main of ours, not by libtest.

Native tests are a `#[cfg(test)] mod tests { use super::*; #[test] fn name() { ... } }` module
appended to the candidate. libtest prints its results on the stdout the candidate shares, so the
crate is built as an ordinary program (`--cfg test`, with the `#[test]` attributes taken out
after their names are read) whose generated `main` reads the run's secret first, calls each test
under `catch_unwind` and reports it on fd 3 (`#[should_panic]` inverts the outcome, `#[ignore]`
skips). "program" style (MultiPL-E): the test program's `fn main` of asserts is renamed and
called; the one test `program` passes when it returns. A candidate's own `fn main` is renamed
out of the way. A test (or program `main`) may also return `Result<(), E>`: `Err` fails it.
HumanEval-X's prompts import the rand, regex and md5 crates, which only cargo could fetch: small
stand-in modules of those names (harness/rust_compat.rs: md5::compute, rand's two-argument
gen_range; regex reports that it is unavailable) are appended when the code names them, and a
bare `use md5;` line, which would then name the module twice, is dropped.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from factory.languages.base import Program
from factory.sandbox.job import ExecutionJob, RunJob

RUSTC = "/usr/bin/rustc"
_ATTRIBUTES = re.compile(
    r"((?:[ \t]*#\[(?:test|should_panic(?:\([^)]*\))?|ignore(?:\s*=\s*\"[^\"]*\")?)\]\s*)+)"
    r"((?:pub\s+)?(?:async\s+)?fn\s+(\w+))"
)
_TESTS_MODULE = re.compile(r"mod\s+(\w+)\s*\{")
_MAIN = re.compile(r"\bfn\s+main\s*\(")
# HumanEval-X's prompts `use rand::Rng; use regex::Regex; use md5;`: crates cargo would fetch.
# Modules of those names stand in for them; `use md5;` would then name the module twice.
COMPAT = (Path(__file__).parent / "harness" / "rust_compat.rs").read_text()
_CRATE_PATH = re.compile(r"\b(?:rand|regex|md5)::")
_CRATE_USE = re.compile(r"^[ \t]*use\s+(?:rand|regex|md5)\s*;[ \t]*$", re.M)

MAIN = """
// What a test returns, as libtest takes it: () or a Result whose Err fails the test.
trait __FactoryTestResult {
    fn __factory_outcome(self) -> Result<(), String>;
}
impl __FactoryTestResult for () {
    fn __factory_outcome(self) -> Result<(), String> {
        Ok(())
    }
}
impl<E: std::fmt::Debug> __FactoryTestResult for Result<(), E> {
    fn __factory_outcome(self) -> Result<(), String> {
        self.map_err(|error| format!("Error: {:?}", error))
    }
}

#[allow(dead_code)]
fn main() {
    use std::io::{Read, Write};
    use std::os::unix::io::FromRawFd;
    let mut secret = String::new();
    let mut input = unsafe { std::fs::File::from_raw_fd(4) };
    let _ = input.read_to_string(&mut secret);
    drop(input);
    let secret = secret.lines().next().unwrap_or("").to_string();
    let mut channel = unsafe { std::fs::File::from_raw_fd(3) };
    std::panic::set_hook(Box::new(|info| {
        eprintln!("{}", info);
    }));
    fn json(text: &str) -> String {
        let mut out = String::from("\\"");
        for c in text.chars() {
            match c {
                '"' => out.push_str("\\\\\\""),
                '\\\\' => out.push_str("\\\\\\\\"),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }
    let tests: Vec<(&str, fn() -> Result<(), String>, u8)> = vec![__FACTORY_TESTS__];
    let count = tests.len();
    for (name, test, kind) in tests {
        let start = std::time::Instant::now();
        let (outcome, message) = if kind == 2 {
            ("skipped", String::new())
        } else {
            let result = std::panic::catch_unwind(test);
            let message = match &result {
                Err(payload) => payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "panicked".to_string()),
                Ok(Err(error)) => error.clone(),
                Ok(Ok(())) => String::new(),
            };
            match (result, kind == 1) {
                (Ok(Ok(())), false) | (Err(_), true) => ("passed", String::new()),
                (Ok(_), true) => ("failed", "the test did not panic as it should".to_string()),
                (_, false) => ("failed", message),
            }
        };
        let line = format!(
            "{} {{\\"t\\": {}, \\"o\\": \\"{}\\", \\"m\\": {}, \\"d\\": {}}}\\n",
            secret, json(name), outcome, json(&message), start.elapsed().as_secs_f64()
        );
        let _ = channel.write_all(line.as_bytes());
    }
    let _ = std::io::stdout().flush();
    let _ = channel.write_all(format!("{} {{\\"end\\": {}}}\\n", secret, count).as_bytes());
    std::process::exit(0);
}
"""


def _entry(name: str, path: str, kind: int) -> str:
    """One test for the generated main: a plain fn pointer whatever the test returns."""
    call = f"(|| __FactoryTestResult::__factory_outcome({path}()))"
    return f'("{name}", {call} as fn() -> Result<(), String>, {kind})'


def native_tests(tests: str) -> tuple[str, list[tuple[str, int]]]:
    """The tests without their #[test] attributes, and (name, kind) for each: kind 0 plain,
    1 should_panic, 2 ignored."""
    found: list[tuple[str, int]] = []

    def strip(match: re.Match[str]) -> str:
        attributes = match.group(1)
        if "#[test]" not in attributes.replace(" ", ""):
            return match.group(0)
        kind = 2 if "ignore" in attributes else 1 if "should_panic" in attributes else 0
        found.append((match.group(3), kind))
        signature = match.group(2)
        visible = signature if signature.startswith("pub") else "pub(crate) " + signature
        return "#[allow(dead_code)]\n" + visible

    return _ATTRIBUTES.sub(strip, tests), found


@dataclass(frozen=True, slots=True)
class Rust:
    name: str = "rust"
    title: str = "Rust"
    extension: str = ".rs"
    highlight: str = "rust"
    test_styles: tuple[str, ...] = ("native", "program")
    packages: tuple[str, ...] = ("rustc-web",)

    def program(self, job: ExecutionJob) -> Program:
        if job.test_style not in self.test_styles:
            raise ValueError(f"{self.title} takes test styles {self.test_styles}")
        candidate = _MAIN.sub("fn __factory_candidate_main(", job.code)
        if job.test_style == "native":
            tests, found = native_tests(job.tests)
            module = _TESTS_MODULE.search(tests)
            prefix = f"{module.group(1)}::" if module and "#[cfg(test)]" in tests else ""
            entries = ", ".join(_entry(name, f"{prefix}{name}", kind) for name, kind in found)
        else:
            tests = _MAIN.sub("fn __factory_program(", job.tests)
            entries = _entry("program", "__factory_program", 0)
        stand_ins = ""
        if _CRATE_PATH.search(candidate + tests) or _CRATE_USE.search(candidate + tests):
            stand_ins = "\n" + COMPAT  # last: the candidate's lines keep their numbers
            candidate, tests = _CRATE_USE.sub("", candidate), _CRATE_USE.sub("", tests)
        harness = MAIN.replace("__FACTORY_TESTS__", entries)
        source = candidate + "\n" + tests + "\n" + harness + stand_ins
        return Program(
            files={"main.rs": source},
            compile=(
                (
                    RUSTC,
                    "--edition",
                    "2021",
                    "--cfg",
                    "test",
                    "-C",
                    "strip=debuginfo",
                    "-C",
                    "opt-level=1",
                    "-A",
                    "warnings",
                    "-o",
                    "program",
                    "main.rs",
                ),
            ),  # fmt: skip
            run=("./program",),
            address_space_mb=0,
            exit_fails=job.test_style == "program",
        )

    def check_tests(self, tests: str, test_style: str, entry_point: str) -> str | None:
        if test_style == "native" and not native_tests(tests)[1]:
            return "native tests need #[test] functions"
        if test_style == "program" and not _MAIN.search(tests):
            return "program-style tests need an fn main() that runs the checks"
        return None

    def run_program(self, job: RunJob) -> Program:
        flags = ("-C", "strip=debuginfo", "-C", "opt-level=1", "-A", "warnings")
        return Program(
            files={"main.rs": job.code},
            compile=((RUSTC, "--edition", "2021", *flags, "-o", "program", "main.rs"),),
            run=("./program",),
            address_space_mb=0,
        )


RUST = Rust()
