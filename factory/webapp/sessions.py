"""Server-side reviewer sessions: started at sign-in, ended at sign-out, bounded in time.

The signed cookie carries a random session token (and the CSRF token); the database keeps the
token's SHA-256 with the session's state. A request is signed in only while its session row is
open, used within `review.session_idle_minutes`, and younger than `review.session_max_hours`
(the absolute lifetime set at sign-in, which use never extends). Signing out closes the row, so
a copy of the cookie taken before sign-out is refused, for GETs and POSTs alike.
"""

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, bindparam, delete, select, update
from sqlmodel import col

from factory.models import Reviewer, ReviewerSession
from factory.models._base import utcnow
from factory.settings import ReviewSettings

Clock = Callable[[], datetime]

# How stale `last_seen_at` may get before a request writes it again: a write per request would
# cost every page a database write; once a minute bounds the idle timeout's error to a minute.
TOUCH_EVERY = timedelta(seconds=60)
# Ended and expired rows are kept this long (for who-was-signed-in questions), then deleted.
KEEP_ENDED = timedelta(days=30)

SIGNED_OUT = "signed_out"
IDLE = "idle"
EXPIRED = "expired"
DEACTIVATED = "deactivated"


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    idle: timedelta
    lifetime: timedelta

    @classmethod
    def from_settings(cls, settings: ReviewSettings) -> "SessionPolicy":
        return cls(
            idle=timedelta(minutes=settings.session_idle_minutes),
            lifetime=timedelta(hours=settings.session_max_hours),
        )


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(engine: Engine, reviewer_id: int, policy: SessionPolicy, now: datetime) -> str:
    """A new session for the reviewer; returns the token the cookie carries (stored hashed)."""
    token = secrets.token_urlsafe(32)
    row = {
        "token_sha256": token_sha256(token),
        "reviewer_id": reviewer_id,
        "created_at": now,
        "last_seen_at": now,
        "expires_at": now + policy.lifetime,
    }
    with engine.begin() as connection:
        connection.execute(ReviewerSession.__table__.insert(), row)  # type: ignore[attr-defined]
        # Sign-ins are rare next to page views: a good moment to drop long-dead rows.
        connection.execute(
            delete(ReviewerSession).where(col(ReviewerSession.expires_at) < now - KEEP_ENDED)
        )
    return token


def end_session(engine: Engine, token: str, now: datetime, reason: str = SIGNED_OUT) -> bool:
    """Closes the session with this token; False when it was already closed or never existed."""
    with engine.begin() as connection:
        result = connection.execute(
            update(ReviewerSession)
            .where(
                col(ReviewerSession.token_sha256) == token_sha256(token),
                col(ReviewerSession.ended_at).is_(None),
            )
            .values(ended_at=now, end_reason=reason)
        )
    return bool(result.rowcount)


@dataclass(frozen=True, slots=True)
class LiveSession:
    """The reviewer behind a valid session, as the pages need them."""

    reviewer_id: int
    username: str
    display_name: str
    role: str
    languages: tuple[str, ...]


# Looked up on every request: one prebuilt Core statement joining the session to its reviewer.
_LOOKUP = (
    select(
        col(ReviewerSession.last_seen_at),
        col(ReviewerSession.expires_at),
        col(ReviewerSession.ended_at),
        col(Reviewer.id),
        col(Reviewer.username),
        col(Reviewer.display_name),
        col(Reviewer.role),
        col(Reviewer.languages),
        col(Reviewer.active),
    )
    .join(Reviewer, col(Reviewer.id) == col(ReviewerSession.reviewer_id))
    .where(col(ReviewerSession.token_sha256) == bindparam("token"))
)
_TOUCH = (
    update(ReviewerSession)
    .where(
        and_(
            col(ReviewerSession.token_sha256) == bindparam("token"),
            col(ReviewerSession.ended_at).is_(None),
        )
    )
    .values(last_seen_at=bindparam("now"))
)


def live_session(
    engine: Engine, token: str, policy: SessionPolicy, now: datetime
) -> LiveSession | None:
    """The session's reviewer if the session is open, recently used and not past its lifetime;
    else None (and a session found idle, expired or deactivated is closed with that reason)."""
    hashed = token_sha256(token)
    with engine.connect() as connection:
        row = connection.execute(_LOOKUP, {"token": hashed}).first()
    if row is None or row.ended_at is not None:
        return None
    reason = None
    if now >= row.expires_at:
        reason = EXPIRED
    elif now - row.last_seen_at >= policy.idle:
        reason = IDLE
    elif not row.active:
        reason = DEACTIVATED
    if reason is not None:
        end_session(engine, token, now, reason)
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        with engine.begin() as connection:
            connection.execute(_TOUCH, {"token": hashed, "now": now})
    return LiveSession(
        reviewer_id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=row.role,
        languages=tuple(row.languages or ()),
    )


def system_clock() -> datetime:
    return utcnow()
