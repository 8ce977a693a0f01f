"""What the run's first pass needs of what was read: the view of every resource, to index
its identity (see :meth:`pcocheck.runner.Run.prescan`), made with as little as possible.

The first pass reads every input once more before the checks do, so on a large NDJSON
export its cost per record is paid twice over; it drops the reading's findings (the
checking pass reports them) and makes a plain record's view directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pcocheck.fhir_types import R4_RESOURCE_TYPES
from pcocheck.finding import Finding
from pcocheck.inputs.read import Document
from pcocheck.inputs.resources import split_resources
from pcocheck.view import Anchor, ResourceView


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
