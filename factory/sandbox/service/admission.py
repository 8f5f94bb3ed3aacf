"""Who runs now, who waits, who is turned away: the service's bounded, per-client-fair queue.

At most `max_running` jobs run at once, and each client at most `per_client` of them; the rest
wait in one queue of at most `max_queue` jobs, served oldest first among the clients below their
limit. A job that would overflow the queue is refused at once (`Rejected`, answered 429 with a
Retry-After estimate) instead of piling up. Everything here runs on the event loop's thread, so
nothing is locked: a check and the admission it decides happen without an await between them.
"""

import asyncio
import math
from collections import Counter, deque
from dataclasses import dataclass, field

# Weight of the newest job in the running mean of job durations that Retry-After is based on.
_SMOOTHING = 0.2


class Rejected(Exception):
    """The queue has no room: try again after `retry_after_s` seconds."""

    def __init__(self, waiting: int, retry_after_s: int) -> None:
        super().__init__(f"the sandbox queue is full ({waiting} jobs waiting); retry later")
        self.retry_after_s = retry_after_s


@dataclass(eq=False, slots=True)
class Ticket:
    """One admitted job: await `wait()` before running it, call `release()` once it ended."""

    admission: "Admission"
    client: str
    granted: asyncio.Future[None]
    started: float = 0.0
    released: bool = field(default=False)

    async def wait(self) -> None:
        try:
            await asyncio.shield(self.granted)
        except asyncio.CancelledError:
            self.release()  # gives the slot back if it was granted, else leaves the queue
            raise

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.admission._leave(self)


class Admission:
    def __init__(self, *, max_running: int, per_client: int, max_queue: int) -> None:
        self.max_running = max(1, max_running)
        self.per_client = max(1, min(per_client or self.max_running, self.max_running))
        self.max_queue = max(0, max_queue)
        self._running: Counter[str] = Counter()
        self._waiting: deque[Ticket] = deque()
        self._mean_s = 1.0

    @property
    def running(self) -> int:
        return sum(self._running.values())

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    @property
    def capacity(self) -> int:
        """The most jobs one request may bring: all running slots and the whole queue."""
        return self.max_running + self.max_queue

    def enter(self, client: str, count: int = 1) -> list[Ticket]:
        """Admit `count` jobs of `client`, all or none: each runs now or waits its turn.
        Raises Rejected when the queue has no room for those that would wait."""
        loop = asyncio.get_running_loop()
        free = min(self.max_running - self.running, self.per_client - self._running[client])
        # Jobs of a client already waiting keep their place: a newcomer may not overtake them.
        now = 0 if any(t.client == client for t in self._waiting) else max(0, min(free, count))
        if self.waiting + count - now > self.max_queue:
            raise Rejected(self.waiting, self.retry_after_s())
        tickets = []
        for index in range(count):
            ticket = Ticket(self, client, loop.create_future())
            if index < now:
                self._grant(ticket)
            else:
                self._waiting.append(ticket)
            tickets.append(ticket)
        return tickets

    def retry_after_s(self) -> int:
        """Whole seconds until a place in the queue is likely free, from recent job times."""
        ahead = self.waiting + 1
        return max(1, math.ceil(self._mean_s * ahead / self.max_running))

    def _grant(self, ticket: Ticket) -> None:
        self._running[ticket.client] += 1
        ticket.started = asyncio.get_running_loop().time()
        ticket.granted.set_result(None)

    def _leave(self, ticket: Ticket) -> None:
        if not ticket.granted.done():
            self._waiting.remove(ticket)
            ticket.granted.cancel()
            return
        self._running[ticket.client] -= 1
        if self._running[ticket.client] <= 0:
            del self._running[ticket.client]
        took = asyncio.get_running_loop().time() - ticket.started
        self._mean_s += _SMOOTHING * (took - self._mean_s)
        self._dispatch()

    def _dispatch(self) -> None:
        """Start the oldest waiting jobs whose clients are below their limit, while slots last."""
        for ticket in list(self._waiting):
            if self.running >= self.max_running:
                return
            if self._running[ticket.client] < self.per_client:
                self._waiting.remove(ticket)
                self._grant(ticket)
