"""One resolver for the whole run: what a reference points at, by FHIR's rules.

Used by the profile engine (reference targets, target-profile conformance, FHIRPath
``resolve()``, slicing) and by the PCO rules. Resolution goes, in order:

1. ``#id``: a resource contained in the same resource (``#`` is the container itself).
2. The Bundle the referring resource is an entry of (see :mod:`.bundle`); a resource inside
   ``Parameters.parameter.resource`` or any other inline resource is at a level of its own
   (no Bundle around it), a contained resource is at its container's level.
3. The other inputs of the run (other files, other Bundles, NDJSON lines): a reference that
   did not resolve locally resolves elsewhere only when exactly one resource has that
   ``Type/id`` (with the same server base when the reference is absolute) in the nearest
   scope that has any: the referring file (an NDJSON export), its folder (a bulk export),
   the whole run. Two or more in that scope are ``ambiguous``, never a silent first pick.

Determinism: the run-wide index is filled by the runner's first pass (or as resources are
read, for inputs read once such as stdin), keyed by ``Type/id``; candidates are sorted by
where they are. No cache is keyed by an object's ``id()``.
"""

from __future__ import annotations

import os
import zlib
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pcocheck.engine.frozen_init import quick_init
from pcocheck.engine.references import parse_reference
from pcocheck.fhir_types import R4_RESOURCE_TYPES
from pcocheck.finding import JsonPath
from pcocheck.inputs.stream import SlimBundle
from pcocheck.jsonutil import listed
from pcocheck.resolution.bundle import BundleEntry, BundleScope, LocalMatch
from pcocheck.resolution.identity import Identity, ResourceKey, intern, shared_claims
from pcocheck.view import ResourceView

__all__ = [
    "BundleScope",
    "DocumentState",
    "Identity",
    "IdentityRow",
    "IndexPart",
    "ReferenceContext",
    "RemoteStub",
    "Resolution",
    "Resolver",
    "ResourceKey",
    "identity_row",
    "index_entries",
    "summarize_entries",
]


class RemoteStub(dict[str, Any]):
    """What ``resolve()`` gives for a resource read elsewhere in the run: its type, id and
    claimed profiles only (the run keeps identities, not resources)."""


@quick_init
@dataclass(frozen=True, slots=True)
class Resolution:
    """The answer for one reference.

    ``status``: ``contained``, ``bundle``, ``bundle-by-id`` (warning), ``run`` (another
    input; ``identity`` says where), ``multiple`` (error), ``version-mismatch``,
    ``urn-missing`` (warning), ``contained-missing``, ``ambiguous`` (information),
    ``not-found``, ``invalid``.
    """

    status: str
    reference: str
    target: dict[str, Any] | None = None  # the resource, when it is in this document
    path: JsonPath | None = None  # where the target sits in the document
    identity: Identity | None = None  # where the target is, when in another input
    local: LocalMatch | None = None
    candidates: tuple[Identity, ...] = ()
    key: ResourceKey | None = None  # the key facts about the target are kept under

    @property
    def found(self) -> bool:
        return self.status in ("contained", "bundle", "bundle-by-id", "run")

    @property
    def target_type(self) -> str | None:
        if self.target is not None:
            value = self.target.get("resourceType")
            return value if isinstance(value, str) else None
        if self.identity is not None:
            return self.identity.resource_type
        return None

    def how(self) -> str:
        """How the reference was resolved, for messages."""
        if self.status == "contained":
            return "contained in the same resource"
        if self.status in ("bundle", "bundle-by-id"):
            entry = self.local.entry if self.local is not None else None
            at = f", entry {entry.index}" if entry is not None else ""
            return f"in the same Bundle{at}"  # e.g. "in the same Bundle, entry 3"
        if self.status == "run" and self.identity is not None:
            return f"in {self.identity.where()}"
        if self.status == "ambiguous":
            return f"ambiguous: {describe_candidates(self.candidates)}"
        if self.status == "multiple" and self.local is not None:
            return f"{len(self.local.candidates)} matches in the Bundle"
        if self.status == "version-mismatch":
            return "no entry of the Bundle has that version"
        if self.status == "urn-missing":
            return "not locally contained within the Bundle"
        if self.status == "contained-missing":
            return "no contained resource has that id"
        return "not found in the input"


def describe_candidates(candidates: tuple[Identity, ...]) -> str:
    shown = ", ".join(c.where() for c in candidates[:5])
    more = f" and {len(candidates) - 5} more" if len(candidates) > 5 else ""
    return f"{len(candidates)} resources in this run are {candidates[0].key} ({shown}{more})"


