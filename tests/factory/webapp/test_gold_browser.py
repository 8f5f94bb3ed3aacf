"""The senior's gold page in a real browser (Debian's Chromium via Playwright): pick a proposed
hard pair, choose the known answer with the preference scale, write the reason, save; the item
is listed with its author and reason, and the pair leaves the proposed list."""

import pytest
from gold_builders import finished_hard_pairs
from review_builders import PASSWORD
from sqlalchemy import Engine
from sqlmodel import Session, select

from factory.models import GoldItem, Reviewer

pytestmark = [pytest.mark.browser, pytest.mark.slow]


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
