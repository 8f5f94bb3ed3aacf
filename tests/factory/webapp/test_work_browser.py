"""Every kind of work beyond pairs in a real browser (Debian's Chromium via Playwright), worked
with the keyboard where the page offers it and checked in the docker sandbox: sign in, take the
task, do it, submit, see it saved. Hostile text in prompts, code and tests stays inert."""

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from review_builders import PASSWORD
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from work_builders import REGRESSION, TESTS
from work_page_builders import hostile_work_batch, serve_first

from factory.models import (
    RankEntry,
    ReasoningNote,
    RefactorStep,
    ReviewSpan,
    Submission,
    TaskCandidate,
)
from factory.sandbox.pool import PooledSandbox
from factory.settings import FactoryConfig, SandboxSettings
from factory.webapp.app import create_app

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.docker]

# Typed as a person types: no indentation that the next line would not need.
GOOD_TYPED = "def total(xs):\n    return sum(xs)"
BROKEN_STEP = "def total(xs):\n    return sum(xs[1:])"
WEAK_TEST = "from solution import total\n\ndef test_empty():\n    assert total([]) == 0"


@pytest.fixture
def live_server(sqlite_engine: Engine, docker_sandbox: PooledSandbox) -> Iterator[str]:
    """The app on a hostile batch of every kind, checking work in the docker sandbox, served by
    uvicorn on 127.0.0.1 (the `page` fixture opens its home page)."""
    hostile_work_batch(sqlite_engine, "alice")
    config = FactoryConfig(sandbox=SandboxSettings(timeout_s=5.0))
    app = create_app(sqlite_engine, config=config, secret="s" * 40)
    app.state.work_sandbox = docker_sandbox
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the app did not start within 10 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(page, engine: Engine, kind: str) -> int:  # type: ignore[no-untyped-def]
    """Sign in as alice and take the next task, which is the one of `kind`; its claim id."""
    serve_first(engine, kind)
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.click("#start")
    page.wait_for_selector(f"#work-form[data-kind={kind}]")
    assert page.evaluate("() => window.__pwned === undefined")
    assert page.locator("img[src=x]").count() == 0
    assert "<script>window.__pwned = 1</script>" in page.locator(".prompt-text").inner_text()
    return int(page.url.rsplit("/", 1)[1])


def saved(page, claim_id: int) -> None:  # type: ignore[no-untyped-def]
    """The work was saved: the next page says so."""
    page.wait_for_selector(f"[role=status]:has-text('Work {claim_id} saved.')", timeout=30_000)


def submission(engine: Engine) -> Submission:
    with Session(engine) as session:
        return session.exec(select(Submission)).one()


def test_ranking_with_the_keyboard(page, sqlite_engine: Engine) -> None:
    claim_id = start(page, sqlite_engine, "ranking")
    assert page.locator(".candidate").count() == 4
    # Four place rows (A..D), then the five dimensions for each of the four candidates.
    page.keyboard.type("2134")
    assert page.locator("#rank-clash").is_hidden()
    page.keyboard.type("5555" + "5555" + "4444" + "5344" + "4434")
    page.keyboard.press("r")
    page.keyboard.type("B uses sum(); A loops; C drops the last item; D ignores its input.")
    page.keyboard.press("Control+Enter")
    saved(page, claim_id)
    with Session(sqlite_engine) as session:
        order = session.exec(
            select(TaskCandidate.candidate_id)
            .where(TaskCandidate.task_id == submission(sqlite_engine).task_id)
            .order_by(col(TaskCandidate.position))
        ).all()
        entries = {e.candidate_id: e for e in session.exec(select(RankEntry))}
    assert [entries[c].rank for c in order] == [2, 1, 3, 4]
    assert entries[order[3]].scores["efficiency"] == 4 and entries[order[3]].scores["style"] == 4


