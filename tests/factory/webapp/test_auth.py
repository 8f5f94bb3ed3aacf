"""The session secret every app worker signs cookies with."""

import multiprocessing
import os
import signal
import stat

from factory.webapp import auth


def _secret_in(home: str) -> str:
    os.environ["FACTORY_HOME"] = home
    os.environ.pop(auth.SECRET_ENV, None)
    return auth.session_secret()


def test_workers_starting_together_share_one_complete_secret(tmp_path) -> None:
    context = multiprocessing.get_context("fork")
    # The workers are forks of this test process, which may carry a SIGTERM handler an earlier
    # test installed; the pool stops its workers with SIGTERM, so they must die of it.
    reset = (signal.SIGTERM, signal.SIG_DFL)
    with context.Pool(6, initializer=signal.signal, initargs=reset) as pool:
        secrets = pool.map(_secret_in, [str(tmp_path)] * 12)
    assert len(set(secrets)) == 1 and len(secrets[0]) >= 48
    secret_file = tmp_path / auth.SECRET_FILE
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [auth.SECRET_FILE]  # no candidates left
    assert _secret_in(str(tmp_path)) == secrets[0]  # and a restart keeps it


def test_the_environment_secret_wins(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("FACTORY_HOME", str(tmp_path))
    monkeypatch.setenv(auth.SECRET_ENV, "from-the-environment-" * 3)
    assert auth.session_secret() == "from-the-environment-" * 3
    assert not (tmp_path / auth.SECRET_FILE).exists()
