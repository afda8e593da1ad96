"""Small wording helpers for the demand notes."""

from __future__ import annotations


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``count`` and ``noun``, made plural unless the count is one (``nouns``: an irregular plural).

    Examples
    --------
    >>> plural(1, "complete week"), plural(2, "week"), plural(0, "month")
    ('1 complete week', '2 weeks', '0 months')
    """
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"
