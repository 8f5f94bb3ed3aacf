"""The price of people's time: an hourly rate by language and kind of work, from config."""

from collections.abc import Mapping

ANY = "*"


def hourly_rate(tariffs: Mapping[str, Mapping[str, float]], language: str, kind: str) -> float:
    """The most specific rate: (language, kind), (language, *), (*, kind), then (*, *)."""
    for lang_key, kind_key in ((language, kind), (language, ANY), (ANY, kind), (ANY, ANY)):
        rate = tariffs.get(lang_key, {}).get(kind_key)
        if rate is not None:
            return float(rate)
    return 0.0


def price(
    tariffs: Mapping[str, Mapping[str, float]], language: str, kind: str, seconds: float
) -> float:
    return round(hourly_rate(tariffs, language, kind) * max(0.0, seconds) / 3600, 4)
