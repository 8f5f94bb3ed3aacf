"""The reviewer app over HTTP: sign-in, CSRF on every POST, role checks, claims owned by their
reviewer, blind and escaped rendering, the displayed order mapped back to canonical A/B,
refused reviews re-shown with the reason, skips, adjudication and the admin batch page."""

import re

import pytest
from fastapi.testclient import TestClient
from review_builders import PASSWORD, SECRET_MODEL, XSS, csrf_of, login
from sqlmodel import Session, select

from factory.models import Annotation, ReviewTask, TaskClaim
from factory.vocab import DIMENSIONS


def start(client: TestClient, username: str = "alice"):  # type: ignore[no-untyped-def]
    home = login(client, username)
    assert home.status_code == 200 and "Start reviewing" in home.text
    csrf = csrf_of(home.text)
    page = client.post("/next", data={"csrf_token": csrf})
    assert page.status_code == 200 and "/review/" in str(page.url)
    return page, csrf, int(str(page.url).rsplit("/", 1)[1])


def review_form(csrf: str, preference: int = -2, rationale: str = "A is clearer") -> dict:
    form = {"csrf_token": csrf, "preference": str(preference), "rationale": rationale}
    for side, score in (("left", 5), ("right", 2)):
        for d in DIMENSIONS:
            form[f"score-{side}-{d.value}"] = str(score)
    return form


def test_pages_need_a_signed_in_reviewer(client):
    for path in ("/", "/review/1", "/admin", "/adjudication"):
        response = client.get(path, follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, "/login")


def test_wrong_password_is_refused(client):
    response = login(client, "alice", "not the password")
    assert response.status_code == 401 and "wrong password" in response.text


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_every_post_needs_the_sessions_csrf_token(client, token):
    login(client, "alice")
    data = {} if token is None else {"csrf_token": token}
    assert client.post("/next", data=data).status_code == 403
    assert (
        client.post("/login", data={"username": "alice", "password": PASSWORD}).status_code == 403
    )


def test_review_page_is_blind_escaped_and_submits_in_canonical_order(client, app_engine):
    page, csrf, claim_id = start(client)
    assert SECRET_MODEL not in page.text and "other-model" not in page.text
    assert "<script>window.__pwned" not in page.text  # escaped everywhere
    assert "&lt;script&gt;window.__pwned" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    submitted = client.post(f"/review/{claim_id}", data=review_form(csrf, -2))
    assert "Review " in submitted.text and " saved." in submitted.text
    with Session(app_engine) as session:
        claim = session.get(TaskClaim, claim_id)
        annotation = session.exec(select(Annotation)).one()
        task = session.get(ReviewTask, claim.task_id)
    assert claim.status == "submitted"
    # The page's "A better" (-2) favours the left candidate, whichever canonical side it is.
    assert annotation.preference == (2 if claim.swapped else -2)
    assert task.review_count == 1 and task.status == "complete"


def test_a_refused_review_keeps_the_reviewers_input_and_says_why(client):
    _, csrf, claim_id = start(client)
    form = review_form(csrf, rationale="   ")
    response = client.post(f"/review/{claim_id}", data=form)
    assert response.status_code == 400
    assert "a rationale is required" in response.text
    assert re.search(r'name="score-left-style" value="5" checked', response.text)
    form.pop("score-right-security")
    form["rationale"] = "ok"
    response = client.post(f"/review/{claim_id}", data=form)
    assert response.status_code == 400 and "the security score of B is missing" in response.text


def test_nobody_opens_or_submits_someone_elses_claim(client, app_engine):
    _, _, claim_id = start(client, "alice")
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/").text)})
    home = login(client, "bob")
    csrf = csrf_of(home.text)
    assert client.get(f"/review/{claim_id}").status_code == 404
    assert client.post(f"/review/{claim_id}", data=review_form(csrf)).status_code == 404
    with Session(app_engine) as session:
        assert session.exec(select(Annotation)).first() is None


