"""Server-side sessions: sign-out ends the session for every copy of its cookie (GET and POST),
sessions end when idle and at an absolute lifetime that use never extends, a deactivated
reviewer's session ends, and the database holds only token hashes. On SQLite and PostgreSQL."""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from review_builders import add_account, csrf_of, login, queue_batch
from sqlalchemy import Engine
from sqlmodel import Session, select

from factory.models import Reviewer, ReviewerSession, TaskClaim
from factory.models._base import utcnow
from factory.settings import FactoryConfig, ReviewSettings
from factory.webapp.app import SESSION_COOKIE, create_app

IDLE_MINUTES, MAX_HOURS = 30, 4


class Clock:
    """The app's clock, moved by the tests."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def web_engine(engine: Engine) -> Engine:
    queue_batch(engine)
    add_account(engine, "alice")
    return engine


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(web_engine: Engine, clock: Clock):  # type: ignore[no-untyped-def]
    review = ReviewSettings(session_idle_minutes=IDLE_MINUTES, session_max_hours=MAX_HOURS)
    return create_app(web_engine, config=FactoryConfig(review=review), secret="s" * 40, clock=clock)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as test_client:
        yield test_client


def signed_in(client: TestClient) -> str:
    """Signs alice in; returns a CSRF token of her session."""
    home = login(client, "alice")
    assert home.status_code == 200 and "Start reviewing" in home.text
    return csrf_of(home.text)


def sessions_of(engine: Engine) -> list[ReviewerSession]:
    with Session(engine) as session:
        return list(session.exec(select(ReviewerSession)).all())


def test_a_cookie_copied_before_sign_out_is_refused_afterwards(app, client, web_engine) -> None:
    csrf = signed_in(client)
    copied = client.cookies.get(SESSION_COOKIE)
    assert copied
    client.post("/logout", data={"csrf_token": csrf})
    (row,) = sessions_of(web_engine)
    assert row.ended_at is not None and row.end_reason == "signed_out"

    with TestClient(app, cookies={SESSION_COOKIE: copied}) as replay:
        page = replay.get("/", follow_redirects=False)
        assert (page.status_code, page.headers["location"]) == (303, "/login")
        # The copy still carries a valid CSRF token; the POST is refused for want of a session.
        posted = replay.post("/next", data={"csrf_token": csrf}, follow_redirects=False)
        assert (posted.status_code, posted.headers["location"]) == (303, "/login")
    with Session(web_engine) as session:
        assert session.exec(select(TaskClaim)).first() is None  # nothing was claimed


def test_a_session_is_refused_after_its_absolute_lifetime_however_busy(
    client, web_engine, clock
) -> None:
    signed_in(client)
    (row,) = sessions_of(web_engine)
    expires_at = row.expires_at
    assert expires_at - row.created_at == timedelta(hours=MAX_HOURS)
    for _ in range(MAX_HOURS * 4 - 1):  # a page every quarter hour, never idle
        clock.advance(minutes=15)
        assert client.get("/", follow_redirects=False).status_code == 200
    (row,) = sessions_of(web_engine)
    assert row.expires_at == expires_at  # use never extended it
    assert row.last_seen_at > row.created_at  # but it was seen
    clock.advance(minutes=15)
    refused = client.get("/", follow_redirects=False)
    assert (refused.status_code, refused.headers["location"]) == (303, "/login")
    (row,) = sessions_of(web_engine)
    assert row.end_reason == "expired"


def test_an_idle_session_ends_and_a_used_one_does_not(client, web_engine, clock) -> None:
    signed_in(client)
    clock.advance(minutes=IDLE_MINUTES - 5)
    assert client.get("/", follow_redirects=False).status_code == 200  # used: stays alive
    clock.advance(minutes=IDLE_MINUTES - 5)
    assert client.get("/", follow_redirects=False).status_code == 200
    clock.advance(minutes=IDLE_MINUTES + 1)
    assert client.get("/", follow_redirects=False).status_code == 303
    (row,) = sessions_of(web_engine)
    assert row.end_reason == "idle"
    # Signing in again starts a new session; the old one stays ended.
    signed_in(client)
    assert sorted(r.end_reason or "open" for r in sessions_of(web_engine)) == ["idle", "open"]


def test_a_deactivated_reviewers_session_ends(client, web_engine) -> None:
    signed_in(client)
    with Session(web_engine) as session:
        alice = session.exec(select(Reviewer).where(Reviewer.username == "alice")).one()
        alice.active = False
        session.add(alice)
        session.commit()
    assert client.get("/", follow_redirects=False).status_code == 303
    (row,) = sessions_of(web_engine)
    assert row.end_reason == "deactivated"


def test_the_database_keeps_token_hashes_only(client, web_engine) -> None:
    signed_in(client)
    signed_in(client)  # a second sign-in: a second session
    rows = sessions_of(web_engine)
    assert len(rows) == 2 and all(len(r.token_sha256) == 64 for r in rows)
    cookie = client.cookies.get(SESSION_COOKIE) or ""
    assert all(r.token_sha256 not in cookie for r in rows)


def test_the_cookie_stays_http_only_same_site_strict_and_secure_when_asked(web_engine) -> None:
    app = create_app(web_engine, config=FactoryConfig(), secret="s" * 40, secure_cookies=True)
    with TestClient(app, base_url="https://testserver") as client:
        response = login(client, "alice")
        cookie_header = response.history[0].headers["set-cookie"].lower()
    assert "httponly" in cookie_header and "samesite=strict" in cookie_header
    assert "secure" in cookie_header
    assert f"max-age={12 * 3600}" in cookie_header  # the default absolute lifetime
