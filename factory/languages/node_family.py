"""JavaScript and TypeScript on node: candidate and tests loaded as one module by our harness.

Native tests are node:test-style blocks, `test("name", () => { assert.strictEqual(f(1), 2); })`
(async functions awaited), with `test`, `it`, `describe` and `assert` given, and
`require("node:test")` / `require("node:assert")` also working; each block is one reported test.
"program" style (MultiPL-E, HumanEval-X): the test program's top-level asserts run after the
candidate, and the one test `program` passes when they all hold. The harness reads the run's
secret before the candidate's code is compiled and keeps it, with its own references to
`fs.writeSync`, JSON and the promise intrinsics, in a closure (patched prototypes cannot forge or
settle a report; inspector, v8 and process.binding are refused); a candidate that calls
process.exit() never produces the closing line. TypeScript is transpiled first (typescript's
transpileModule: syntax errors are compile errors; types are not checked, which tsc would do in
ten times the time).
"""

import re
from dataclasses import dataclass
from pathlib import Path

from factory.languages.base import Program
from factory.sandbox.job import ExecutionJob, RunJob

_HARNESS_DIR = Path(__file__).parent / "harness"
JS_HARNESS = (_HARNESS_DIR / "js_harness.js").read_text()
TS_TRANSPILE = (_HARNESS_DIR / "ts_transpile.js").read_text()
NODE = "/usr/bin/node"
# node reserves address space well beyond what it uses and may hang under a tight RLIMIT_AS:
# the sandbox's cgroup or container bounds its memory, the heap flag bounds V8.
_TEST_CALL = re.compile(r"\b(test|it)\s*\(")


@dataclass(frozen=True, slots=True)
class NodeLanguage:
    name: str
    title: str
    extension: str
    highlight: str
    packages: tuple[str, ...]
    transpile: bool = False
    test_styles: tuple[str, ...] = ("native", "program")

    def program(self, job: ExecutionJob) -> Program:
        if job.test_style not in self.test_styles:
            raise ValueError(f"{self.title} takes test styles {self.test_styles}")
        source = job.code + "\n;\n" + job.tests + "\n"
        heap = max(job.memory_mb // 2, 64)
        run = (
            NODE,
            f"--max-old-space-size={heap}",
            "factory_harness.js",
            job.test_style,
            "main.js",
        )
        files = {"factory_harness.js": JS_HARNESS}
        compile_steps: tuple[tuple[str, ...], ...] = ()
        if self.transpile:
            files["ts_transpile.js"] = TS_TRANSPILE
            files["main.ts"] = source
            compile_steps = ((NODE, "ts_transpile.js", "main.ts", "main.js"),)
        else:
            files["main.js"] = source
        return Program(
            files=files,
            compile=compile_steps,
            run=run,
            address_space_mb=0,
            exit_fails=job.test_style == "program",
        )

    def check_tests(self, tests: str, test_style: str, entry_point: str) -> str | None:
        if test_style == "native" and not _TEST_CALL.search(tests):
            return 'native tests need at least one test("name", () => { ... }) block'
        if test_style == "program" and "assert" not in tests:
            return "program-style tests need assertions (assert...)"
        return None

    def run_program(self, job: RunJob) -> Program:
        heap = max(job.memory_mb // 2, 64)
        compile_steps: tuple[tuple[str, ...], ...] = ()
        if self.transpile:
            files = {"ts_transpile.js": TS_TRANSPILE, "main.ts": job.code}
            compile_steps = ((NODE, "ts_transpile.js", "main.ts", "main.js"),)
        else:
            files = {"main.js": job.code}
        return Program(
            files=files,
            compile=compile_steps,
            run=(NODE, f"--max-old-space-size={heap}", "main.js"),
            address_space_mb=0,
        )


JAVASCRIPT = NodeLanguage(
    name="javascript", title="JavaScript", extension=".js", highlight="javascript",
    packages=("nodejs",),
)  # fmt: skip
TYPESCRIPT = NodeLanguage(
    name="typescript", title="TypeScript", extension=".ts", highlight="typescript",
    packages=("nodejs", "node-typescript"), transpile=True,
)  # fmt: skip
