"""How resources are keyed and references matched across all inputs of a run.

A resource is known by ``Type/id``, by its Bundle entry fullUrl and by ``urn:uuid:``;
a reference matches whichever form it uses: ``Goal/x``, ``http://server/fhir/Goal/x``
(base URL and ``/_history/n`` stripped) or ``urn:uuid:...``. A contained resource is
known only inside its container, as ``<container key>#<id>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

T = TypeVar("T")


def reference_keys(reference: str) -> tuple[str, ...]:
    """The index keys a (non-local) reference can match, most specific first."""
    ref = reference.strip()
    if ref[:4].lower() == "urn:":
        return (ref.lower(),)
    cut = ref.find("/_history/")
    if cut >= 0:
        ref = ref[:cut]
    ref = ref.rstrip("/")
    if "://" not in ref:
        return (ref,) if ref else ()
    parts = ref.split("/")
    if len(parts) >= 2 and parts[-2][:1].isupper() and parts[-1]:
        return (ref, f"{parts[-2]}/{parts[-1]}")
    return (ref,)


def resource_keys(resource_type: str, rid: str | None, full_url: str | None) -> tuple[str, ...]:
    keys: list[str] = []
    if resource_type and rid:
        keys.append(f"{resource_type}/{rid}")
    if full_url:
        for key in reference_keys(full_url):
            if key not in keys:
                keys.append(key)
    return tuple(keys)


class Scope:
    """Where references inside one resource (or one contained resource) resolve from."""

    __slots__ = ("container", "keys")

    def __init__(self, keys: tuple[str, ...], container: str) -> None:
        self.keys = keys  # what this resource is known as
        self.container = container  # the key local "#id" references hang off

    def contained(self, cid: str) -> Scope:
        return Scope((f"{self.container}#{cid}",), self.container)

    def targets(self, reference: str) -> tuple[str, ...]:
        """The keys ``reference`` (a Reference.reference string) can match."""
        ref = reference.strip()
        if ref.startswith("#"):
            return (self.container,) if ref == "#" else (f"{self.container}#{ref[1:]}",)
        return reference_keys(ref)


def resolve(index: Mapping[str, T], targets: tuple[str, ...]) -> T | None:
    for key in targets:
        found = index.get(key)
        if found is not None:
            return found
    return None


def explicit_type(reference: str) -> str | None:
    """The resource type a reference names (``Goal`` in ``.../Goal/x``), if it names one."""
    ref = reference.strip()
    if ref.startswith("#") or ref[:4].lower() == "urn:":
        return None
    keys = reference_keys(ref)
    last = keys[-1] if keys else ""
    parts = last.split("/")
    if len(parts) == 2 and parts[0][:1].isupper():
        return parts[0]
    return None
