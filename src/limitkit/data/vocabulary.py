"""Word lists for LIMIT-style generation: the attribute vocabulary and faker's en_US names.

``attributes.txt`` (package data) holds over 3,000 Title Case things people like, across many
categories, written for limitkit; one per line, sorted, no near-duplicates, none containing
", " or " and " so that a rendered "A, B and C" list parses back unambiguously.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

__all__ = ["attributes", "first_names", "last_names"]


@lru_cache(maxsize=1)
def attributes() -> tuple[str, ...]:
    """The attribute vocabulary, in file (sorted) order."""
    text = resources.files("limitkit.data").joinpath("attributes.txt").read_text(encoding="utf-8")
    return tuple(line for line in text.splitlines() if line)


@lru_cache(maxsize=1)
def first_names() -> tuple[str, ...]:
    """faker's en_US first names, in faker's own (deterministic, insertion) order."""
    from faker.providers.person.en_US import Provider

    return tuple(dict.fromkeys(Provider.first_names))


@lru_cache(maxsize=1)
def last_names() -> tuple[str, ...]:
    """faker's en_US last names, in faker's own order."""
    from faker.providers.person.en_US import Provider

    return tuple(dict.fromkeys(Provider.last_names))
