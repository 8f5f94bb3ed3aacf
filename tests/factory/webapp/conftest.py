"""Fixtures for the reviewer app: accounts, a queued batch with a hostile candidate, a client,
and the app served by uvicorn on 127.0.0.1 for the browser."""

import socket
import threading
import time
from collections.abc import Iterator

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
