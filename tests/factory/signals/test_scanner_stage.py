"""The signals stage on a batch of C and JavaScript candidates: each language's scanners run and
their findings are stored as Finding rows with tool, rule, CWE, severity, dimension and line."""

from generation_builder import add_candidate, add_humaneval_batch
from sqlalchemy import Engine
from sqlmodel import Session, select

from factory.models import Finding, Prompt
from factory.signals import stage as signals_stage
from factory.stages import StageContext

BATCH = "batch-c-and-js"
UNSAFE_C = (
    "#include <stdio.h>\n#include <string.h>\n\n"
    "void greet(const char *name) {\n  char buffer[16];\n  strcpy(buffer, name);\n"
    "  buffer[16] = 0;\n"
    '  printf("%s\\n", buffer);\n}\n'
)
UNSAFE_JS = "function calculate(expression) {\n  return eval(expression);\n}\n"
SAFE_JS = "function add(a, b) {\n  return a + b;\n}\n"


def _as_language(engine: Engine, prompt: Prompt, language: str) -> Prompt:
    with Session(engine, expire_on_commit=False) as session:
        row = session.get(Prompt, prompt.id)
        assert row is not None
        row.language, row.external_id = language, f"{language}/{prompt.id}"  # no scaled input
        session.add(row)
        session.commit()
        return row


def _findings(engine: Engine, candidate_id: int | None) -> list[Finding]:
    with Session(engine) as session:
        query = select(Finding).where(Finding.candidate_id == candidate_id)
        return list(session.exec(query))


def test_the_stage_stores_c_and_javascript_findings(engine: Engine) -> None:
    c_prompt, js_prompt = add_humaneval_batch(engine, BATCH, [2, 3])
    c_prompt = _as_language(engine, c_prompt, "c")
    js_prompt = _as_language(engine, js_prompt, "javascript")
    unsafe_c = add_candidate(engine, c_prompt, UNSAFE_C, model="a")
    unsafe_js = add_candidate(engine, js_prompt, UNSAFE_JS, model="a")
    safe_js = add_candidate(engine, js_prompt, SAFE_JS, model="b")
    ctx = StageContext.from_environment(database_url=engine.url.render_as_string(False))

    report = signals_stage.run(ctx, BATCH)

    c_rows = _findings(engine, unsafe_c.id)
    [strcpy] = [f for f in c_rows if (f.tool, f.rule_id) == ("flawfinder", "strcpy")]
    assert (strcpy.dimension, strcpy.cwe_id, strcpy.severity, strcpy.line) == (
        "security",
        120,
        "HIGH",
        6,
    )
    [bounds] = [f for f in c_rows if f.tool == "cppcheck"]
    assert (bounds.rule_id, bounds.cwe_id, bounds.severity, bounds.line) == (
        "arrayIndexOutOfBounds",
        788,
        "HIGH",
        7,
    )
    [complexity] = [f for f in c_rows if (f.tool, f.rule_id) == ("lizard", "cc")]
    assert (complexity.dimension, complexity.value, complexity.severity) == ("readability", 1, "A")
    assert not any(f.rule_id in ("tool-error", "no-scanner") for f in c_rows)

    js_rows = _findings(engine, unsafe_js.id)
    [evaluation] = [f for f in js_rows if (f.tool, f.rule_id) == ("eslint", "no-eval")]
    assert (evaluation.dimension, evaluation.cwe_id, evaluation.severity, evaluation.line) == (
        "security",
        95,
        "HIGH",
        2,
    )
    assert {f.rule_id for f in js_rows if f.cwe_id == 95} == {
        "no-eval",
        "security/detect-eval-with-expression",  # the security plugin's own rule, too
    }
    safe_rows = _findings(engine, safe_js.id)
    assert [f.tool for f in safe_rows if f.dimension == "security"] == []
    assert {f.tool for f in safe_rows} == {"lizard"}

    assert report.static_skipped_language == 3  # read by the scanners, not by bandit and ruff
    assert report.cwe_ids[120] >= 1 and report.cwe_ids[95] == 2
    assert {"flawfinder", "cppcheck", "eslint", "lizard"} <= set(report.by_tool)
    assert report.high_severity_security == 2
