"""How the PCO rules follow references: through the run's one resolver
(:mod:`pcocheck.resolution`), never through a map of their own.

A reference is resolved where it is written, while its document is at hand (contained,
same Bundle — with FHIR's fullUrl rules); what can only resolve elsewhere in the run is
looked up at the end of the run, when every input has been indexed, and only when exactly
one resource in the nearest scope has that identity. Facts are kept under the resource's
:data:`~pcocheck.resolution.ResourceKey` (file, NDJSON line, entry, contained id), so two
resources that share ``Type/id`` stay two resources.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from pcocheck.engine.frozen_init import quick_init
from pcocheck.engine.references import parse_reference
from pcocheck.pickling import pickled_by_fields
from pcocheck.resolution import Identity, ReferenceContext, Resolution, Resolver, ResourceKey
from pcocheck.resolution import describe_candidates as _describe
from pcocheck.view import Anchor

_FINAL = frozenset(
    {"contained", "bundle", "bundle-by-id", "multiple", "version-mismatch", "urn-missing"}
)


@pickled_by_fields
@quick_init
@dataclass(frozen=True, slots=True)
class Target:
    """What a reference points at: ``key`` when resolved; ``pending`` (``Type/id`` and the
    server base of an absolute reference) while it waits for the end of the run. A relative
    reference waiting for the end of the run is kept as its interned ``Type/id`` string
    alone (the index holds the same string): most references of a bulk export are such."""

    status: str
    key: ResourceKey | None = None
    pending: tuple[str, str | None] | None = None
    how: str = ""

    @property
    def found(self) -> bool:
        return self.key is not None


NOT_FOUND = Target("not-found", how="not found in the input")


def target_of(resolution: Resolution) -> Target | str:
    if resolution.status in _FINAL:
        return Target(resolution.status, resolution.key, how=resolution.how())
    parsed = parse_reference(resolution.reference)
    if parsed.key is None:
        return NOT_FOUND
    if parsed.base is None:
        return sys.intern(parsed.key)
    return Target("pending", pending=(sys.intern(parsed.key), parsed.base))


def settle(target: Target | str, referrer: Anchor, resolver: Resolver) -> Target:
    """The final answer for ``target``, written in the resource at ``referrer``. Run-wide
    lookups happen here, at the end of the run, so the answer does not depend on the order
    of the inputs."""
    if not isinstance(target, str) and target.pending is None:
        return target
    source = referrer.source
    line = source.first_line if source is not None and source.record else None
    return settle_at(target, referrer.file or "", line, resolver)


class Lookup(Protocol):
    """What :func:`settle_at` asks: a :class:`~pcocheck.resolution.Resolver`, or one that
    remembers its answers (see :mod:`pcocheck.rules.parts`)."""

    def candidates(self, key: str, base: str | None, near_file: str) -> tuple[Identity, ...]: ...


def waiting_for(target: Target | str) -> tuple[str, str | None] | None:
    """(``Type/id``, server base or None) that ``target`` waits for the end of the run to
    look up; None when it is settled already."""
    return (target, None) if isinstance(target, str) else target.pending


def settle_at(target: Target | str, file: str, line: int | None, resolver: Lookup) -> Target:
    """:func:`settle` for a referrer known by its file and NDJSON line (None: not a
    record), without its anchor."""
    waiting = waiting_for(target)
    if waiting is None:
        assert isinstance(target, Target)
        return target
    key, base = waiting
    candidates = tuple(
        c for c in resolver.candidates(key, base, file) if (c.file, c.line) != (file, line)
    )
    if len(candidates) == 1:
        only = candidates[0]
        return Target("run", only.resource_key, how=f"in {only.where()}")
    if len(candidates) > 1:
        return Target("ambiguous", how=f"ambiguous: {_describe(candidates)}")
    return NOT_FOUND


URN_MISSING = Target("urn-missing", how="not locally contained within the Bundle")


def unbundled_target(reference: str) -> Target | str:
    """:func:`target_of` the resolution of a (stripped, not ``#``) reference written in a
    resource that is no Bundle entry: nothing resolves locally there, and whatever the
    run-wide index says now is settled again at the end of the run, so the answer
    depends on the reference alone (no lookup)."""
    parsed = parse_reference(reference)
    if parsed.kind == "urn":
        return URN_MISSING
    if parsed.key is None:
        return NOT_FOUND
    if parsed.base is None:
        return sys.intern(parsed.key)
    return Target("pending", pending=(sys.intern(parsed.key), parsed.base))


class Scope:
    """Where references inside one resource (or one contained resource) resolve from,
    and the key facts about the resource itself are kept under.

    The reference context is built only when a reference needs it (``make_context``);
    ``bundled``: whether the resource may sit in a Bundle entry (else no reference in it
    resolves locally, except ``#id``)."""

    __slots__ = ("_context", "_make_context", "bundled", "key", "referable")

    def __init__(
        self,
        make_context: Callable[[], ReferenceContext],
        key: ResourceKey,
        referable: bool,
        bundled: bool = True,
    ) -> None:
        self._make_context = make_context
        self._context: ReferenceContext | None = None
        self.key = key
        self.referable = referable  # has an id or a fullUrl: something can point at it
        self.bundled = bundled

    @property
    def context(self) -> ReferenceContext:
        if self._context is None:
            self._context = self._make_context()
        return self._context

    def contained(self, key: ResourceKey) -> Scope:
        # A contained resource resolves references at its container's level.
        scope = Scope(self._make_context, key, True, self.bundled)
        scope._context = self._context
        return scope

    def target(self, reference: str) -> Target | str:
        reference = reference.strip()
        if not self.bundled and not reference.startswith("#"):
            return unbundled_target(reference)
        return target_of(self.context.resolve(reference))


def explicit_type(reference: str) -> str | None:
    """The resource type a reference names (``Goal`` in ``.../Goal/x``), if it names one."""
    parsed = parse_reference(reference.strip())
    return parsed.type if parsed.kind in ("relative", "absolute") else None
