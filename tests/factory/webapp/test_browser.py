"""The review flow in a real browser (Debian's Chromium via Playwright): sign in, score with the
keyboard only, submit, land on the next task; a hostile candidate's HTML stays inert text."""

import os

import pytest
from review_builders import PASSWORD, SECRET_MODEL
from sqlalchemy import Engine
from sqlmodel import Session, select

from factory.models import Annotation, DimensionScore, ReviewTask, TaskClaim

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def sign_in(page, username: str = "alice") -> None:  # type: ignore[no-untyped-def]
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#start")


def test_keyboard_review_submits_and_shows_the_next_task(page, app_engine: Engine) -> None:
    sign_in(page)
    page.click("#start")
    page.wait_for_selector("#review-form")
    first_url = page.url
    if os.environ.get("FACTORY_SCREENSHOT"):
        page.screenshot(path=os.environ["FACTORY_SCREENSHOT"], full_page=True)
    # Ten score rows (5 dimensions x A/B), auto-advancing, then the preference row: 2 = "A better".
    page.keyboard.type("5443342255")
    page.keyboard.press("2")
    page.keyboard.press("r")
    page.keyboard.type("A is clearer and avoids the style issue.")
    page.keyboard.press("Control+Enter")
    page.wait_for_url(lambda url: url != first_url and "/review/" in url)
    assert page.locator("[role=status]").first.inner_text().startswith("Review ")
    assert page.locator("#review-form").count() == 1

    with Session(app_engine) as session:
        annotation = session.exec(select(Annotation)).one()
        claim = session.get(TaskClaim, annotation.claim_id)
        scores = session.exec(
            select(DimensionScore).where(DimensionScore.annotation_id == annotation.id)
        ).all()
        task = session.get(ReviewTask, annotation.task_id)
    assert annotation.rationale == "A is clearer and avoids the style issue."
    # "A better" on the page is -2 when A is shown on the left, +2 when the order was swapped.
    assert annotation.preference == (2 if claim.swapped else -2)
    assert len(scores) == 10
    left, right = (
        (task.candidate_b_id, task.candidate_a_id)
        if claim.swapped
        else (task.candidate_a_id, task.candidate_b_id)
    )
    by_candidate: dict[int, dict[str, int]] = {}
    for score in scores:
        by_candidate.setdefault(score.candidate_id, {})[score.dimension] = score.score
    # Keys went row by row: correctness A, correctness B, security A, security B, ...
    assert by_candidate[left] == {
        "correctness": 5,
        "security": 4,
        "readability": 3,
        "efficiency": 2,
        "style": 5,
    }
    assert by_candidate[right] == {
        "correctness": 4,
        "security": 3,
        "readability": 4,
        "efficiency": 2,
        "style": 5,
    }


def test_hostile_candidate_code_renders_as_inert_text(page) -> None:
    sign_in(page)
    page.click("#start")
    page.wait_for_selector("#review-form")
    # The first task belongs to the hostile prompt: its payload must show as text, not run.
    assert "<script>window.__pwned = 1</script>" in page.locator(".prompt-text").inner_text()
    assert "<script>" in page.locator(".code").first.inner_text()
    assert page.evaluate("() => window.__pwned === undefined")
    assert page.locator("main script").count() == 0
    assert page.locator("img[src=x]").count() == 0
    assert SECRET_MODEL not in page.content()


def test_submit_without_rationale_is_refused_in_the_browser(page) -> None:
    sign_in(page)
    page.click("#start")
    page.wait_for_selector("#review-form")
    url = page.url
    page.keyboard.type("33333333334")
    page.keyboard.press("Control+Enter")
    # The browser's own `required` check stops the submit: still on the same task.
    page.wait_for_timeout(300)
    assert page.url == url
    assert page.evaluate("() => document.getElementById('rationale').validity.valueMissing")
