"""The reviewer web app: FastAPI, server-rendered Jinja2 pages, a little JavaScript.

`create_app()` builds the app on the factory database (FACTORY_DATABASE_URL or the embedded
SQLite). Every POST carries the session's CSRF token; every write checks who is writing.
"""

from datetime import timedelta
from pathlib import Path

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from sqlalchemy import Engine
from starlette.datastructures import MutableHeaders
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from factory.db import open_database
from factory.settings import FactoryConfig, load_config
from factory.vocab import DIMENSIONS, PREFERENCE_LABELS
from factory.webapp import admin, auth, review
from factory.webapp.rendering import RUBRIC, pygments_css
from factory.webapp.throttle import SignInThrottle

HERE = Path(__file__).parent
SESSION_COOKIE = "factory_review"
SESSION_MAX_AGE = int(timedelta(hours=12).total_seconds())
SECURITY_HEADERS = {
    # No inline scripts or styles at all: a payload that slipped through escaping stays inert.
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every HTTP response. Plain ASGI: Starlette's
    BaseHTTPMiddleware costs an extra task and stream per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(SECURITY_HEADERS)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def build_templates() -> Jinja2Templates:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True)
    env.globals.update(
        DIMENSIONS=[d.value for d in DIMENSIONS],
        PREFERENCE_LABELS=PREFERENCE_LABELS,
        RUBRIC=RUBRIC,
    )
    return Jinja2Templates(env=env)


def create_app(
    engine: Engine | None = None,
    *,
    config: FactoryConfig | None = None,
    secret: str | None = None,
    secure_cookies: bool = False,
) -> FastAPI:
    """The app on `engine` (default: the factory database, migrated to head)."""
    if engine is None:
        engine = open_database()
    app = FastAPI(
        title="Factory review",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(auth.csrf_protect)],
    )
    app.state.engine = engine
    app.state.config = config or load_config()
    app.state.templates = build_templates()
    app.state.sign_in_throttle = SignInThrottle()
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret or auth.session_secret(),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        same_site="strict",
        https_only=secure_cookies,
    )

    app.add_middleware(SecurityHeaders)

    @app.exception_handler(auth.LoginRequired)
    async def to_login(request: Request, _exc: auth.LoginRequired) -> Response:
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(HTTPException)
    async def error_page(request: Request, exc: HTTPException) -> Response:
        return app.state.templates.TemplateResponse(
            request,
            "error.html",
            {"status": exc.status_code, "detail": exc.detail, "csrf": auth.csrf_token(request)},
            status_code=exc.status_code,
        )

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/static-gen/pygments.css", include_in_schema=False)
    def pygments_stylesheet() -> Response:
        return PlainTextResponse(pygments_css(), media_type="text/css")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    app.include_router(review.router)
    app.include_router(admin.router)
    return app
