"""Fixtures for the reviewer app: accounts, a queued batch with a hostile candidate, a client,
and the app served by uvicorn on 127.0.0.1 for the browser."""

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from review_builders import add_account, queue_batch
from sqlalchemy import Engine

from factory.settings import FactoryConfig
from factory.webapp.app import create_app


@pytest.fixture
def app_engine(sqlite_engine: Engine) -> Engine:
    queue_batch(sqlite_engine)
    add_account(sqlite_engine, "alice")
    add_account(sqlite_engine, "bob")
    add_account(sqlite_engine, "sam", role="senior")
    add_account(sqlite_engine, "ada", role="admin")
    return sqlite_engine


@pytest.fixture
def client(app_engine: Engine) -> Iterator[TestClient]:
    app = create_app(app_engine, config=FactoryConfig(), secret="s" * 40)
    with TestClient(app) as test_client:
        yield test_client


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_server(app_engine: Engine) -> Iterator[str]:
    """The app under uvicorn on 127.0.0.1 in a background thread; yields its base URL."""
    app = create_app(app_engine, config=FactoryConfig(), secret="s" * 40)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the app did not start within 10 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture
def page(live_server: str) -> Iterator:  # type: ignore[type-arg]
    """Debian's Chromium, driven by Playwright, on the live app's home page."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing; scripts/setup.sh installs Debian's chromium")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1500, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(live_server + "/")
        yield page
        context.close()
        browser.close()
