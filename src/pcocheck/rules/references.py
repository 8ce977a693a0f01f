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
from dataclasses import dataclass

from pcocheck.engine.references import parse_reference
from pcocheck.resolution import ReferenceContext, Resolution, Resolver, ResourceKey
from pcocheck.resolution import describe_candidates as _describe
from pcocheck.view import Anchor

_FINAL = frozenset(
    {"contained", "bundle", "bundle-by-id", "multiple", "version-mismatch", "urn-missing"}
)


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
    if isinstance(target, str):
        key, base = target, None
    elif target.pending is None:
        return target
    else:
        key, base = target.pending
    source = referrer.source
    file = referrer.file or ""
    line = source.first_line if source is not None and source.record else None
    candidates = tuple(
        c for c in resolver.candidates(key, base, file) if (c.file, c.line) != (file, line)
    )
    if len(candidates) == 1:
        only = candidates[0]
        return Target("run", only.resource_key, how=f"in {only.where()}")
    if len(candidates) > 1:
        return Target("ambiguous", how=f"ambiguous: {_describe(candidates)}")
    return NOT_FOUND


class Scope:
    """Where references inside one resource (or one contained resource) resolve from,
    and the key facts about the resource itself are kept under."""

    __slots__ = ("context", "key", "referable")

    def __init__(self, context: ReferenceContext, key: ResourceKey, referable: bool) -> None:
        self.context = context
        self.key = key
        self.referable = referable  # has an id or a fullUrl: something can point at it

    def contained(self, key: ResourceKey) -> Scope:
        # A contained resource resolves references at its container's level.
        return Scope(self.context, key, True)

    def target(self, reference: str) -> Target | str:
        return target_of(self.context.resolve(reference.strip()))


def explicit_type(reference: str) -> str | None:
    """The resource type a reference names (``Goal`` in ``.../Goal/x``), if it names one."""
    parsed = parse_reference(reference.strip())
    return parsed.type if parsed.kind in ("relative", "absolute") else None
