"""The sign-off page: seniors and admins see batches whose reviews are in, with progress,
agreement summary and open adjudications; they sign off with a required note, or revoke; the
sign-off is recorded with who and when. On SQLite and PostgreSQL."""

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from review_builders import csrf_of, login
from signoff_builders import reviewed_web_batch
from sqlalchemy import Engine
from sqlmodel import Session, select

from factory.models import BatchSignOff, Reviewer
from factory.settings import AgreementSettings, FactoryConfig
from factory.webapp.app import create_app


def app_client(engine: Engine) -> TestClient:
    config = FactoryConfig(agreement=AgreementSettings(bootstrap_samples=20))
    return TestClient(create_app(engine, config=config, secret="s" * 40))


@pytest.fixture
def settled(engine: Engine) -> Iterator[tuple[TestClient, str]]:
    batch = reviewed_web_batch(engine)
    with app_client(engine) as client:
        yield client, batch


def test_only_seniors_and_admins_reach_the_page(settled) -> None:
    client, _ = settled
    login(client, "alice")
    assert client.get("/signoff").status_code == 403
    login(client, "ada")
    assert client.get("/signoff").status_code == 200


def test_a_senior_signs_off_with_a_note_and_can_revoke(settled, engine) -> None:
    client, batch = settled
    login(client, "sam")
    page = client.get("/signoff").text
    assert f'data-batch="{batch}"' in page and "awaiting sign-off" in page
    assert re.search(r'class="progress-figure">3/3<', page)
    assert re.search(r'class="open-adjudications">0<', page)
    assert "figure(s) judged" in page  # the agreement summary
    csrf = csrf_of(page)
    refused = client.post(f"/signoff/{batch}", data={"csrf_token": csrf, "note": "  "})
    assert refused.status_code == 400 and "needs a note" in refused.text
    done = client.post(f"/signoff/{batch}", data={"csrf_token": csrf, "note": "kappa fine"})
    assert done.status_code == 200 and f"Batch {batch} signed off" in done.text
    assert "Signed off by" in done.text and "kappa fine" in done.text
    with Session(engine) as session:
        (row,) = session.exec(select(BatchSignOff)).all()
        signer = session.get(Reviewer, row.reviewer_id)
    assert (signer.username, row.note, row.simulated) == ("sam", "kappa fine", False)
    assert row.created_at is not None and row.revoked_at is None

    revoked = client.post(
        f"/signoff/{batch}/revoke", data={"csrf_token": csrf, "reason": "gold set was wrong"}
    )
    assert "revoked" in revoked.text and "awaiting sign-off" in revoked.text
    with Session(engine) as session:
        (row,) = session.exec(select(BatchSignOff)).all()
    assert row.revoke_reason == "gold set was wrong"


def test_open_adjudications_are_shown_and_block_the_sign_off(engine) -> None:
    batch = reviewed_web_batch(engine, adjudication=1)
    with app_client(engine) as client:
        login(client, "sam")
        page = client.get("/signoff").text
        assert re.search(r'class="open-adjudications">1<', page)
        assert "Settle 1 open adjudication(s) first" in page and "signoff-form" not in page
        response = client.post(f"/signoff/{batch}", data={"csrf_token": csrf_of(page), "note": "x"})
        assert response.status_code == 400 and "awaiting adjudication" in response.text
        unknown = client.post("/signoff/nope", data={"csrf_token": csrf_of(page), "note": "x"})
        assert unknown.status_code == 404 and "batch nope does not exist" in unknown.text
    with Session(engine) as session:
        assert session.exec(select(BatchSignOff)).first() is None