class ReferenceContext:
    """Where references inside one resource resolve from: its container (for ``#id``), the
    Bundle it is an entry of and its fullUrl, and the document it was read from.

    Callable like the engine's resolver (``reference -> resource or None``)."""

    __slots__ = ("bundle", "container", "container_path", "document", "full_url", "resolver")

    def __init__(
        self,
        resolver: Resolver,
        document: DocumentState,
        container: dict[str, Any],
        container_path: JsonPath,
        bundle: BundleScope | None,
        full_url: str | None,
    ) -> None:
        self.resolver = resolver
        self.document = document
        self.container = container
        self.container_path = container_path
        self.bundle = bundle
        self.full_url = full_url

    def __call__(self, reference: str) -> dict[str, Any] | None:
        return self.target(self.resolve(reference))

    def resolve(self, reference: str) -> Resolution:
        return self._resolve(reference.strip())

    def target(self, resolution: Resolution) -> dict[str, Any] | None:
        """The resource a resolution gives FHIRPath and slicing: the resource itself in
        this document, a :class:`RemoteStub` for one read elsewhere, else None."""
        if resolution.target is not None:
            return resolution.target
        if resolution.status == "run" and resolution.identity is not None:
            identity = resolution.identity
            rtype, _, rid = identity.key.partition("/")
            stub = RemoteStub(resourceType=rtype, id=rid)
            if identity.claims:
                stub["meta"] = {"profile": list(identity.claims)}
            return stub
        return None

    def _resolve(self, reference: str) -> Resolution:
        if reference.startswith("#"):
            return self._contained(reference)
        parsed = parse_reference(reference)
        if parsed.kind == "invalid":
            return Resolution("invalid", reference)
        if self.bundle is not None:
            local = self.bundle.match(reference, self.full_url)
            if local.entry is not None:
                return self._local(reference, local, local.entry)
            if local.status in ("multiple", "version-mismatch"):
                return Resolution(local.status, reference, local=local)
        if parsed.kind == "urn":
            return Resolution("urn-missing", reference)
        if parsed.key is None:
            return Resolution("not-found", reference)
        candidates = self.resolver.candidates(parsed.key, parsed.base, self.document.file)
        if len(candidates) == 1:
            identity = candidates[0]
            if self.document.holds(identity):
                return Resolution("not-found", reference)
            return Resolution("run", reference, identity=identity, key=identity.resource_key)
        if len(candidates) > 1:
            return Resolution("ambiguous", reference, candidates=candidates)
        return Resolution("not-found", reference)

    def _local(self, reference: str, local: LocalMatch, entry: BundleEntry) -> Resolution:
        assert self.bundle is not None
        path = self.bundle.entry_path(entry)
        status = "bundle" if local.status == "found" else "bundle-by-id"
        return Resolution(
            status,
            reference,
            target=entry.resource,
            path=path,
            local=local,
            key=self.document.key_of(path),
        )

    def _contained(self, reference: str) -> Resolution:
        local_id = reference[1:]
        if not local_id:
            return Resolution(
                "contained",
                reference,
                target=self.container,
                path=self.container_path,
                key=self.document.key_of(self.container_path),
            )
        for index, item in enumerate(listed(self.container.get("contained"))):
            if isinstance(item, dict) and item.get("id") == local_id:
                path = (*self.container_path, "contained", index)
                return Resolution(
                    "contained", reference, target=item, path=path, key=self.document.key_of(path)
                )
        return Resolution("contained-missing", reference)


class DocumentState:
    """What one document (a file's JSON, or one NDJSON record) needs while it is checked:
    its Bundle scopes, keyed by the Bundle's JSON path. Lifetime: from the first resource of
    the document to the first resource of the next one (see :meth:`Resolver.document`)."""

    __slots__ = ("file", "line", "root", "root_view", "scopes")

    def __init__(self, root_view: ResourceView) -> None:
        self.root_view = root_view
        self.root = root_view.resource
        source = root_view.anchor.source
        self.file = intern(root_view.anchor.file or "")
        self.line = source.first_line if source is not None and source.record else None
        self.scopes: dict[JsonPath, BundleScope] = {}

    def holds(self, identity: Identity) -> bool:
        return identity.file == self.file and identity.line == self.line

    def scope(self, bundle: dict[str, Any], path: JsonPath) -> BundleScope:
        found = self.scopes.get(path)
        if found is None:
            found = self.scopes[path] = BundleScope(bundle, path)
        return found

    def key_of(self, path: JsonPath) -> ResourceKey:
        """The fact key of the resource at ``path`` (a top-level Bundle entry, the root, or
        a resource contained in one of them)."""
        entry = None
        rest = path
        if len(path) >= 3 and path[0] == "entry" and path[2] == "resource":
            entry = path[1] if isinstance(path[1], int) else None
            rest = path[3:]
        contained: str | None = None
        if len(rest) == 2 and rest[0] == "contained":
            node = self.node(path)
            cid = node.get("id") if isinstance(node, dict) else None
            contained = cid if isinstance(cid, str) else f"[{rest[1]}]"
        elif rest:
            contained = "/".join(str(step) for step in rest)  # deeper: unique, never shared
        return (self.file, self.line, entry, contained)

    def node(self, path: JsonPath) -> Any:
        node: Any = self.root
        for position, step in enumerate(path):
            node = _child(node, step) if position != 2 else _entry_child(self.root, path, node)
            if node is _MISSING:
                return None
        return node


