"""The release's licence, from its prompts' own licences (never a default that contradicts them).

Each prompt carries the licence of the record it came from (`licence` in the batch file;
HumanEval's is MIT, MBPP's CC-BY-4.0). One licence across every packaged prompt becomes the data
card's `license`; a mix becomes `other`, with every licence listed per source in the card.
`packaging.licence` only fills in prompts whose records declare none (your own data); without it
such prompts are "unspecified", and a release of only those is `unknown`.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from factory.packaging.records import PromptInfo

UNSPECIFIED = "unspecified"
# Licence identifiers the Hub knows (its `license:` field); others are published as `other`.
HUB_LICENCES = frozenset(
    {
        "apache-2.0", "mit", "bsd", "bsd-2-clause", "bsd-3-clause", "bsd-3-clause-clear",
        "isc", "zlib", "unlicense", "wtfpl", "cc0-1.0", "cc-by-2.0", "cc-by-2.5", "cc-by-3.0",
        "cc-by-4.0", "cc-by-sa-3.0", "cc-by-sa-4.0", "cc-by-nc-2.0", "cc-by-nc-3.0",
        "cc-by-nc-4.0", "cc-by-nd-4.0", "cc-by-nc-nd-3.0", "cc-by-nc-nd-4.0", "cc-by-nc-sa-2.0",
        "cc-by-nc-sa-3.0", "cc-by-nc-sa-4.0", "cdla-sharing-1.0", "cdla-permissive-1.0",
        "cdla-permissive-2.0", "odc-by", "odbl", "pddl", "mpl-2.0", "epl-1.0", "epl-2.0",
        "eupl-1.1", "gpl-2.0", "gpl-3.0", "lgpl-2.1", "lgpl-3.0", "agpl-3.0", "artistic-2.0",
        "bsl-1.0", "postgresql", "openrail", "bigcode-openrail-m",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class SourceLicence:
    licence: str  # as the records declare it, or UNSPECIFIED
    source: str
    prompts: int


@dataclass(frozen=True, slots=True)
class ReleaseLicence:
    card_id: str  # the card's `license`: one Hub identifier, "other" or "unknown"
    name: str  # what the licence is, in words (the card's `license_name` when "other")
    sources: list[SourceLicence]

    @property
    def mixed(self) -> bool:
        return len({s.licence for s in self.sources}) > 1


def hub_id(licence: str) -> str | None:
    """The Hub's identifier for a declared licence ("MIT" -> "mit"), or None if it has none."""
    key = licence.strip().lower().replace(" ", "-")
    return key if key in HUB_LICENCES else None


def release_licence(prompts: Iterable[PromptInfo], *, default: str = "") -> ReleaseLicence:
    """The licence of a release made of `prompts`; `default` fills in undeclared ones."""
    counts: Counter[tuple[str, str]] = Counter()
    for prompt in prompts:
        licence = prompt.licence.strip() or default.strip() or UNSPECIFIED
        counts[(licence, prompt.source.strip() or "unnamed source")] += 1
    ordered = sorted(counts.items(), key=lambda item: (item[0][0].lower(), item[0][1]))
    sources = [SourceLicence(licence, source, n) for (licence, source), n in ordered]
    declared = sorted({s.licence for s in sources}, key=str.lower)
    if not declared or declared == [UNSPECIFIED]:
        return ReleaseLicence("unknown", "no licence declared by the sources", sources)
    if len(declared) == 1:
        return ReleaseLicence(hub_id(declared[0]) or "other", declared[0], sources)
    return ReleaseLicence("other", "mixed: " + ", ".join(declared), sources)
