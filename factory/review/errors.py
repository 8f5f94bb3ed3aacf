"""Errors a reviewer or an operator can act on, each naming the record and the reason."""

from factory.errors import FactoryUserError


class ReviewError(FactoryUserError):
    """A review action was refused (bad input, wrong state)."""


class NotYoursError(ReviewError):
    """The claim or task belongs to someone else, or the role does not allow the action."""


class LeaseExpiredError(ReviewError):
    """The claim's lease ran out and its slot went back to the queue."""