# One resource in the run-wide index is one row of parallel arrays: its key's 64-bit hash,
# its place packed into two ints (the NDJSON line; the file number, entry and claimed-profile
# set number), the end of its key's UTF-8 text in one byte string (the exact check on a hash
# hit), and its fullUrl for a Bundle entry that has one. An open-addressing table of row
# numbers finds the rows of a key. A 1,000,000-record export costs about 60 bytes per
# resource this way (a dict of key strings and ints cost about 140).
_LINE_BITS, _FILE_BITS, _ENTRY_BITS, _CLAIMS_BITS = 32, 24, 24, 16
_FIRST_SLOTS = 1 << 10
_NO_CLAIMS = (1 << _CLAIMS_BITS) - 1  # the claims number of a row whose list was not kept


def key_hash(data: bytes) -> int:
    """A 64-bit hash of a key's UTF-8 text, the same in every process (the index travels to
    Dask workers, which do not share this process's string hash seed)."""
    return zlib.crc32(data) | zlib.adler32(data) << 32


class RunIndex:
    """Every resource of the run with an id, by ``Type/id`` (all the places where resources
    with that key were read, in the order they were added), plus the canonical URLs of
    conformance resources read from the input. Lifetime: the run."""

    __slots__ = (
        "_claims",
        "_claims_no",
        "_file_no",
        "_files",
        "_full_urls",
        "_hashes",
        "_key_ends",
        "_keys",
        "_lines",
        "_places",
        "_slots",
        "canonicals",
    )

    def __init__(self) -> None:
        self.canonicals: dict[str, str] = {}  # canonical url -> resourceType, from the input
        self._files: list[str] = []
        self._file_no: dict[str, int] = {}
        self._claims: list[tuple[str, ...]] = []
        self._claims_no: dict[tuple[str, ...], int] = {}
        self._hashes = array("Q")
        self._lines = array("I")
        self._places = array("Q")
        self._key_ends = array("Q")
        self._keys = bytearray()
        self._full_urls: dict[int, str] = {}  # row -> fullUrl (Bundle entries only)
        self._slots = array("I", bytes(4 * _FIRST_SLOTS))  # row + 1, or 0 for a free slot

    def __len__(self) -> int:
        return len(self._hashes)

    def _file_number(self, file: str) -> int:
        file_no = self._file_no.get(file)
        if file_no is None:
            file_no = len(self._files)
            if file_no >= 1 << _FILE_BITS:
                raise ValueError(f"more than {1 << _FILE_BITS} input files in one run")
            self._file_no[file] = file_no
            self._files.append(file)
        return file_no

    def _claims_number(self, claims: tuple[str, ...]) -> int:
        claims_no = self._claims_no.get(claims)
        if claims_no is None:
            claims_no = len(self._claims)
            if claims_no < _NO_CLAIMS:
                self._claims_no[claims] = claims_no
                self._claims.append(claims)
            else:  # pathological: more distinct claim lists than a packed number holds
                claims_no = _NO_CLAIMS
        return claims_no

    def _pack(
        self, file: str, line: int | None, entry: int | None, claims: tuple[str, ...]
    ) -> tuple[int, int]:
        """(line, file number | entry | claims number) of an identity."""
        file_no = self._file_number(file)
        claims_no = self._claims_number(claims)
        packed_line = (line or 0) & ((1 << _LINE_BITS) - 1)
        packed_entry = 0 if entry is None else min(entry + 1, (1 << _ENTRY_BITS) - 1)
        return packed_line, (file_no << _ENTRY_BITS | packed_entry) << _CLAIMS_BITS | claims_no

    def _unpack(self, key: str, row: int) -> Identity:
        packed = self._places[row]
        claims_no = packed & ((1 << _CLAIMS_BITS) - 1)
        packed >>= _CLAIMS_BITS
        entry = packed & ((1 << _ENTRY_BITS) - 1)
        file_no = packed >> _ENTRY_BITS
        line = self._lines[row]
        claims = self._claims[claims_no] if claims_no < len(self._claims) else ()
        return Identity(
            key=key,
            file=self._files[file_no],
            line=line or None,
            entry=entry - 1 if entry else None,
            full_url=self._full_urls.get(row),
            claims=claims,
        )

    def add(self, identity: Identity) -> None:
        self.add_row(
            identity.key,
            identity.file,
            identity.line,
            identity.entry,
            identity.full_url,
            identity.claims,
        )

    def add_row(
        self,
        key: str,
        file: str,
        line: int | None,
        entry: int | None,
        full_url: str | None,
        claims: tuple[str, ...],
    ) -> None:
        """:meth:`add` an identity given as its fields (no object per resource)."""
        data = key.encode("utf-8", "surrogatepass")
        hashed = key_hash(data)
        packed_line, packed = self._pack(file, line, entry, claims)
        slots, hashes = self._slots, self._hashes
        mask = len(slots) - 1
        free = hashed & mask
        while True:  # candidates()'s probe, inline: this runs once per resource of the run
            known = slots[free] - 1
            if known < 0:
                break
            if (
                hashes[known] == hashed
                and self._places[known] == packed
                and self._lines[known] == packed_line
                and self._key(known) == data
                and self._full_urls.get(known) == full_url
            ):
                return  # known already (the first pass and the checking pass both add)
            free = (free + 1) & mask
        row = len(self._hashes)
        self._hashes.append(hashed)
        self._lines.append(packed_line)
        self._places.append(packed)
        self._keys += data
        self._key_ends.append(len(self._keys))
        if full_url is not None:
            self._full_urls[row] = full_url
        self._slots[free] = row + 1
        if 2 * len(self._hashes) > len(self._slots):
            self._grow()

    # -- a parallel first pass: parts built by workers, appended here in shard order ------
    def export_part(self) -> IndexPart:
        """This index's rows as a part for :meth:`extend` (plain bytes: cheap to pickle)."""
        return IndexPart(
            tuple(self._files),
            tuple(self._claims),
            self._hashes.tobytes(),
            self._lines.tobytes(),
            self._places.tobytes(),
            self._key_ends.tobytes(),
            bytes(self._keys),
            dict(self._full_urls),
            dict(self.canonicals),
        )

    def extend(self, part: IndexPart, disjoint: bool = True) -> None:
        """Add ``part``'s rows after this index's own, as :meth:`add_row` would add each in
        its order. ``disjoint``: none of them can be here already (parts of distinct
        shards — other files, or other lines of the same file — added to an index that
        held nothing else), so no row is compared and the work per row is a few array
        operations and one hash slot; else each row goes through :meth:`add_row`."""
        for url, rtype in part.canonicals.items():
            self.canonicals.setdefault(url, rtype)
        if not disjoint:
            for key, file, line, entry, full_url, claims in part.rows():
                self.add_row(key, intern(file), line, entry, full_url, claims)
            return
        places = array("Q")
        places.frombytes(part.places)
        file_numbers = [self._file_number(intern(file)) for file in part.files]
        claim_numbers = [self._claims_number(claim_list) for claim_list in part.claims]
        if len(claim_numbers) == _NO_CLAIMS:  # the part's own overflow number: still no claims
            claim_numbers.append(_NO_CLAIMS)
        if file_numbers != list(range(len(file_numbers))) or claim_numbers != list(
            range(len(claim_numbers))
        ):
            places = _renumbered(places, file_numbers, claim_numbers)
        first_row, first_key = len(self._hashes), len(self._keys)
        self._hashes.frombytes(part.hashes)
        self._lines.frombytes(part.lines)
        self._places.extend(places)
        ends = array("Q")
        ends.frombytes(part.key_ends)
        if first_key:
            ends = array("Q", [end + first_key for end in ends])
        self._key_ends.extend(ends)
        self._keys += part.keys
        for row, full_url in part.full_urls.items():
            self._full_urls[row + first_row] = full_url
        size = len(self._slots)
        while 2 * len(self._hashes) > size:
            size *= 2
        if size != len(self._slots):
            self._slots = array("I", bytes(4 * size))
            first_row = 0  # every row placed again, in row order (see _grow)
        self._place(first_row)

    def _place(self, first_row: int) -> None:
        """Give the rows from ``first_row`` on their hash slots, in row order."""
        slots = self._slots
        mask = len(slots) - 1
        for row, hashed in enumerate(self._hashes[first_row:], start=first_row + 1):
            slot = hashed & mask
            while slots[slot]:
                slot = (slot + 1) & mask
            slots[slot] = row  # row + 1: 0 marks a free slot

    def _key(self, row: int) -> bytes:
        ends = self._key_ends
        return bytes(self._keys[ends[row - 1] if row else 0 : ends[row]])

    def _grow(self) -> None:
        """Twice the slots, every row placed again in row order (so the rows of a key stay
        in the order they were added)."""
        self._slots = array("I", bytes(8 * len(self._slots)))
        self._place(0)

    def candidates(self, key: str) -> list[Identity]:
        data = key.encode("utf-8", "surrogatepass")
        hashed = key_hash(data)
        # Linear probing from the key's hash slot to the first empty slot passes every row
        # with this key, in the order they were added (no generator: this runs once per
        # distinct reference).
        slots, hashes, ends, keys = self._slots, self._hashes, self._key_ends, self._keys
        mask = len(slots) - 1
        slot = hashed & mask
        found: list[Identity] = []
        while True:
            row = slots[slot] - 1
            if row < 0:
                return found
            if hashes[row] == hashed:
                start = ends[row - 1] if row else 0
                if keys[start : ends[row]] == data:
                    found.append(self._unpack(key, row))
            slot = (slot + 1) & mask


