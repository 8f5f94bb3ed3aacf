"""The buffer of band keys not yet in the table (factory.intake.band_buffer)."""

import numpy as np

from factory.intake.band_buffer import BandBuffer


def _add(buffer: BandBuffer, pairs: list[tuple[int, int]]) -> None:
    keys, owners = zip(*sorted(pairs), strict=True)
    buffer.add(np.array(keys, dtype=np.int64), np.array(owners, dtype=np.int64))


def test_keys_added_in_any_order_are_found_and_drained_in_key_order() -> None:
    buffer = BandBuffer(limit=5)
    _add(buffer, [(40, 1), (-7, 1), (2**63 - 1, 2)])
    assert not buffer.full
    _add(buffer, [(5, 3), (-(2**63), 3)])
    assert buffer.full and len(buffer) == 5
    assert buffer.lookup([5, 6, -7, 2**63 - 1, 41, -(2**63), 5]) == {
        5: 3,
        -7: 1,
        2**63 - 1: 2,
        -(2**63): 3,
    }
    assert buffer.drain() == [[-(2**63), 3], [-7, 1], [5, 3], [40, 1], [2**63 - 1, 2]]
    assert len(buffer) == 0 and buffer.lookup([5]) == {}


def test_an_empty_buffer_finds_nothing_and_drains_nothing() -> None:
    buffer = BandBuffer()
    buffer.add(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))
    assert buffer.lookup([1, 2]) == {} and buffer.drain() == []
