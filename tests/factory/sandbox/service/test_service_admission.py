"""The service's queue: slots, per-client shares, oldest first, all-or-none, refusals."""

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from factory.sandbox.service.admission import Admission, Rejected, Ticket


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(scenario())


def granted(tickets: list[Ticket]) -> list[bool]:
    return [ticket.granted.done() and not ticket.granted.cancelled() for ticket in tickets]


def test_jobs_run_up_to_the_limit_and_the_rest_wait_oldest_first() -> None:
    async def scenario() -> None:
        queue = Admission(max_running=2, per_client=0, max_queue=5)
        first = queue.enter("a", 2)
        later = queue.enter("b") + queue.enter("c")
        assert granted(first + later) == [True, True, False, False]
        assert (queue.running, queue.waiting) == (2, 2)
        first[0].release()
        assert granted(later) == [True, False]  # b came first
        first[1].release()
        assert granted(later) == [True, True]
        assert (queue.running, queue.waiting) == (2, 0)

    run(scenario)


def test_a_client_at_its_share_waits_while_others_start() -> None:
    async def scenario() -> None:
        queue = Admission(max_running=3, per_client=1, max_queue=5)
        alice = queue.enter("alice", 2)
        bob = queue.enter("bob")
        assert granted(alice + bob) == [True, False, True]
        alice_later = queue.enter("alice")  # may not overtake her own waiting job
        assert granted(alice_later) == [False]
        alice[0].release()
        assert granted(alice + alice_later) == [True, True, False]
        assert (queue.running, queue.waiting) == (2, 1)

    run(scenario)


def test_a_full_queue_refuses_with_a_retry_estimate_and_admits_nothing() -> None:
    async def scenario() -> None:
        queue = Admission(max_running=1, per_client=0, max_queue=2)
        queue.enter("a", 2)  # one running, one waiting
        with pytest.raises(Rejected) as refused:
            queue.enter("b", 2)  # room for one more only: all or none
        assert refused.value.retry_after_s >= 1
        assert (queue.running, queue.waiting) == (1, 1)
        assert granted(queue.enter("b")) == [False]
        with pytest.raises(Rejected):
            queue.enter("c")

    run(scenario)


def test_a_job_given_up_while_waiting_leaves_the_queue() -> None:
    async def scenario() -> None:
        queue = Admission(max_running=1, per_client=0, max_queue=3)
        [running] = queue.enter("a")
        [waiting] = queue.enter("b")
        task = asyncio.create_task(waiting.wait())
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert queue.waiting == 0
        running.release()
        running.release()  # twice changes nothing
        assert (queue.running, queue.waiting) == (0, 0)

    run(scenario)


def test_a_waiting_job_runs_once_a_slot_is_released() -> None:
    async def scenario() -> None:
        queue = Admission(max_running=1, per_client=0, max_queue=1)
        [running] = queue.enter("a")
        [waiting] = queue.enter("a")
        task = asyncio.create_task(waiting.wait())
        await asyncio.sleep(0)
        assert not task.done()
        running.release()
        await task
        assert (queue.running, queue.waiting) == (1, 0)

    run(scenario)
