"""The reviewer web app: FastAPI, server-rendered Jinja2 pages, a little JavaScript.

`create_app()` builds the app on the factory database (FACTORY_DATABASE_URL or the embedded
SQLite). Sessions are kept on the server (factory.webapp.sessions); every POST carries the
session's CSRF token; every write checks who is writing. Error pages say what happened in words:
no tracebacks, no internal names.
"""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from sqlalchemy import Engine
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from factory.db import open_database
from factory.settings import FactoryConfig, load_config
from factory.vocab import DIMENSIONS, PREFERENCE_LABELS
from factory.webapp import admin, auth, gold, hints, pools, review, signoff, work
from factory.webapp.pages import NOT_FOUND_DETAIL, SERVER_ERROR_DETAIL, error_page
from factory.webapp.rendering import RUBRIC, pygments_css
from factory.webapp.sessions import Clock, SessionPolicy, system_clock
from factory.webapp.throttle import SignInThrottle

HERE = Path(__file__).parent
SESSION_COOKIE = "factory_review"
log = logging.getLogger("factory.webapp")
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


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    work.close_work_sandbox(app)  # the sandbox that checks work, if the app opened one


def create_app(
    engine: Engine | None = None,
    *,
    config: FactoryConfig | None = None,
    secret: str | None = None,
    secure_cookies: bool = False,
    clock: Clock = system_clock,
) -> FastAPI:
    """The app on `engine` (default: the factory database, migrated to head); `clock` tells
    sessions the time (tests move it)."""
    if engine is None:
        engine = open_database()
    app = FastAPI(
        title="Factory review",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(auth.csrf_protect)],
        lifespan=_lifespan,
    )
    app.state.engine = engine
    app.state.config = config or load_config()
    app.state.templates = build_templates()
    app.state.sign_in_throttle = SignInThrottle()
    app.state.clock = clock
    app.state.work_sandbox = None  # opened on first use (webapp.work); tests may set their own
    policy = SessionPolicy.from_settings(app.state.config.review)
    app.state.session_policy = policy
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret or auth.session_secret(),
        session_cookie=SESSION_COOKIE,
        # The cookie outlives no session; whether a session is still valid is the server's call.
        max_age=int(policy.lifetime.total_seconds()),
        same_site="strict",
        https_only=secure_cookies,
    )

    app.add_middleware(SecurityHeaders)

    @app.exception_handler(auth.LoginRequired)
    async def to_login(request: Request, _exc: auth.LoginRequired) -> Response:
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        response = error_page(request, exc.status_code, exc.detail)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        # An id in the path that is not a whole number in range names no page: not found.
        if any(error.get("loc", ("",))[0] == "path" for error in exc.errors()):
            return error_page(request, 404, NOT_FOUND_DETAIL)
        return error_page(request, 400, "Some of the request's fields are missing or invalid.")

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_page(request, 500, SERVER_ERROR_DETAIL, session=False)

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
    app.include_router(hints.router)
    app.include_router(signoff.router)
    app.include_router(admin.router)
    app.include_router(gold.router)
    app.include_router(pools.router)
    app.include_router(work.router)
    return app
