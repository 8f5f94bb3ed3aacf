"""Sign-in throttling: too many failed sign-ins for one account or from one address are refused
for a while, before any password hash is verified.

Verifying an Argon2 hash is deliberately expensive (about 0.3 CPU-seconds at the parameters in
use), so unthrottled guessing is both a brute-force attack on an account and a way to take the
app's CPU from the reviewers. Counters live in the app process: with several uvicorn workers each
keeps its own, which multiplies the allowance by the number of workers and no more.
"""

import threading
import time
from collections import deque
from collections.abc import Callable

FAILURES_PER_ACCOUNT = 5
FAILURES_PER_ADDRESS = 20
WINDOW_S = 15 * 60
_SWEEP_ABOVE_KEYS = 10_000
_SWEEP_EVERY_S = 60.0


class SignInThrottle:
    def __init__(
        self,
        *,
        per_account: int = FAILURES_PER_ACCOUNT,
        per_address: int = FAILURES_PER_ADDRESS,
        window_s: float = WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limits = {"account": per_account, "address": per_address}
        self._window = window_s
        self._clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._next_sweep = 0.0
        self._lock = threading.Lock()

    @staticmethod
    def _keys(username: str, address: str | None) -> list[tuple[str, str]]:
        keys = [("account", username.strip().lower())]
        if address:
            keys.append(("address", address))
        return keys

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.get(key, deque())
        while times and times[0] <= now - self._window:
            times.popleft()
        if not times:
            self._failures.pop(key, None)
        return times

    def retry_after(self, username: str, address: str | None) -> int:
        """Seconds until this account and address may try again; 0 when they may now."""
        now = self._clock()
        wait = 0.0
        with self._lock:
            for key in self._keys(username, address):
                times = self._recent(key, now)
                if len(times) >= self._limits[key[0]]:
                    wait = max(wait, times[0] + self._window - now)
        return int(wait) + 1 if wait > 0 else 0

    def failed(self, username: str, address: str | None) -> None:
        now = self._clock()
        with self._lock:
            for key in self._keys(username, address):
                self._recent(key, now)
                self._failures.setdefault(key, deque()).append(now)
            self._forget_stale(now)

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(("account", username.strip().lower()), None)

    def _forget_stale(self, now: float) -> None:
        # Bounded memory under a spray of usernames: drop keys whose failures have all expired,
        # in one sweep a minute at most, so a spray does not make every failure walk every key.
        if len(self._failures) > _SWEEP_ABOVE_KEYS and now >= self._next_sweep:
            self._next_sweep = now + _SWEEP_EVERY_S
            for key in list(self._failures):
                self._recent(key, now)


def throttled_message(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return (
        "Too many failed sign-ins for this account or from this address; "
        f"try again in {minutes} minute{'s' if minutes != 1 else ''}."
    )
