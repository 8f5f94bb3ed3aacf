"""Reviewer web-app sessions, kept on the server so that signing out ends them for good.

The browser's cookie holds a random token; only its SHA-256 is stored, so a copy of this table
signs nobody in. A session is valid until it is ended (signed out, or its reviewer deactivated),
until it has been idle for `review.session_idle_minutes`, or until `expires_at`, the absolute
lifetime fixed at sign-in that no amount of use extends.
"""

from datetime import datetime

from sqlmodel import Field, SQLModel

from factory.models._base import created_at_field


class ReviewerSession(SQLModel, table=True):
    token_sha256: str = Field(primary_key=True, max_length=64)
    reviewer_id: int = Field(foreign_key="reviewer.id", index=True)
    created_at: datetime = created_at_field()
    last_seen_at: datetime
    expires_at: datetime = Field(index=True)  # absolute: sign-in + review.session_max_hours
    ended_at: datetime | None = None
    end_reason: str | None = Field(default=None, max_length=20)  # signed_out | ended_by_admin