@dataclass(frozen=True, slots=True)
class IndexPart:
    """The rows of a :class:`RunIndex` built from one shard of a parallel first pass, as
    its packed arrays' bytes (numbers of files and claim lists are the part's own: the
    index that extends itself with it renumbers them)."""

    files: tuple[str, ...]
    claims: tuple[tuple[str, ...], ...]
    hashes: bytes
    lines: bytes
    places: bytes
    key_ends: bytes
    keys: bytes
    full_urls: dict[int, str]  # the part's row -> fullUrl
    canonicals: dict[str, str]

    def moved(self, file: str, entries: int) -> IndexPart:
        """This part's rows as read from ``file`` (the part's one file, or none) with their
        entry numbers ``entries`` higher: the part of a piece of a Bundle's entry array,
        indexed where the piece's place in the array was not known (see
        :func:`summarize_entries`)."""
        if len(self.files) > 1:
            raise ValueError("only a part of one file can be moved")
        places = self.places
        if entries:
            packed = array("Q")
            packed.frombytes(places)
            entry_mask = (1 << _ENTRY_BITS) - 1
            field_mask = entry_mask << _CLAIMS_BITS
            # an entry's packed number is entry + 1 (0: no entry), capped at the mask
            packed = array(
                "Q",
                [
                    p & ~field_mask
                    | min(((p >> _CLAIMS_BITS) & entry_mask) + entries, entry_mask) << _CLAIMS_BITS
                    if p & field_mask
                    else p
                    for p in packed
                ],
            )
            places = packed.tobytes()
        return IndexPart(
            (file,) if self.files else (),
            self.claims,
            self.hashes,
            self.lines,
            places,
            self.key_ends,
            self.keys,
            self.full_urls,
            self.canonicals,
        )

    def rows(
        self,
    ) -> Iterator[tuple[str, str, int | None, int | None, str | None, tuple[str, ...]]]:
        """(key, file, line, entry, fullUrl, claims) of every row, in order (as
        :meth:`RunIndex.add_row` takes them)."""
        places, lines, ends = array("Q"), array("I"), array("Q")
        places.frombytes(self.places)
        lines.frombytes(self.lines)
        ends.frombytes(self.key_ends)
        start = 0
        for row, (packed, line, end) in enumerate(zip(places, lines, ends, strict=True)):
            key = self.keys[start:end].decode("utf-8", "surrogatepass")
            start = end
            claims_no = packed & _NO_CLAIMS
            entry = (packed >> _CLAIMS_BITS) & ((1 << _ENTRY_BITS) - 1)
            file = self.files[packed >> (_CLAIMS_BITS + _ENTRY_BITS)]
            claims = self.claims[claims_no] if claims_no < len(self.claims) else ()
            yield (
                key,
                file,
                line or None,
                entry - 1 if entry else None,
                self.full_urls.get(row),
                claims,
            )


