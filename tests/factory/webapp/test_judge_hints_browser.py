"""Judge hints in a real browser (Debian's Chromium via Playwright): nothing of the judge is on
the review page while the reviewer scores; once they submit, the judge's scores and reasons are
shown, and Enter moves on to the next task."""

import pytest
from judge_builders import add_judge_scores
from review_builders import PASSWORD, WEB_BATCH
from sqlalchemy import Engine

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def judged_page(page, app_engine: Engine):  # type: ignore[no-untyped-def]
    add_judge_scores(app_engine, WEB_BATCH)
    return page


def test_the_judge_hint_is_hidden_before_scores_and_shown_after(judged_page) -> None:
    page = judged_page
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.click("#start")
    page.wait_for_selector("#review-form")
    review_url = page.url
    # While scoring: no hint anywhere in the page, visible or hidden.
    assert page.locator("#judge-hints").count() == 0
    assert "JUDGE-REASON" not in page.content()
    page.keyboard.type("4444444444")
    assert "JUDGE-REASON" not in page.content()
    page.keyboard.press("3")
    page.keyboard.press("r")
    page.keyboard.type("Both are fine; A reads a little better.")
    page.keyboard.press("Control+Enter")
    page.wait_for_url(review_url + "/judge")
    hints = page.locator("#judge-hints")
    assert hints.is_visible()
    assert page.locator(".judge-reason").first.inner_text().startswith("JUDGE-REASON-")
    assert page.locator(".judge-table tbody tr").count() == 5
    assert page.locator("[role=status]").first.inner_text().startswith("Review ")
    page.keyboard.press("Enter")  # "Next task" has the focus
    page.wait_for_url(lambda url: "/review/" in url and not url.endswith("/judge"))
    assert page.url != review_url
    assert page.locator("#review-form").count() == 1
