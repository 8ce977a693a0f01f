"""Remembering element values that validated clean, so that a repeat costs one lookup.

A bulk export repeats most of its coded content (categories, codes, units, meta,
identifiers' systems): the same JSON value under the same compiled slot gives the same
findings wherever it sits, *unless* a check looked beyond the value. The walk counts
every such look in ``ProfileEngine.impure`` (a report of any kind, a summarised or
deferred finding, a reference resolved, an extension's context, a canonical looked up, an
example url resolved, an invariant that reads ``%resource``/``%rootResource`` or
``resolve()``, a slice discriminator that resolves or tests a profile, an inline
resource). A slot's value that left the count unchanged produced nothing and depended on
nothing else: its key (:func:`slot_key`) is remembered, and the next equal value
under the same slot is skipped whole (its subtree, slices and cardinality included).

Only values checked by a reporting pass are remembered (a quiet conformance probe skips
warnings, so its silence proves less); quiet probes may still use what was remembered
(clean for a reporting pass is clean for a probe). Lifetime: the compiled slot, i.e. the
engine (one run, fixed definitions); at most KEPT values or KEPT_CHARS of keys per slot (then
it starts afresh),
and a slot whose values rarely repeat stops trying (:class:`Memo`).
"""

from __future__ import annotations

from marshal import dumps
from typing import Any, Final

# Keys are exact for JSON values, so equal keys are values validation cannot tell apart.
# A value is rendered by marshal (format version 2: no back-references, so the bytes depend
# on the value alone, never on which objects it shares): C speed, about twice as fast as
# repr(), and exact (each type has its own tag: True is not 1, 1 is not 1.0, [] is not {};
# strings are their UTF-8 bytes, surrogates included; member order is kept; it can be
# read back, so equal bytes are equal values of the same types). A value marshal refuses
# (a Decimal, the parser's FHIR decimal; a subclass) is rendered by repr() (a str: never
# equal to the bytes), which is exact too (a str is quoted, Decimal('1.0') is not
# Decimal('1.00')). A value with a ``_`` companion is keyed by the repr() of both.
MARSHAL_VERSION: Final = 2
LONGEST_KEY: Final = 4096  # a longer repr is not remembered (memory)
WIDEST: Final = 256  # an array with more items is not even rendered
KEPT: Final = 512  # clean values remembered per slot, at most
KEPT_CHARS: Final = 65_536  # and at most this much key text per slot
TRIAL: Final = 256  # lookups after which a slot with few repeats stops trying
MIN_HITS: Final = TRIAL // 8

MemoKey = str | bytes  # see above: bytes from marshal, a str from repr()


class Memo:
    """The clean values of one slot (see the module docstring)."""

    __slots__ = ("chars", "clean", "hits", "tries")

    def __init__(self) -> None:
        self.clean: set[object] = set()  # keys (with the JSON key for a choice)
        self.chars = 0  # the length of the keys in ``clean``
        self.tries = 0
        self.hits = 0

    def worth_trying(self) -> bool:
        """Still worth rendering values for: repeats are common enough (decided once,
        after TRIAL lookups). The compiled walk inlines this test in its hot paths."""
        return self.tries < TRIAL or self.hits >= MIN_HITS

    def remember(self, key: object, chars: int) -> None:
        """Add ``key`` (``chars`` long)."""
        clean = self.clean
        if len(clean) >= KEPT or self.chars + chars > KEPT_CHARS:
            # Start afresh rather than stop learning: repeats are mostly near each
            # other (one patient's references, one file's codes).
            clean.clear()
            self.chars = 0
        clean.add(key)
        self.chars += chars


def slot_key(value: Any, companion: Any) -> MemoKey | None:
    """The memo key of a slot's value and its ``_`` companion (None: not remembered)."""
    if type(value) is list and len(value) > WIDEST:
        return None
    key: MemoKey
    if companion is not None:
        key = repr((value, companion))
    else:
        try:
            key = dumps(value, MARSHAL_VERSION)
        except ValueError:  # unmarshallable: a Decimal, a subclass
            key = repr(value)
    return key if len(key) <= LONGEST_KEY else None
