"""Judge hints: the LLM judge's scores and reasons reach a reviewer only after their own review
is saved (never on the review page, never for someone else's claim), side by side with their
scores in the order they saw; `review.judge_hints: never` hides them. On both databases."""

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from judge_builders import add_judge_scores, judge_reason, judge_score
from review_builders import WEB_BATCH, add_account, csrf_of, login, queue_batch
from sqlalchemy import Engine
from sqlmodel import Session

from factory.models import ReviewTask, TaskClaim
from factory.settings import FactoryConfig, ReviewSettings
from factory.vocab import DIMENSIONS
from factory.webapp.app import create_app


@pytest.fixture
def judged_engine(engine: Engine) -> Engine:
    queue_batch(engine)
    add_account(engine, "alice")
    add_account(engine, "bob")
    add_judge_scores(engine, WEB_BATCH)
    return engine


def client_for(engine: Engine, judge_hints: str = "after_scores") -> TestClient:
    config = FactoryConfig(review=ReviewSettings(judge_hints=judge_hints))
    return TestClient(create_app(engine, config=config, secret="s" * 40))


@pytest.fixture
def client(judged_engine: Engine) -> Iterator[TestClient]:
    with client_for(judged_engine) as test_client:
        yield test_client


def start(client: TestClient, username: str = "alice") -> tuple[str, str, int]:
    csrf = csrf_of(login(client, username).text)
    page = client.post("/next", data={"csrf_token": csrf})
    return page.text, csrf, int(str(page.url).rsplit("/", 1)[1])


def review_form(csrf: str) -> dict[str, str]:
    form = {"csrf_token": csrf, "preference": "-1", "rationale": "A is a bit clearer"}
    for side, score in (("left", 5), ("right", 2)):
        for d in DIMENSIONS:
            form[f"score-{side}-{d.value}"] = str(score)
    return form


def shown_order(engine: Engine, claim_id: int) -> tuple[int, int]:
    with Session(engine) as session:
        claim = session.get(TaskClaim, claim_id)
        task = session.get(ReviewTask, claim.task_id)
    pair = (task.candidate_a_id, task.candidate_b_id)
    return pair[::-1] if claim.swapped else pair


def test_hints_are_hidden_before_the_review_and_shown_after(client, judged_engine) -> None:
    page, csrf, claim_id = start(client)
    left, right = shown_order(judged_engine, claim_id)
    assert "JUDGE-REASON" not in page and "judge-hints" not in page
    early = client.get(f"/review/{claim_id}/judge")
    assert early.status_code == 409 and "JUDGE-REASON" not in early.text
    assert "only after you submit your own review" in early.text

    after = client.post(f"/review/{claim_id}", data=review_form(csrf))
    assert str(after.url).endswith(f"/review/{claim_id}/judge")
    assert "Review " in after.text and " saved." in after.text and 'id="judge-hints"' in after.text
    text = after.text
    # The judge's reasons for A (left) come before those for B, escaped.
    assert text.index(f"JUDGE-REASON-{left}") < text.index(f"JUDGE-REASON-{right}")
    assert "&lt;b&gt;not bold&lt;/b&gt;" in text and judge_reason(left) not in text
    # Each row: the reviewer's score of A, the judge's of A, the reviewer's of B, the judge's.
    row = re.search(r'data-dimension="correctness">(.*?)</tr>', text, re.S)
    assert row is not None
    cells = re.findall(r'<td class="[^"]*">([^<]*)</td>', row.group(1))
    assert cells == ["5", str(judge_score(left, 0)), "2", str(judge_score(right, 0))]


def test_nobody_sees_the_hints_of_someone_elses_claim(client, judged_engine) -> None:
    _, csrf, claim_id = start(client, "alice")
    client.post(f"/review/{claim_id}", data=review_form(csrf))
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/").text)})
    login(client, "bob")
    response = client.get(f"/review/{claim_id}/judge")
    assert response.status_code == 404 and "JUDGE-REASON" not in response.text


def test_judge_hints_never_hides_them(judged_engine) -> None:
    with client_for(judged_engine, "never") as client:
        _, csrf, claim_id = start(client)
        after = client.post(f"/review/{claim_id}", data=review_form(csrf))
        assert "/judge" not in str(after.url) and "JUDGE-REASON" not in after.text
        assert client.get(f"/review/{claim_id}/judge").status_code == 404
