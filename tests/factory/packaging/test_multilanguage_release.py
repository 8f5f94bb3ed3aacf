"""A release of a batch in two languages: RLVR rows carry what a verifier of any language needs,
and the QA report and data card count prompts, candidates, tasks and rows per language."""

import json
from pathlib import Path

import pandas as pd
from release_builders import config
from review_builders import add_finding, build_batch, enqueue
from review_data_builder import add_candidate, add_prompt
from sqlalchemy import Engine
from sqlmodel import Session

from factory.packaging.records import PromptInfo
from factory.packaging.release import build_release
from factory.packaging.rlvr import rlvr_row
from factory.review.simulate import simulate_reviews

GO_TESTS = 'func TestSolve(t *testing.T) {\n\tif Solve(2) != 4 {\n\t\tt.Fatal("no")\n\t}\n}\n'
BATCH = "batch-two-languages"


def go_prompt(prompt_id: int = 7) -> PromptInfo:
    return PromptInfo(
        prompt_id=prompt_id,
        external_id="go-double",
        batch_id=BATCH,
        language="go",
        task_type="code_generation",
        prompt="Write Solve(x int) int that doubles x.",
        tests=GO_TESTS,
        entry_point="Solve",
        test_style="native",
        reference_solution="func Solve(x int) int { return 2 * x }\n",
        licence="MIT",
    )


def test_rlvr_rows_carry_language_test_form_and_every_limit() -> None:
    row = rlvr_row(go_prompt(), time_limit_s=10.0, memory_limit_mb=512, compile_time_limit_s=60.0)

    assert row["language"] == "go" and row["test_style"] == "native"
    assert row["entry_point"] == "Solve" and row["tests"] == GO_TESTS
    assert (row["time_limit_s"], row["memory_limit_mb"], row["compile_time_limit_s"]) == (
        10.0,
        512,
        60.0,
    )
    info = json.loads(row["verification_info"])
    assert info == {
        "language": "go",
        "entry_point": "Solve",
        "test_style": "native",
        "test_code": GO_TESTS,
        "time_limit_s": 10.0,
        "memory_limit_mb": 512,
        "compile_time_limit_s": 60.0,
    }


def two_language_batch(engine: Engine, prompts: int = 6) -> str:
    build_batch(engine, prompts=prompts, batch_id=BATCH)
    with Session(engine) as session:
        for i in range(prompts):
            prompt = add_prompt(session, BATCH, f"g{i}", language="go", line_no=100 + i)
            prompt.tests, prompt.test_style = GO_TESTS, "native"
            code = "func Solve(x int) int {{\n\treturn {}\n}}\n"
            add_candidate(session, prompt, model="m1", code=code.format(f"2 * x // {i}"))
            messy = add_candidate(session, prompt, model="m2", code=code.format(f"x+x // {i}"))
            add_finding(session, messy, "style", "gofmt")
            add_candidate(session, prompt, model="m3", code=code.format("x"), verdict="failed")
        session.commit()
    enqueue(engine, BATCH, overlap_fraction=1.0, gold_rate=0.0)
    simulate_reviews(engine, BATCH, reviewers=2, seed=2)
    return BATCH


def test_a_two_language_release_counts_every_language(engine: Engine, tmp_path: Path) -> None:
    batch_id = two_language_batch(engine)

    release = build_release(engine, [batch_id], config(), out_root=tmp_path / "releases")

    folder = Path(release.path)
    figures = json.loads((folder / "qa_report.json").read_text())["languages"]
    assert set(figures) == {"python", "go"}
    for language in ("python", "go"):
        assert figures[language]["prompts"] == 6
        assert figures[language]["candidates"] == 18  # three per prompt, references aside
        assert figures[language]["review_tasks"] > 0
    dpo = pd.concat(pd.read_parquet(p) for p in folder.glob("dpo/*.parquet"))
    per_language = dpo.language.value_counts().to_dict()
    assert {lang: f["packaged"].get("dpo", 0) for lang, f in figures.items()} == per_language
    assert per_language.get("go", 0) > 0
    assert sum(f["packaged"].get("rlvr", 0) for f in figures.values()) == release.counts["rlvr"]

    rlvr = pd.concat(pd.read_parquet(p) for p in folder.glob("rlvr/*.parquet"))
    go = rlvr[rlvr.language == "go"]
    assert len(go) == figures["go"]["packaged"]["rlvr"] > 0
    assert set(go.test_style) == {"native"} and set(go.tests) == {GO_TESTS}
    assert go.memory_limit_mb.notna().all() and go.compile_time_limit_s.notna().all()

    card = (folder / "README.md").read_text()
    report = (folder / "qa_report.md").read_text()
    for text in (card, report):
        assert "## Languages" in text
        assert "| language | prompts | candidates | review tasks | DPO pairs |" in text
        go_line = next(line for line in text.splitlines() if line.startswith("| go |"))
        assert go_line.startswith(f"| go | 6 | 18 | {figures['go']['review_tasks']} | ")
        assert f"| {figures['go']['packaged'].get('dpo', 0)} |" in go_line
