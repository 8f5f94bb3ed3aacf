"""The demo signs its batch off as the simulated calibrator, loudly and marked simulated, and a
rerun keeps the sign-off it made."""

import pytest
from signoff_builders import reviewed_web_batch
from sqlalchemy import Engine
from sqlmodel import Session, select

from commands.demo import sign_off_simulated
from commands.demo_progress import Reporter
from factory.models import BatchSignOff


def test_the_demo_signs_off_as_a_simulated_calibrator(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = sqlite_engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("FACTORY_DATABASE_URL", url)
    batch = reviewed_web_batch(sqlite_engine)
    assert sign_off_simulated(batch, Reporter())
    out = capsys.readouterr().out
    assert "SIMULATED SIGN-OFF" in out and "signed off by sim-senior" in out
    assert "marked simulated" in out
    assert sign_off_simulated(batch, Reporter())
    assert "already signed off by sim-senior" in capsys.readouterr().out
    with Session(sqlite_engine) as session:
        (row,) = session.exec(select(BatchSignOff)).all()
    assert row.simulated and row.note.startswith("[simulated]")


def test_the_demo_stops_when_the_batch_cannot_be_signed_off(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FACTORY_DATABASE_URL", sqlite_engine.url.render_as_string(False))
    batch = reviewed_web_batch(sqlite_engine, adjudication=1)
    assert not sign_off_simulated(batch, Reporter())
    assert "sign-off refused" in capsys.readouterr().out