def test_skip_needs_a_reason_and_moves_on(client, app_engine):
    page, csrf, claim_id = start(client)
    refused = client.post(f"/review/{claim_id}/skip", data={"csrf_token": csrf, "reason": ""})
    assert refused.status_code == 400 and "needs a reason" in refused.text
    moved = client.post(
        f"/review/{claim_id}/skip",
        data={"csrf_token": csrf, "reason": "Outside my expertise", "detail": "numpy"},
    )
    assert f"/review/{claim_id}" not in str(moved.url)
    with Session(app_engine) as session:
        claim = session.get(TaskClaim, claim_id)
    assert claim.skip_reason == "Outside my expertise: numpy"


@pytest.mark.parametrize(
    ("username", "path", "status"),
    [
        ("alice", "/admin", 403),
        ("alice", "/adjudication", 403),
        ("sam", "/adjudication", 200),
        ("sam", "/admin", 403),
        ("ada", "/admin", 200),
        ("ada", "/admin/batch/batch-web", 200),
    ],
)
def test_roles_guard_pages(client, username, path, status):
    login(client, username)
    assert client.get(path).status_code == status


def test_admin_batch_page_shows_progress_and_reviewer_counts(client):
    _, csrf, claim_id = start(client, "alice")
    client.post(f"/review/{claim_id}", data={**review_form(csrf), "advance": "0"})
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/").text)})
    login(client, "ada")
    page = client.get("/admin/batch/batch-web").text
    assert re.search(r'id="reviews">1/3<', page)
    assert re.search(r"<td>alice</td>\s*<td>1</td>", page)


def test_a_senior_adjudicates_a_disputed_task(client, app_engine):
    with Session(app_engine) as session:
        task = session.exec(select(ReviewTask)).first()
        task.status = "adjudication"
        session.add(task)
        session.commit()
        task_id = task.id
    login(client, "alice")
    csrf = csrf_of(client.get("/").text)
    denied = client.post(
        f"/adjudication/{task_id}", data={"csrf_token": csrf, "preference": "1", "rationale": "x"}
    )
    assert denied.status_code == 403
    client.post("/logout", data={"csrf_token": csrf})
    login(client, "sam")
    csrf = csrf_of(client.get(f"/adjudication/{task_id}").text)
    done = client.post(
        f"/adjudication/{task_id}",
        data={"csrf_token": csrf, "preference": "1", "rationale": "B handles negatives"},
    )
    assert done.status_code == 200 and f"Task {task_id} adjudicated" in done.text
    with Session(app_engine) as session:
        assert session.get(ReviewTask, task_id).status == "adjudicated"


def test_a_senior_overrides_the_safety_veto_only_with_a_reason(client, app_engine):
    from factory.models import Adjudication

    with Session(app_engine) as session:
        task = session.exec(select(ReviewTask)).first()
        task.status = "adjudication"
        session.add(task)
        session.commit()
        task_id = task.id
    login(client, "sam")
    page = client.get(f"/adjudication/{task_id}").text
    assert 'name="override_veto"' in page and 'name="override_reason"' in page
    csrf = csrf_of(page)
    decision = {"csrf_token": csrf, "preference": "2", "rationale": "B is right"}
    refused = client.post(f"/adjudication/{task_id}", data={**decision, "override_veto": "on"})
    assert refused.status_code == 400 and "override" in refused.text.lower()
    done = client.post(
        f"/adjudication/{task_id}",
        data={
            **decision,
            "override_veto": "on",
            "override_reason": "the shell call only ever sees a constant string",
        },
    )
    assert done.status_code == 200 and f"Task {task_id} adjudicated" in done.text
    with Session(app_engine) as session:
        row = session.exec(select(Adjudication).where(Adjudication.task_id == task_id)).one()
        assert row.override_veto and "constant string" in row.override_reason


def test_hostile_text_in_findings_is_escaped(client):
    page, _, _ = start(client)
    assert XSS not in page.text