def _renumbered(places: array[int], files: list[int], claims: list[int]) -> array[int]:
    """Packed places with their file and claim-list numbers mapped through ``files`` and
    ``claims`` (a part's numbers -> the index's)."""
    claims_mask = (1 << _CLAIMS_BITS) - 1
    entry_mask = (1 << _ENTRY_BITS) - 1
    file_shift = _CLAIMS_BITS + _ENTRY_BITS
    return array(
        "Q",
        [
            (files[p >> file_shift] << _ENTRY_BITS | (p >> _CLAIMS_BITS) & entry_mask)
            << _CLAIMS_BITS
            | claims[p & claims_mask]
            for p in places
        ],
    )


_MISSING = object()


def _child(node: Any, step: str | int) -> Any:
    """``node[step]`` when it exists in the JSON, else ``_MISSING``."""
    if isinstance(step, int):
        if isinstance(node, list) and 0 <= step < len(node):
            return node[step]
        return _MISSING
    if isinstance(node, dict) and step in node:
        return node[step]
    return _MISSING


def _entry_child(root: Any, path: JsonPath, node: Any) -> Any:
    """The third step of ``path`` from ``root``: a large Bundle's top-level entry holds a
    stub for its resource, which is parsed here (see :mod:`pcocheck.inputs.stream`)."""
    step = path[2]
    if (
        step == "resource"
        and isinstance(root, SlimBundle)
        and path[0] == "entry"
        and isinstance(path[1], int)
        and isinstance(node, dict)
        and step in node
    ):
        return root.resource_at(path[1])
    return _child(node, step)


