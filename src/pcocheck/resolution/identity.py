"""Resource identity: where a resource was read (file, NDJSON line, Bundle entry) and what
it is called (``Type/id``, fullUrl). Two resources that share ``Type/id`` are two resources.

The run-wide index keeps one small :class:`Identity` per resource that has an id, never
the resource itself, so a large NDJSON export stays small in memory.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from pcocheck.engine.frozen_init import quick_init

# (file, NDJSON line or None, Bundle entry or None, contained id or None): the key facts
# about a resource are kept under. Plain data: hashable, ordered, never an object id.
ResourceKey = tuple[str, int | None, int | None, str | None]


@quick_init
@dataclass(frozen=True, slots=True)
class Identity:
    """One resource of the run, as the index keeps it."""

    key: str  # "Type/id"
    file: str
    line: int | None  # the NDJSON record's line; None for a whole-file document
    entry: int | None  # the top-level Bundle entry index, if the resource is an entry
    full_url: str | None = None
    claims: tuple[str, ...] = field(default=(), compare=False)  # meta.profile, shared tuples

    @property
    def resource_type(self) -> str:
        return self.key.split("/", 1)[0]

    @property
    def resource_key(self) -> ResourceKey:
        return (self.file, self.line, self.entry, None)

    def where(self) -> str:
        """``file:line``, ``file entry 3`` or ``file`` (for messages)."""
        text = self.file if self.line is None else f"{self.file}:{self.line}"
        return text if self.entry is None else f"{text} entry {self.entry}"


_SHARED_CLAIMS: dict[tuple[str, ...], tuple[str, ...]] = {}


def shared_claims(claims: tuple[str, ...]) -> tuple[str, ...]:
    """One tuple object per distinct claim list (a bulk export repeats the same few).
    Lifetime: the process; it holds only profile URL tuples, a few dozen in practice."""
    if len(_SHARED_CLAIMS) > 10_000:
        return claims
    return _SHARED_CLAIMS.setdefault(claims, claims)


def intern(text: str) -> str:
    return sys.intern(text)
