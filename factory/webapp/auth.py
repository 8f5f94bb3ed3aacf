"""Passwords, the session secret, the signed-in reviewer, roles and CSRF tokens."""

import hmac
import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, HTTPException, Request
from sqlalchemy import Engine, bindparam
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select
from starlette.datastructures import FormData

from factory.models import Reviewer
from factory.settings import WEBAPP_SECRET_ENV, environment
from factory.vocab import Role

SECRET_ENV = WEBAPP_SECRET_ENV  # the variable that holds the session secret

SECRET_FILE = "webapp-secret"  # noqa: S105  (a file name)
CSRF_FIELD = "csrf_token"
SESSION_REVIEWER = "reviewer_id"
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


# Looked up on every request: a prebuilt Core statement on one pooled connection costs a
# fraction of an ORM session's CPU. (SQLAlchemy's select: SQLModel's is typed for four columns.)
_SIGNED_IN = core_select(
    col(Reviewer.id),
    col(Reviewer.username),
    col(Reviewer.display_name),
    col(Reviewer.role),
    col(Reviewer.languages),
    col(Reviewer.active),
).where(col(Reviewer.id) == bindparam("reviewer_id"))


def current_reviewer(request: Request) -> SignedIn:
    reviewer_id = request.session.get(SESSION_REVIEWER)
    if reviewer_id is None:
        raise LoginRequired
    with request.app.state.engine.connect() as connection:
        row = connection.execute(_SIGNED_IN, {"reviewer_id": reviewer_id}).first()
    if row is None or not row.active:
        request.session.clear()
        raise LoginRequired
    return SignedIn(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=row.role,
        languages=tuple(row.languages or ()),
    )


def require_role(*roles: Role) -> Callable[[SignedIn], SignedIn]:
    allowed = frozenset(roles)

    def check(reviewer: SignedIn = Depends(current_reviewer)) -> SignedIn:  # noqa: B008
        if reviewer.role not in allowed:
            raise HTTPException(status_code=403, detail=f"this page needs role {sorted(allowed)}")
        return reviewer

    return check