def test_code_review_marks_spans_with_the_line_cursor(page, sqlite_engine: Engine) -> None:
    claim_id = start(page, sqlite_engine, "code_review")
    # Cursor to line 2, start a span, extend it to line 5, describe it.
    page.keyboard.press("j")
    page.keyboard.press("Space")
    for _ in range(3):
        page.keyboard.press("Shift+J")
    assert page.locator("#selection").inner_text() == "Lines 2–5 selected."
    page.keyboard.press("Enter")
    page.wait_for_selector("#span-editor:not([hidden])")
    page.keyboard.type("r")  # the focused category select: readability
    page.keyboard.press("Tab")  # severity stays low
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.type("A hand-written loop for what sum() says in one word.")
    page.keyboard.press("Tab")
    page.keyboard.type("    return sum(xs)")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#span-1")
    assert "Lines 2–5" in page.locator("#span-1").inner_text()
    # A security finding needs its CWE; shift-click on line numbers selects the span.
    page.click("#line-1 .lineno")
    page.click("#line-6 .lineno", modifiers=["Shift"])
    page.keyboard.press("Enter")
    page.select_option("#span-category", "security")
    page.fill("#span-comment", "x")
    page.keyboard.press("Control+Enter")
    assert "needs its CWE" in page.locator("#span-error").inner_text()
    page.fill("#span-cwe", "cwe-20")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#span-2")
    # Listed in line order: the span on lines 1-6 comes first.
    assert "Lines 1–6" in page.locator("#span-1").inner_text()
    assert "CWE-20" in page.locator("#span-1").inner_text()
    page.click("#span-1 .remove")
    assert page.locator("#span-list li").count() == 1
    assert "Lines 2–5" in page.locator("#span-1").inner_text()
    page.keyboard.press("r")
    page.keyboard.type("Correct, but longer than it needs to be.")
    page.keyboard.press("Control+Enter")
    saved(page, claim_id)
    with Session(sqlite_engine) as session:
        span = session.exec(select(ReviewSpan)).one()
    assert (span.start_line, span.end_line, span.category, span.severity) == (
        2,
        5,
        "readability",
        "low",
    )
    assert span.suggested_fix == "    return sum(xs)"
    checks = submission(sqlite_engine).verification["checks"]
    assert [c["check"] for c in checks] == ["code as reviewed", "fix of lines 2-5"]


def test_a_bug_fix_refused_by_the_sandbox_then_saved(page, sqlite_engine: Engine) -> None:
    claim_id = start(page, sqlite_engine, "bug_fix")
    page.keyboard.press("f")
    page.keyboard.press("Control+A")
    page.keyboard.type(GOOD_TYPED)
    page.keyboard.press("Escape")
    page.keyboard.press("t")
    page.keyboard.type(WEAK_TEST)
    page.keyboard.press("Escape")
    page.keyboard.press("r")
    page.keyboard.type("range(len(xs) - 1) stops one short of the last item")
    page.keyboard.press("Escape")
    page.keyboard.press("c")
    page.keyboard.type("off")  # the select's own type-ahead: "off by one"
    page.keyboard.press("Escape")
    page.keyboard.press("h")
    page.keyboard.type("total([5]) gave 0")
    page.keyboard.press("Control+Enter")
    error = page.wait_for_selector("#form-error", timeout=30_000)
    assert "passes on the buggy code" in error.inner_text()
    # Nothing typed was lost.
    assert page.input_value("#regression_test") == WEAK_TEST
    assert page.input_value("#fixed_code") == GOOD_TYPED
    assert page.input_value("#cause_category") == "off_by_one"
    assert page.input_value("#how_found") == "total([5]) gave 0"
    page.keyboard.press("t")
    page.keyboard.press("Control+A")
    page.keyboard.type(REGRESSION.rstrip())
    page.keyboard.press("Control+Enter")
    saved(page, claim_id)
    stored = submission(sqlite_engine)
    assert stored.payload["cause_category"] == "off_by_one"
    assert stored.payload["regression_test"] == REGRESSION


