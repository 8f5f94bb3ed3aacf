"""The senior's gold page in a real browser (Debian's Chromium via Playwright): pick a proposed
hard pair, choose the known answer with the preference scale, write the reason, save; the item
is listed with its author and reason, and the pair leaves the proposed list."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from gold_builders import finished_hard_pairs
from review_builders import PASSWORD
from sqlalchemy import Engine
from sqlmodel import Session, select

from factory.models import GoldItem, Reviewer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def page(live_server: str) -> Iterator:  # type: ignore[type-arg]
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing; scripts/setup.sh installs Debian's chromium")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1500, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(live_server + "/")
        yield page
        context.close()
        browser.close()


def test_a_senior_makes_a_hard_pair_gold_in_the_browser(page, app_engine: Engine) -> None:
    hard = finished_hard_pairs(app_engine, prompts=2)
    page.fill("input[name=username]", "sam")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#start")
    page.click("nav >> text=Gold")
    page.wait_for_selector("#proposed")
    page.click(f"#make-gold-{hard[1]}")
    page.wait_for_selector("#gold-form")
    page.check("#gold-form input[name=preference][value='-2']", force=True)
    page.fill("#reason", "A rejects negative sizes; B silently returns an empty list.")
    page.click("#save-gold")
    page.wait_for_selector("#gold-items")
    row = page.locator("#gold-items tbody tr").first
    assert "A better" in row.inner_text() and "sam" in row.inner_text()
    assert "A rejects negative sizes" in row.inner_text()
    assert "Gold item" in page.locator("[role=status]").first.inner_text()
    assert page.locator(f"#make-gold-{hard[1]}").count() == 0  # no longer proposed
    with Session(app_engine) as session:
        item = session.exec(select(GoldItem)).one()
        sam = session.exec(select(Reviewer).where(Reviewer.username == "sam")).one()
    assert (item.task_id, item.preference, item.authored_by) == (hard[1], -2, sam.id)
