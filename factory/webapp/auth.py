"""Passwords, the session secret, signing in and out, the signed-in reviewer, roles and CSRF
tokens. Sessions themselves are kept on the server (factory.webapp.sessions)."""

import hmac
import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, HTTPException, Request
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.datastructures import FormData

from factory.models import Reviewer
from factory.settings import WEBAPP_SECRET_ENV, environment
from factory.vocab import Role
from factory.webapp import sessions

SECRET_ENV = WEBAPP_SECRET_ENV  # the variable that holds the session secret

SECRET_FILE = "webapp-secret"  # noqa: S105  (a file name)
CSRF_FIELD = "csrf_token"
SESSION_TOKEN = "session"  # noqa: S105  (the cookie key of the server-side session token)
SESSION_CSRF = "csrf"

_hasher = PasswordHasher()
# Verified against when the username is unknown, so both failures take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise ValueError("a password needs at least 8 characters")
    return _hasher.hash(password)


# A verification takes about a quarter of a CPU-second (by design) on four threads. Bounding how
# many run at once makes a burst of sign-ins queue instead of starving the reviewers' requests.
_VERIFYING = threading.BoundedSemaphore(max(1, (os.cpu_count() or 2) // 2))


def verify_password(password_hash: str, password: str) -> bool:
    with _VERIFYING:
        try:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
        except (VerificationError, InvalidHashError):
            return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def session_secret() -> str:
    """FACTORY_WEBAPP_SECRET, else a random secret kept (mode 600) under the factory home."""
    env = environment()
    if env.webapp_secret:
        return env.webapp_secret
    path = env.home / SECRET_FILE
    if not path.exists():
        # Several app workers may start at once: each writes a candidate file and links it into
        # place, which only the first can do, so all of them read the same complete secret.
        path.parent.mkdir(parents=True, exist_ok=True)
        candidate = path.with_name(f".{SECRET_FILE}.{os.getpid()}")
        fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        try:
            os.link(candidate, path)
        except FileExistsError:
            pass
        finally:
            candidate.unlink()
    return path.read_text().strip()


def authenticate(engine: Engine, username: str, password: str) -> Reviewer | None:
    """The active, non-simulated reviewer with these credentials, or None."""
    with Session(engine, expire_on_commit=False) as session:
        reviewer = session.exec(select(Reviewer).where(Reviewer.username == username)).first()
        stored = reviewer.password_hash if reviewer else ""
        if not verify_password(stored, password) or reviewer is None or not reviewer.active:
            return None
        if needs_rehash(stored):
            reviewer.password_hash = _hasher.hash(password)
            session.add(reviewer)
            session.commit()
        return reviewer


def csrf_token(request: Request) -> str:
    """This session's CSRF token, created on first use."""
    token = request.session.get(SESSION_CSRF)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return token


async def checked_form(request: Request) -> FormData:
    """The POSTed form, after checking its CSRF token against the session's."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    expected = request.session.get(SESSION_CSRF)
    if not isinstance(sent, str) or not expected or not hmac.compare_digest(sent, expected):
        raise HTTPException(status_code=403, detail="invalid or missing CSRF token; reload")
    return form


async def csrf_protect(request: Request) -> None:
    """App-wide: every POST carries this session's CSRF token."""
    if request.method == "POST":
        await checked_form(request)


class LoginRequired(Exception):
    """Raised by dependencies when nobody is signed in; answered with a redirect to /login."""


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The signed-in reviewer as the pages need them: no password hash, no ORM state."""

    id: int
    username: str
    display_name: str
    role: str
    languages: tuple[str, ...]


def _now(request: Request) -> datetime:
    clock: sessions.Clock = request.app.state.clock
    return clock()


def sign_in(request: Request, reviewer_id: int) -> None:
    """A fresh server-side session (and CSRF token) for the reviewer: a cookie planted before
    sign-in is worth nothing, and signing out ends this session for every copy of the cookie."""
    request.session.clear()
    token = sessions.start_session(
        request.app.state.engine, reviewer_id, request.app.state.session_policy, _now(request)
    )
    request.session[SESSION_TOKEN] = token
    request.session[SESSION_CSRF] = secrets.token_urlsafe(32)


def sign_out(request: Request) -> None:
    token = request.session.get(SESSION_TOKEN)
    if isinstance(token, str):
        sessions.end_session(request.app.state.engine, token, _now(request))
    request.session.clear()


def current_reviewer(request: Request) -> SignedIn:
    token = request.session.get(SESSION_TOKEN)
    if not isinstance(token, str):
        raise LoginRequired
    live = sessions.live_session(
        request.app.state.engine, token, request.app.state.session_policy, _now(request)
    )
    if live is None:
        request.session.clear()
        raise LoginRequired
    return SignedIn(
        id=live.reviewer_id,
        username=live.username,
        display_name=live.display_name,
        role=live.role,
        languages=live.languages,
    )


ROLE_NAMES = {Role.REVIEWER: "reviewers", Role.SENIOR: "senior reviewers", Role.ADMIN: "admins"}


def require_role(*roles: Role) -> Callable[[SignedIn], SignedIn]:
    allowed = frozenset(roles)

    def check(reviewer: SignedIn = Depends(current_reviewer)) -> SignedIn:  # noqa: B008
        if reviewer.role not in allowed:
            who = " and ".join(ROLE_NAMES[role] for role in roles)
            raise HTTPException(status_code=403, detail=f"This page is for {who} only.")
        return reviewer

    return check