def test_authoring_a_solution_and_its_tests(page, sqlite_engine: Engine) -> None:
    claim_id = start(page, sqlite_engine, "authoring")
    assert "This prompt has no tests" in page.locator("#tests-needed").inner_text()
    page.keyboard.press("a")
    page.keyboard.type(GOOD_TYPED)
    page.keyboard.press("Escape")
    page.keyboard.press("t")
    page.keyboard.type(TESTS.rstrip())
    page.keyboard.press("Escape")
    page.keyboard.press("r")
    page.keyboard.type("sum() is the language's own answer")
    page.keyboard.press("Control+Enter")
    saved(page, claim_id)
    stored = submission(sqlite_engine)
    assert stored.payload["tests"] == TESTS
    assert [c["check"] for c in stored.verification["checks"]] == ["your tests"]


def add_step(page, code: str, why: str) -> None:  # type: ignore[no-untyped-def]
    page.keyboard.press("a")
    page.keyboard.press("Control+A")
    page.keyboard.type(code)
    page.keyboard.press("Escape")
    page.keyboard.press("r")
    page.keyboard.type(why)
    page.keyboard.press("Escape")
    page.keyboard.press("m")
    page.keyboard.type("rep")  # type-ahead: "replace algorithm"
    page.keyboard.press("Control+Enter")  # in the step form: add the step


def test_refactoring_flags_a_step_that_breaks_the_tests(page, sqlite_engine: Engine) -> None:
    claim_id = start(page, sqlite_engine, "refactoring")
    assert page.locator("#start-code").is_hidden() and page.locator("#step-undo").is_hidden()
    add_step(page, BROKEN_STEP, "shorter")
    assert page.locator("#step-undo").is_visible()
    step = page.locator("#step-1")
    page.wait_for_selector("#step-1.breaking", timeout=30_000)
    assert "breaks the tests" in step.inner_text() and "1/2" in step.inner_text()
    add_step(page, GOOD_TYPED, "sum() of every item")
    page.wait_for_selector("#step-2 .verdict-passed", timeout=30_000)
    assert "tests pass (2/2)" in page.locator("#step-2").inner_text()
    assert "breaking" not in (page.locator("#step-2").get_attribute("class") or "")
    page.keyboard.press("Escape")
    page.keyboard.press("Control+Enter")
    saved(page, claim_id)
    with Session(sqlite_engine) as session:
        steps = session.exec(select(RefactorStep).order_by(col(RefactorStep.position))).all()
    assert [(s.breaks_tests, s.why) for s in steps] == [
        (True, "shorter"),
        (False, "sum() of every item"),
    ]


def test_reasoning_notes_are_written_while_working(page, sqlite_engine: Engine) -> None:
    claim_id = start(page, sqlite_engine, "reasoning")
    page.keyboard.press("n")
    page.keyboard.type("A running total would do; sum() already is one.")
    page.keyboard.press("Enter")
    page.wait_for_selector("#notes-list li")
    page.keyboard.press("Escape")
    page.keyboard.press("a")
    page.keyboard.type(GOOD_TYPED)
    page.keyboard.press("Escape")
    page.keyboard.press("p")
    page.keyboard.type("dir")  # type-ahead: "direct"
    page.keyboard.press("Escape")
    page.keyboard.press("Control+Enter")
    # One note is not reasoning: refused, with the answer kept.
    error = page.wait_for_selector("#form-error", timeout=30_000)
    assert "at least 2 notes" in error.inner_text()
    assert page.input_value("#answer") == GOOD_TYPED
    page.keyboard.press("n")
    page.keyboard.type("The empty list must give 0: sum([]) does.")
    page.keyboard.press("Enter")
    page.wait_for_selector("#notes-list li:nth-child(2)")
    stamps = page.locator("#notes-list .stamp").all_inner_texts()
    assert len(stamps) == 2 and all(s.startswith("+00:") for s in stamps)
    page.keyboard.press("Escape")
    page.keyboard.press("Control+Enter")
    saved(page, claim_id)
    with Session(sqlite_engine) as session:
        notes = session.exec(select(ReasoningNote).order_by(col(ReasoningNote.id))).all()
    assert [n.text[:10] for n in notes] == ["A running ", "The empty "]
    assert submission(sqlite_engine).payload["approach"] == "direct"
