"""Remembering element values that validated clean, so that a repeat costs one lookup.

A bulk export repeats most of its coded content (categories, codes, units, meta,
identifiers' systems): the same JSON value under the same compiled slot gives the same
findings wherever it sits, *unless* a check looked beyond the value. The walk counts
every such look in ``ProfileEngine.impure`` (a report of any kind, a summarised or
deferred finding, a reference resolved, an extension's context, a canonical looked up, an
example url resolved, an invariant that reads ``%resource``/``%rootResource`` or
``resolve()``, a slice discriminator that resolves or tests a profile, an inline
resource). A slot's value that left the count unchanged produced nothing and depended on
nothing else: its frozen form (:func:`freeze`) is remembered, and the next equal value
under the same slot is skipped whole (its subtree, slices and cardinality included).

Only values checked by a reporting pass are remembered (a quiet conformance probe skips
warnings, so its silence proves less); quiet probes may still use what was remembered
(clean for a reporting pass is clean for a probe). Lifetime: the compiled slot, i.e. the
engine (one run, fixed definitions); bounded per slot, and a slot whose values rarely
repeat stops trying (:class:`Memo`).
"""

from __future__ import annotations

from typing import Any, Final

# A value longer than this is not remembered (it would pin large texts in memory).
LONGEST_TEXT: Final = 2048
KEPT: Final = 1024  # clean values remembered per slot
TRIAL: Final = 256  # lookups after which a slot with few repeats stops trying
MIN_HITS: Final = TRIAL // 8


class _Marker:
    """A key part no JSON value freezes to (hashable, equal only to itself)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


LIST: Final = _Marker("list")
COMPANION: Final = _Marker("companion")


class TooLarge(Exception):
    """A value not worth remembering (a long text)."""


LARGEST: Final = 256  # JSON nodes (objects, arrays and their members) per remembered value
_budget = LARGEST  # what the value being frozen may still use


def freeze(value: Any) -> Any:
    """A hashable form of a JSON value, equal only for values validation cannot tell
    apart: ``True``/``1``/``1.0`` and ``Decimal('1.0')``/``Decimal('1.00')`` differ;
    member order is kept. Raises TooLarge past LONGEST_TEXT or LARGEST (set by
    :func:`slot_key`; a shared counter, so a race only misjudges the size)."""
    global _budget
    kind = type(value)
    if kind is str:
        if len(value) > LONGEST_TEXT:
            raise TooLarge
        return value
    if kind is dict:
        _budget -= len(value)
        if _budget < 0:
            raise TooLarge
        return tuple([(key, freeze(item)) for key, item in value.items()])
    if kind is list:
        _budget -= len(value)
        if _budget < 0:
            raise TooLarge
        return (LIST, *[freeze(item) for item in value])
    if value is None:
        return None
    return (kind, repr(value))


class Memo:
    """The clean values of one slot (see the module docstring)."""

    __slots__ = ("clean", "hits", "tries")

    def __init__(self) -> None:
        self.clean: set[Any] = set()
        self.tries = 0
        self.hits = 0

    def worth_trying(self) -> bool:
        """Still worth freezing values for: repeats are common enough (decided once,
        after TRIAL lookups)."""
        return self.tries < TRIAL or self.hits >= MIN_HITS

    def remember(self, key: Any) -> None:
        if len(self.clean) < KEPT:
            self.clean.add(key)


def slot_key(value: Any, companion: Any) -> Any:
    """The memo key of a slot's value and its ``_`` companion (None: not rememberable)."""
    global _budget
    _budget = LARGEST
    try:
        if companion is None:
            return freeze(value)
        return (freeze(value), freeze(companion), COMPANION)
    except TooLarge:
        return None
    except RecursionError:
        return None
