"""What the run's first pass needs of what was read: the view of every resource, to index
its identity (see :meth:`pcocheck.runner.Run.prescan`), made with as little as possible.

The first pass reads every input once more before the checks do, so on a large NDJSON
export its cost per record is paid twice over; it drops the reading's findings (the
checking pass reports them) and makes a plain record's view directly. A large Bundle read
slim (:mod:`pcocheck.inputs.stream`) is indexed from its entries' stubs, without a view
per entry (:func:`index_read`): in a parallel run over one Bundle that pass is serial
work before any check starts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from pcocheck.fhir_types import R4_RESOURCE_TYPES
from pcocheck.finding import Finding
from pcocheck.inputs.read import Document
from pcocheck.inputs.resources import entry_view, split_resources
from pcocheck.inputs.stream import WHOLE_FOR_INDEX, SlimBundle
from pcocheck.view import Anchor, ResourceView

if TYPE_CHECKING:
    from pcocheck.resolution import Resolver

Hook = Callable[[ResourceView], None]


def views_to_index(produced: Iterable[Document | Finding]) -> Iterator[ResourceView]:
    """The resource views :func:`split_resources` makes of ``produced``, without its
    findings. An NDJSON record that is one resource (not a Bundle) gets the same view
    split_resources would give it (tests/inputs/test_first_pass.py), made here: the
    generator and the checks it would run again cost more than the view."""
    for document in produced:
        if isinstance(document, Finding):
            continue
        value = document.value
        source = document.source
        if source.record and type(value) is dict:
            rtype = value.get("resourceType")
            if type(rtype) is str and rtype != "Bundle" and rtype in R4_RESOURCE_TYPES:
                rid = value.get("id")
                label = f"{rtype}/{rid}" if isinstance(rid, str) else rtype
                yield ResourceView(value, Anchor(source, source.file, rtype, (), None, label))
                continue
        for view in split_resources(document, index_only=True):
            if not isinstance(view, Finding):
                yield view


def watched_types(indexers: Iterable[Any]) -> frozenset[str] | None:
    """The resource types the checkers' first-pass hooks look at (each declares them as
    ``prescan_types``), or None when one does not say (then every resource gets a view)."""
    watched: set[str] = set()
    for checker in indexers:
        types = getattr(checker, "prescan_types", None)
        if types is None:
            return None
        watched.update(types)
    return frozenset(watched)


def index_read(
    produced: Iterable[Document | Finding], resolvers: Sequence[Resolver], indexers: list[Any]
) -> int:
    """Index what was read into ``resolvers`` and show it to the ``indexers``' first-pass
    hooks (``prescan``), as indexing every view of :func:`views_to_index` does; returns
    the number of top-level Bundle entries seen (1 + the highest entry index of a view).

    A slim Bundle's entries are indexed from their stubs (:func:`index_entries`), or from
    the rows helpers made of them while they scanned them (``SlimBundle.summaries``); only
    the resources whose type a hook looks at get views (a Questionnaire's whole resource
    parsed: see ``WHOLE_FOR_INDEX``)."""
    hooks: list[Hook] = [getattr(checker, "prescan") for checker in indexers]  # noqa: B009
    watched = watched_types(indexers)
    entries = 0
    for document in produced:
        if isinstance(document, Finding):
            continue
        if isinstance(document.value, SlimBundle) and watched is not None:
            entries = max(entries, _index_slim(document, resolvers, hooks, watched))
            continue
        for view in views_to_index((document,)):
            entry = view.anchor.entry
            if entry is not None and entry >= entries:
                entries = entry + 1
            for resolver in resolvers:
                resolver.add(view)
            for hook in hooks:
                hook(view)
    return entries


def _index_slim(
    document: Document, resolvers: Sequence[Resolver], hooks: list[Hook], watched: frozenset[str]
) -> int:
    """:func:`index_read` of one slim Bundle: the rows in entry order (the root's, then the
    entries' ranges, each indexed here or appended from a helper's summary), then the
    views the hooks look at, in entry order (the hooks keep state of their own)."""
    from pcocheck.resolution import index_entries, summarize_entries
    from pcocheck.resolution.identity import intern

    root = document.value
    assert isinstance(root, SlimBundle)
    source = document.source
    root_view = next(iter(split_resources(document, lambda entry: entry is None)))
    assert isinstance(root_view, ResourceView)  # a slim Bundle is a resource
    # Parts are appended without comparing rows only to an index that held none before
    # this document (its own rows never repeat: each has its entry number).
    fresh = [len(resolver.index) == 0 for resolver in resolvers]
    for resolver in resolvers:
        resolver.add(root_view)
    if root_view.resource_type in watched:
        for hook in hooks:
            hook(root_view)
    slim_entries = root.get("entry")
    if not isinstance(slim_entries, list):
        return 0
    file = intern(source.file)
    count = 0
    position = 0
    summaries, root.summaries = root.summaries, []  # used once: their rows let go after
    for first, size, summary in [*summaries, (len(slim_entries), 0, None)]:
        if first > position:  # entries no helper summarized: indexed here
            if all(fresh):  # packed at once and appended (faster than row by row)
                part, counted = summarize_entries(slim_entries[position:first])
                moved = part.moved(file, position)
                for resolver in resolvers:
                    resolver.index.extend(moved)
                count = max(count, position + counted if counted else 0)
            else:
                for resolver in resolvers:
                    indexed = index_entries(resolver.index, slim_entries, file, position, first)
                    count = max(count, indexed)
        if summary is not None:
            part, counted = summary
            moved = part.moved(file, first)
            for resolver, disjoint in zip(resolvers, fresh, strict=True):
                resolver.index.extend(moved, disjoint)
            if counted:
                count = max(count, first + counted)
        position = first + size
    if watched:
        for view in _hooked_views(root, slim_entries, root_view, watched):
            for hook in hooks:
                hook(view)
    return count


def _hooked_views(
    root: SlimBundle, slim_entries: list[Any], root_view: ResourceView, watched: frozenset[str]
) -> Iterator[ResourceView]:
    """The views split_resources makes (for a first pass) of the entries whose resource
    type is in ``watched``."""
    for number, entry in enumerate(slim_entries):
        if type(entry) is not dict:
            continue
        stub = entry.get("resource")
        if type(stub) is not dict:
            continue
        rtype = stub.get("resourceType")
        if type(rtype) is not str or rtype not in watched or rtype not in R4_RESOURCE_TYPES:
            continue
        resource = root.resource_at(number) if rtype in WHOLE_FOR_INDEX else stub
        yield entry_view(root_view, number, entry, resource)