def _base_of(full_url: str | None) -> str | None:
    if not full_url:
        return None
    parsed = parse_reference(full_url)
    return parsed.base if parsed.kind == "absolute" else None


def canonical_of(view: ResourceView) -> tuple[str, str] | None:
    """(canonical URL without version, resource type) of a conformance resource."""
    rtype = view.resource_type
    url = view.resource.get("url")
    if isinstance(url, str) and rtype in CANONICAL_TYPES:
        return url.split("|", 1)[0], rtype
    return None


# What the first pass sends back per resource: (key, line, entry, fullUrl, claims); the
# file is the shard's.
IdentityRow = tuple[str, int | None, int | None, str | None, tuple[str, ...]]


def identity_row(view: ResourceView) -> IdentityRow | None:
    """What the run-wide index keeps of a resource with a type and an id, but its file:
    plain data, no object per resource (a bulk export's first pass makes one per record)."""
    resource = view.resource
    rid = resource.get("id")
    rtype = resource.get("resourceType")
    if not isinstance(rid, str) or not rid or not isinstance(rtype, str) or not rtype:
        return None
    anchor = view.anchor
    source = anchor.source
    line = source.first_line if source is not None and source.record else None
    key = f"{rtype}/{rid}"
    label = anchor.resource
    if label is not None and label == key:
        key = label  # the label its anchor and PCO facts keep: one string
    claims = shared_claims(tuple(view.claimed_profiles))
    # key not interned: the index keeps one copy per key
    return key, line, anchor.entry, view.full_url or None, claims


def _entry_resources(
    entries: list[Any], start: int = 0, end: int | None = None
) -> Iterator[tuple[int, dict[str, Any], dict[str, Any], str]]:
    """(number, entry, resource stub, resourceType) of the entries ``entries[start:end]``
    that hold a resource of an R4 type: those split_resources makes views of."""
    for number in range(start, len(entries) if end is None else min(end, len(entries))):
        entry = entries[number]
        if type(entry) is not dict:
            continue
        resource = entry.get("resource", _MISSING)
        if type(resource) is not dict:
            continue  # absent, or no resource
        rtype = resource.get("resourceType")
        if type(rtype) is not str or rtype not in R4_RESOURCE_TYPES:
            continue
        yield number, entry, resource, rtype


def index_entries(
    index: RunIndex, entries: list[Any], file: str, start: int = 0, end: int | None = None
) -> int:
    """Index the top-level entries ``entries[start:end]`` of a slim Bundle read from
    ``file`` (see :mod:`pcocheck.inputs.stream`: each resource a stub with its type, id,
    url and meta) as :meth:`Resolver.add` indexes the views the first pass makes of them
    (:func:`identity_row`, :func:`canonical_of`), without making any view. Returns 1 +
    the highest entry number of those that are resources (0 when none is): the entries
    the first pass counts."""
    add = index.add_row
    canonicals = index.canonicals
    count = 0
    for number, entry, resource, rtype in _entry_resources(entries, start, end):
        count = number + 1
        rid = resource.get("id")
        if type(rid) is str and rid:
            full_url = entry.get("fullUrl")
            add(
                f"{rtype}/{rid}",
                file,
                None,
                number,
                full_url if type(full_url) is str and full_url else None,
                shared_claims(_claimed(resource)),
            )
        if rtype in CANONICAL_TYPES:
            url = resource.get("url")
            if type(url) is str:
                canonicals.setdefault(url.split("|", 1)[0], rtype)
    return count


def _claimed(resource: dict[str, Any]) -> tuple[str, ...]:
    """:attr:`ResourceView.claimed_profiles` of a resource, as a tuple."""
    meta = resource.get("meta")
    if type(meta) is not dict:
        return ()
    profiles = meta.get("profile")
    if type(profiles) is not list:
        return ()
    return tuple(p for p in profiles if type(p) is str)


