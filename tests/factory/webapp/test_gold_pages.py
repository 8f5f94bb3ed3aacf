"""Gold in the reviewer app, on SQLite and PostgreSQL: a gold item's review page is the ordinary
page (only the task's own content differs); seniors write, confirm and retire gold on /gold and
nobody else may; admins see and lift suspensions on /admin; reviewers see their pools."""

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from gold_builders import RULES, add_gold, answer, finished_hard_pairs
from review_builders import add_account, build_batch, csrf_of, enqueue, login
from sqlalchemy import Engine, update
from sqlmodel import Session, select

from factory.models import GoldItem, PoolMembership, Prompt, Reviewer, ReviewTask, TaskClaim
from factory.review.pools import admit, enrol
from factory.review.queue import claim_next
from factory.settings import FactoryConfig
from factory.webapp.app import create_app

POOL = ("python", "code_generation")


@pytest.fixture
def web(engine: Engine) -> Iterator[TestClient]:
    app = create_app(engine, config=FactoryConfig(), secret="s" * 40)
    with TestClient(app) as test_client:
        yield test_client


def reviewer_id(engine: Engine, username: str) -> int:
    with Session(engine) as session:
        return session.exec(select(Reviewer.id).where(Reviewer.username == username)).one()


def own_content(engine: Engine, claim_id: int) -> list[str]:
    """What belongs to the claim's task itself: its prompt's identifiers, which name the
    function in the prompt, the code, the tests and the diff."""
    with Session(engine) as session:
        claim = session.get(TaskClaim, claim_id)
        task = session.get(ReviewTask, claim.task_id)
        prompt = session.get(Prompt, task.prompt_id)
    return [prompt.entry_point, prompt.external_id]


def masked(page: str, claim_id: int, content: list[str]) -> str:
    """The page with the task's own content and the per-claim values masked."""
    for text in sorted(content, key=len, reverse=True):
        page = page.replace(text, "<OWN>")
    page = page.replace(f"/review/{claim_id}", "/review/<CLAIM>")
    page = page.replace(f"Review {claim_id}", "Review <CLAIM>")
    page = re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token" value="<CSRF>"', page)
    return re.sub(r"Lease until \d\d:\d\d UTC", "Lease until <TIME> UTC", page)


def unswapped(engine: Engine) -> None:
    """Both pages in the same displayed order (drawn at random per claim otherwise)."""
    with Session(engine) as session:
        session.execute(update(TaskClaim).values(swapped=False))
        session.commit()


def test_a_gold_page_differs_from_ordinary_work_only_in_its_own_content(engine, web):
    hard = finished_hard_pairs(engine, prompts=2, batch_id="source")
    add_gold(engine, [hard[1]])  # the pair of prompt p1
    build_batch(engine, prompts=1, batch_id="work")  # an ordinary pair of prompt p0
    enqueue(engine, "work", pair_strategy="passing_differ", overlap_fraction=0, gold_rate=0)
    add_account(engine, "nova", qualified=False)
    nova = reviewer_id(engine, "nova")
    with Session(engine) as session:
        enrol(session, nova, [POOL])
        session.commit()
    login(web, "nova")
    gold = claim_next(engine, nova, lease_seconds=600)
    assert gold.gold_item_id is not None
    unswapped(engine)
    gold_page = web.get(f"/review/{gold.id}").text
    answer(engine, gold, nova, 2)
    with Session(engine) as session:  # qualified, so now served ordinary work
        admit(session, nova, *POOL, reason="for the comparison")
        session.commit()
    work = claim_next(engine, nova, lease_seconds=600)
    assert work.gold_item_id is None
    unswapped(engine)
    work_page = web.get(f"/review/{work.id}").text
    assert gold_page != work_page  # the tasks' own content does differ
    assert masked(gold_page, gold.id, own_content(engine, gold.id)) == masked(
        work_page, work.id, own_content(engine, work.id)
    )
    assert "gold" not in gold_page.lower()


def senior_client(engine: Engine, web: TestClient, username: str = "sam") -> str:
    add_account(engine, username, role="senior")
    home = login(web, username)
    return csrf_of(home.text)


