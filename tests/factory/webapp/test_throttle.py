"""Sign-in throttling: failures per account and per address, the window, and the HTTP answer."""

from review_builders import PASSWORD, login

from factory.webapp.throttle import SignInThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_account_is_refused_after_its_failures_until_the_window_passes() -> None:
    clock = Clock()
    throttle = SignInThrottle(per_account=3, per_address=100, window_s=60, clock=clock)
    for _ in range(3):
        assert throttle.retry_after("Alice", "10.0.0.1") == 0
        throttle.failed("Alice", "10.0.0.1")
    assert throttle.retry_after("alice", "10.0.0.9") == 61  # same account, any address
    assert throttle.retry_after("bob", "10.0.0.1") == 0  # the address is under its own limit
    clock.now += 30
    assert throttle.retry_after("alice", None) == 31
    clock.now += 31
    assert throttle.retry_after("alice", None) == 0


def test_an_address_spraying_usernames_is_refused() -> None:
    throttle = SignInThrottle(per_account=3, per_address=5, window_s=60, clock=Clock())
    for n in range(5):
        throttle.failed(f"user{n}", "10.0.0.1")
    assert throttle.retry_after("somebody-else", "10.0.0.1") > 0
    assert throttle.retry_after("somebody-else", "10.0.0.2") == 0


def test_success_clears_the_accounts_failures() -> None:
    throttle = SignInThrottle(per_account=3, per_address=100, window_s=60, clock=Clock())
    throttle.failed("alice", "a")
    throttle.failed("alice", "a")
    throttle.succeeded("alice")
    throttle.failed("alice", "a")
    assert throttle.retry_after("alice", "a") == 0


def test_guessing_is_refused_over_http_even_with_the_right_password(client, monkeypatch) -> None:
    for _ in range(5):
        assert login(client, "alice", "wrong guess").status_code == 401
    verified = []
    monkeypatch.setattr(
        "factory.webapp.auth.verify_password", lambda *args: verified.append(args) or True
    )
    refused = login(client, "alice", PASSWORD)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert "Too many failed sign-ins" in refused.text
    assert verified == []  # refused before any hash was verified
    monkeypatch.undo()
    assert login(client, "bob", PASSWORD).status_code == 200  # other accounts still sign in
