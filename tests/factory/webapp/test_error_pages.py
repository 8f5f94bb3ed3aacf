"""Error pages: any path id (of any size, or not a number) is a clean 404 page, unknown pages
and batches too; errors speak in words, never enum names or tracebacks. On both databases."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from review_builders import add_account, csrf_of, login, queue_batch
from sqlalchemy import Engine

from factory.settings import FactoryConfig
from factory.webapp.app import create_app

HUGE = "1" + "0" * 24  # a 25-digit id
IDS = [HUGE, "9223372036854775808", "2147483648", "0", "-1", "abc", "1.5", "%00"]
INTERNAL = ("Traceback", "Role.", "<Role", "ClaimStatus", "TaskStatus", "detail", "{")


@pytest.fixture
def web_client(engine: Engine) -> Iterator[TestClient]:
    queue_batch(engine)
    for name, role in (("alice", "reviewer"), ("sam", "senior"), ("ada", "admin")):
        add_account(engine, name, role=role)
    app = create_app(engine, config=FactoryConfig(), secret="s" * 40)
    with TestClient(app) as client:
        yield client


def assert_clean(response, status: int, *phrases: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    main = response.text.split("<main", 1)[1]
    for word in INTERNAL:
        assert word not in main, word
    for phrase in phrases:
        assert phrase in response.text


@pytest.mark.parametrize("raw", IDS)
def test_any_claim_id_is_a_clean_not_found(web_client, raw) -> None:
    login(web_client, "alice")
    assert_clean(web_client.get(f"/review/{raw}"), 404, "Page not found")
    assert_clean(web_client.get(f"/review/{raw}/judge"), 404, "Page not found")


def test_ids_of_any_size_on_every_id_page(web_client) -> None:
    login(web_client, "sam")
    assert_clean(web_client.get(f"/adjudication/{HUGE}"), 404, "Page not found")
    csrf = csrf_of(web_client.get("/").text)
    for path in (f"/review/{HUGE}", f"/review/{HUGE}/skip", f"/adjudication/{HUGE}"):
        assert_clean(web_client.post(path, data={"csrf_token": csrf}), 404, "Page not found")
    # In range but no such row: still a page that says so, from the route itself.
    assert_clean(web_client.get("/review/2147483647"), 404, "is not one of yours")


def test_unknown_batches_and_pages_are_not_found(web_client) -> None:
    login(web_client, "ada")
    assert_clean(web_client.get("/admin/batch/no-such-batch"), 404, "There is no batch")
    assert_clean(web_client.get("/admin/batch/" + "x" * 5000), 404, "There is no batch")
    assert_clean(web_client.get("/no/such/page"), 404, "There is no page at this address")
    assert_clean(web_client.get("/logout"), 405, "Not allowed here")


def test_a_refused_role_is_said_in_words(web_client) -> None:
    login(web_client, "alice")
    assert_clean(
        web_client.get("/adjudication"), 403, "This page is for senior reviewers and admins only."
    )
    assert_clean(web_client.get("/admin"), 403, "This page is for admins only.")


def test_an_unexpected_error_is_a_page_without_a_traceback(engine: Engine) -> None:
    app = create_app(engine, config=FactoryConfig(), secret="s" * 40)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("internal detail: do not show")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert_clean(response, 500, "Something went wrong")
    assert "internal detail" not in response.text and "RuntimeError" not in response.text
