"""A senior calibrator's sign-off of a reviewed batch: the gate before packaging.

A sign-off records who signed, when, their note, and the batch's review state at that moment
(`review_marker`, see factory.review.completion), so a batch that gains reviews afterwards needs
signing off again. It is revoked, never deleted: the record of who signed what stays.
"""

from datetime import datetime

from sqlmodel import Field, SQLModel

from factory.models._base import created_at_field, text_field


class BatchSignOff(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    batch_id: str = Field(foreign_key="batch.id", index=True, max_length=200)
    reviewer_id: int = Field(foreign_key="reviewer.id", index=True)
    note: str = text_field()
    simulated: bool = False  # signed by the simulated calibrator of a demonstration
    review_marker: str = Field(max_length=100)  # the batch's completion marker when signed
    tasks: int = 0  # review tasks in the batch when signed
    created_at: datetime = created_at_field()
    revoked_at: datetime | None = None
    revoked_by: int | None = Field(default=None, foreign_key="reviewer.id")
    revoke_reason: str = text_field()