def summarize_entries(entries: list[Any]) -> tuple[IndexPart, int]:
    """What a helper that scanned a piece of a Bundle's entry array sends back besides its
    slim entries: their rows of the run-wide index, numbered from the piece's first entry
    and of no file yet (see :meth:`IndexPart.moved`), and :func:`index_entries`' count.
    The parent then appends them (:meth:`RunIndex.extend`) instead of indexing the
    piece's entries itself, which was serial work before the checks could start.

    The part is packed here directly, as :meth:`RunIndex.export_part` gives the rows
    :func:`index_entries` adds to an empty index (tests/parallel/test_bundle_index.py):
    no hash table is built, and no row is compared with the others (each has its own
    entry number, so none repeats another)."""
    claims_numbers: dict[tuple[str, ...], int] = {}
    claim_lists: list[tuple[str, ...]] = []
    hashes, places, key_ends = array("Q"), array("Q"), array("Q")
    keys = bytearray()
    full_urls: dict[int, str] = {}
    canonicals: dict[str, str] = {}
    entry_mask = (1 << _ENTRY_BITS) - 1
    count = 0
    for number, entry, resource, rtype in _entry_resources(entries):
        count = number + 1
        rid = resource.get("id")
        if type(rid) is str and rid:
            data = f"{rtype}/{rid}".encode("utf-8", "surrogatepass")
            claims = shared_claims(_claimed(resource))
            claims_no = claims_numbers.get(claims)
            if claims_no is None:  # as RunIndex._claims_number
                claims_no = len(claim_lists)
                if claims_no < _NO_CLAIMS:
                    claims_numbers[claims] = claims_no
                    claim_lists.append(claims)
                else:
                    claims_no = _NO_CLAIMS
            full_url = entry.get("fullUrl")
            if type(full_url) is str and full_url:
                full_urls[len(hashes)] = full_url
            hashes.append(key_hash(data))
            # as RunIndex._pack: no line, file number 0, the entry + 1 (capped)
            places.append(min(number + 1, entry_mask) << _CLAIMS_BITS | claims_no)
            keys += data
            key_ends.append(len(keys))
        if rtype in CANONICAL_TYPES:
            url = resource.get("url")
            if type(url) is str:
                canonicals.setdefault(url.split("|", 1)[0], rtype)
    part = IndexPart(
        ("",) if hashes else (),
        tuple(claim_lists),
        hashes.tobytes(),
        bytes(4 * len(hashes)),  # the lines: none (array "I", zeros)
        places.tobytes(),
        key_ends.tobytes(),
        bytes(keys),
        full_urls,
        canonicals,
    )
    return part, count


ANSWERS_KEPT = 256  # candidates() answers remembered, at most (more costs the collector more)