def test_a_senior_writes_confirms_and_retires_gold_on_the_gold_page(engine, web):
    hard = finished_hard_pairs(engine, prompts=2)
    add_account(engine, "tess", role="senior")
    csrf = senior_client(engine, web)
    page = web.get("/gold")
    assert page.status_code == 200 and f'href="/gold/new/{hard[0]}"' in page.text
    pair = web.get(f"/gold/new/{hard[0]}")
    assert pair.status_code == 200 and 'id="gold-form"' in pair.text
    refused = web.post(f"/gold/new/{hard[0]}", data={"csrf_token": csrf, "preference": "2"})
    assert refused.status_code == 400 and "needs a written reason" in refused.text
    saved = web.post(
        f"/gold/new/{hard[0]}",
        data={"csrf_token": csrf, "preference": "-2", "reason": "A validates the input"},
    )
    assert saved.status_code == 200 and "Gold item" in saved.text
    assert "A validates the input" in saved.text and "sam" in saved.text
    with Session(engine) as session:
        item = session.exec(select(GoldItem)).one()
    assert (item.task_id, item.preference, item.confirmed_by) == (hard[0], -2, None)
    # The author may not confirm their own item; another senior does.
    web.post("/logout", data={"csrf_token": csrf})
    csrf = csrf_of(login(web, "tess").text)
    confirmed = web.post(f"/gold/{item.id}/confirm", data={"csrf_token": csrf, "note": "yes"})
    assert confirmed.status_code == 200 and f"Gold item {item.id} confirmed" in confirmed.text
    retired = web.post(f"/gold/{item.id}/retire", data={"csrf_token": csrf, "reason": "moot"})
    assert f"Gold item {item.id} retired" in retired.text
    with Session(engine) as session:
        item = session.get(GoldItem, item.id)
    assert item.confirmed_by == reviewer_id(engine, "tess") and item.retire_reason == "moot"


def test_reviewers_may_not_use_the_gold_page(engine, web):
    hard = finished_hard_pairs(engine, prompts=1)
    add_account(engine, "plain")
    csrf = csrf_of(login(web, "plain").text)
    assert web.get("/gold").status_code == 403
    data = {"csrf_token": csrf, "preference": "2", "reason": "r"}
    assert web.post(f"/gold/new/{hard[0]}", data=data).status_code == 403


def test_admins_see_suspensions_and_restore_with_a_reason(engine, web):
    hard = finished_hard_pairs(engine, prompts=6)
    add_gold(engine, hard)
    add_account(engine, "ada", role="admin")
    add_account(engine, "rex")
    rex = reviewer_id(engine, "rex")
    for _ in range(RULES.min_answers):  # all wrong
        claim = claim_next(engine, rex, lease_seconds=600, expert_gold_rate=1.0)
        answer(engine, claim, rex, -2)
    csrf = csrf_of(login(web, "ada").text)
    overview = web.get("/admin")
    assert 'id="suspended"' in overview.text and "rex" in overview.text
    assert "rolling gold accuracy 0/3" in overview.text
    pools = web.get("/admin/pools")
    with Session(engine) as session:
        suspended = session.exec(
            select(PoolMembership).where(PoolMembership.status == "suspended")
        ).one()
    assert f'id="pool-{suspended.id}" class="pool-suspended"' in pools.text
    restored = web.post(
        f"/admin/pools/{suspended.id}/admit", data={"csrf_token": csrf, "reason": "item disputed"}
    )
    assert f"Membership {suspended.id} restored" in restored.text
    with Session(engine) as session:
        assert session.get(PoolMembership, suspended.id).status == "active"
    assert "Nobody is suspended" in web.get("/admin").text


def test_the_home_page_shows_the_reviewers_pools(engine, web):
    add_account(engine, "nova", qualified=False)
    with Session(engine) as session:
        enrol(session, reviewer_id(engine, "nova"), [POOL])
        session.commit()
    home = login(web, "nova")
    assert 'id="pools"' in home.text and "qualifying" in home.text
