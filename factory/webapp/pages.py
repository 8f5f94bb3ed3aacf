"""Rendering helpers shared by the app's routers."""

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from factory.webapp import auth


def render(request: Request, name: str, context: dict, *, status_code: int = 200) -> HTMLResponse:
    """A page with the signed-in reviewer, flash messages and the CSRF token in its context."""
    flashes = request.session.pop("flash", [])
    return request.app.state.templates.TemplateResponse(
        request,
        name,
        {"csrf": auth.csrf_token(request), "flashes": flashes, **context},
        status_code=status_code,
    )


def flash(request: Request, message: str, kind: str = "info") -> None:
    request.session.setdefault("flash", []).append({"kind": kind, "message": message})


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)