class Resolver:
    """The run's resolver: the run-wide index plus the state of the current document."""

    def __init__(self) -> None:
        self.index = RunIndex()
        self._document: DocumentState | None = None
        # True when a runner indexes every resource (first pass, or as inputs that cannot
        # be re-read are read); checkers then need not index what they check.
        self.managed = False
        # Answers of candidates() while the index is unchanged (the same index object
        # with the same number of rows): an export refers to the same few patients and
        # practitioners again and again. Key: (key, base, referring file); bounded.
        self._answers: dict[tuple[str, str | None, str], tuple[Identity, ...]] = {}
        self._answered: tuple[RunIndex, int] | None = None
        self._view_context: tuple[ResourceView, ReferenceContext] | None = None

    def add_checked(self, view: ResourceView) -> None:
        """Index a resource a checker is about to check, unless a runner does it."""
        if not self.managed:
            self.add(view)

    # -- the run-wide index -----------------------------------------------------------
    def add(self, view: ResourceView) -> None:
        """Index one resource (idempotent: the first pass and the checking pass both call it)."""
        canonical = canonical_of(view)
        if canonical is not None:
            self.index.canonicals.setdefault(*canonical)
        row = identity_row(view)
        if row is not None:
            key, line, entry, full_url, claims = row
            self.index.add_row(key, intern(view.anchor.file or ""), line, entry, full_url, claims)

    def candidates(self, key: str, base: str | None, near_file: str) -> tuple[Identity, ...]:
        """The resources of the run a non-local ``Type/id`` reference can mean, nearest
        first: with the same server base when the reference is absolute; those in the
        referring file when it has any (an NDJSON export refers within itself), else those
        in the referring file's folder (a bulk export is a folder of NDJSON files), else
        the whole run. Sorted by where they are."""
        index = self.index
        answered = self._answered
        if answered is None or answered[0] is not index or answered[1] != len(index):
            self._answers.clear()
            self._answered = (index, len(index))
        question = (key, base, near_file)
        answer = self._answers.get(question)
        if answer is None:
            answer = self._candidates(key, base, near_file)
            if len(self._answers) >= ANSWERS_KEPT:
                self._answers.clear()
            self._answers[question] = answer
        return answer

    def _candidates(self, key: str, base: str | None, near_file: str) -> tuple[Identity, ...]:
        found = self.index.candidates(key)
        if base is None and len(found) < 2:
            return tuple(found)  # the usual answer: nothing to filter or sort
        if base is not None:
            found = [c for c in found if _base_of(c.full_url) == base]
        if len(found) > 1:
            same_file = [c for c in found if c.file == near_file]
            if same_file:
                found = same_file
            else:
                folder = os.path.dirname(near_file)
                same_folder = [c for c in found if os.path.dirname(c.file) == folder]
                if same_folder:
                    found = same_folder
        return tuple(sorted(found, key=lambda c: (c.file, c.line or 0, c.entry or -1)))

    def canonical_type(self, url: str) -> str | None:
        return self.index.canonicals.get(url.split("|", 1)[0])

    # -- the current document ---------------------------------------------------------
    def document(self, view: ResourceView) -> DocumentState:
        root_view = view.bundle if view.bundle is not None else view
        current = self._document
        # The same document again (a parallel worker checks several parts of one large
        # Bundle, each split anew): its state, the Bundle's scope included, is kept.
        if current is None or (
            current.root_view is not root_view and current.root is not root_view.resource
        ):
            current = self._document = DocumentState(root_view)
        return current

    def context(self, view: ResourceView, rel: JsonPath = ()) -> ReferenceContext:
        """The reference context of the resource at ``rel`` inside ``view``'s resource."""
        if rel:
            return self._context_at(self.document(view), (*view.anchor.base_path, *rel))
        # The engine and the rules both ask for the resource's own context: made once
        # per view (it only reads the document, which the view's check does not change),
        # and let go at the second ask, so that the resource is not kept past its checks.
        last = self._view_context
        if last is not None and last[0] is view:
            self._view_context = None
            self.document(view)
            return last[1]
        context = self._context_at(self.document(view), view.anchor.base_path)
        self._view_context = (view, context)
        return context

    def context_in(self, view: ResourceView, path: JsonPath) -> ReferenceContext:
        """The reference context of the resource at ``path`` from the document root."""
        return self._context_at(self.document(view), path)

    def _context_at(self, document: DocumentState, path: JsonPath) -> ReferenceContext:
        node: Any = document.root
        container: dict[str, Any] = node
        container_path: JsonPath = ()
        bundle: BundleScope | None = None
        full_url: str | None = None
        trail: list[Any] = [node]
        for position, step in enumerate(path):
            node = _child(node, step) if position != 2 else _entry_child(document.root, path, node)
            if node is _MISSING:
                break
            trail.append(node)
            if not (isinstance(node, dict) and isinstance(node.get("resourceType"), str)):
                continue
            here = path[: position + 1]
            if len(here) >= 2 and here[-2] == "contained":
                continue  # a contained resource resolves at its container's level
            if len(here) >= 3 and here[-3:][0] == "entry" and here[-1] == "resource":
                holder = trail[-4] if len(trail) >= 4 else None
                entry = trail[-2]
                if isinstance(holder, dict) and holder.get("resourceType") == "Bundle":
                    bundle = document.scope(holder, here[:-3])
                    raw = entry.get("fullUrl") if isinstance(entry, dict) else None
                    full_url = raw if isinstance(raw, str) else None
                else:
                    bundle, full_url = None, None
            else:
                bundle, full_url = None, None  # Parameters.parameter.resource and the like
            container, container_path = node, here
        return ReferenceContext(self, document, container, container_path, bundle, full_url)


CANONICAL_TYPES = frozenset(
    {
        "StructureDefinition",
        "ValueSet",
        "CodeSystem",
        "Questionnaire",
        "ConceptMap",
        "NamingSystem",
        "CapabilityStatement",
        "OperationDefinition",
        "SearchParameter",
        "PlanDefinition",
        "ActivityDefinition",
        "Library",
        "Measure",
        "ImplementationGuide",
        "CompartmentDefinition",
        "GraphDefinition",
        "MessageDefinition",
        "StructureMap",
        "TerminologyCapabilities",
        "ObservationDefinition",
        "SpecimenDefinition",
        "EventDefinition",
        "ChargeItemDefinition",
        "EffectEvidenceSynthesis",
        "Evidence",
        "EvidenceVariable",
        "ExampleScenario",
        "ResearchDefinition",
        "ResearchElementDefinition",
        "RiskEvidenceSynthesis",
        "TestScript",
    }
)
