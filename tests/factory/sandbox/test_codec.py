"""The plain-data codec between the untrusted worker and the trusted test runner."""

import math

import pytest

from factory.sandbox.server import Unencodable, decode, encode


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        3,
        10**40,
        -2.5,
        "text",
        b"\x00\xff",
        1 + 2j,
        [1, [2, "x"]],
        (1, (2,)),
        {"a": (1, 2), 3: None},
        {1, 2},
        frozenset({"a"}),
        float("inf"),
    ],
)
def test_plain_data_round_trips_with_its_exact_type(value: object) -> None:
    back = decode(encode(value), lambda _: pytest.fail("no handle expected"))
    assert back == value and type(back) is type(value)


def test_nan_round_trips() -> None:
    assert math.isnan(decode(encode(float("nan")), None))


class AlwaysEqual:
    def __eq__(self, other: object) -> bool:
        return True


class SneakyInt(int):
    def __eq__(self, other: object) -> bool:
        return True


@pytest.mark.parametrize("value", [AlwaysEqual(), SneakyInt(1), [1, AlwaysEqual()]])
def test_objects_that_are_not_plain_data_never_cross_as_values(value: object) -> None:
    with pytest.raises(Unencodable):
        encode(value)
    handles: list = []
    encoded = encode(value, handles)
    assert handles and "$h" in str(encoded)
