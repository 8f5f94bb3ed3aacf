"""Rendering helpers shared by the app's routers: pages, flashes, redirects, error pages, and
the type of a row id in a path."""

from typing import Annotated

from fastapi import Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from factory.webapp import auth

# Row ids are INTEGER primary keys (32-bit on PostgreSQL): a larger id names no row, so it is
# refused as "not found" before any query, instead of overflowing the database driver.
MAX_ROW_ID = 2**31 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]

# What each error page says, in words, whatever the code behind it raised.
ERROR_TITLES = {
    400: "That request could not be used",
    401: "Please sign in",
    403: "Not allowed",
    404: "Page not found",
    405: "Not allowed here",
    409: "Already done",
    429: "Too many attempts",
    500: "Something went wrong",
}
# Details the framework itself produces, replaced by sentences a reviewer can act on.
FRAMEWORK_DETAILS = {
    "Not Found": "There is no page at this address. It may have been moved, or the link is "
    "mistyped.",
    "Method Not Allowed": "This address cannot be used that way; go back and use the page's "
    "buttons.",
}
NOT_FOUND_DETAIL = FRAMEWORK_DETAILS["Not Found"]
SERVER_ERROR_DETAIL = (
    "The app could not finish this request. Nothing you entered was lost if it was already "
    "saved; try again, and tell an admin if it keeps happening."
)


def render(request: Request, name: str, context: dict, *, status_code: int = 200) -> HTMLResponse:
    """A page with the signed-in reviewer, flash messages and the CSRF token in its context."""
    flashes = request.session.pop("flash", [])
    return request.app.state.templates.TemplateResponse(
        request,
        name,
        {"csrf": auth.csrf_token(request), "flashes": flashes, **context},
        status_code=status_code,
    )


def error_page(
    request: Request, status: int, detail: str | None, *, session: bool = True
) -> HTMLResponse:
    """The error page: a title in words and a detail sentence, never a traceback.

    `session=False` renders without touching the session (for failures outside it)."""
    text = FRAMEWORK_DETAILS.get(detail or "", detail) or ""
    context = {
        "status": status,
        "title": ERROR_TITLES.get(status, "Something went wrong"),
        "detail": text,
        "user": None,
        "flashes": [],
        "csrf": auth.csrf_token(request) if session else "",
    }
    return request.app.state.templates.TemplateResponse(
        request, "error.html", context, status_code=status
    )


def flash(request: Request, message: str, kind: str = "info") -> None:
    request.session.setdefault("flash", []).append({"kind": kind, "message": message})


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)
