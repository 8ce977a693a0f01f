"""The resource view: one FHIR resource that was read, with everything needed to
report on it (file, entry index, JSON path prefix), and the one place where findings
are built and located.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from pcocheck.catalog import lookup
from pcocheck.engine.frozen_init import quick_init
from pcocheck.finding import Finding, JsonPath, Severity
from pcocheck.inputs.source import RecordLine, SourceText
from pcocheck.jsonutil import shorten
from pcocheck.pickling import pickled_by_fields

Emit = Callable[[Finding], None]

# Findings echo input (ids, keys, codes, URLs): bounded so that a hostile value cannot
# flood a report. Real messages stay far below these.
MAX_MESSAGE = 2000
MAX_EXPRESSION = 1000
MAX_LABEL = 200

# The finding codes a run keeps (``--select``/``--ignore``), when it drops some: a dropped
# finding is never shown, so its line and column are not looked up (a lookup may seek
# through the record's text). None: every finding is located. A context variable, so that
# runs in other threads of the same process (the Python API) keep their own choice.
_located: ContextVar[Callable[[str], bool] | None] = ContextVar("located", default=None)


@contextmanager
def locating_only(kept: Callable[[str], bool]) -> Iterator[None]:
    """Within this block, findings whose code ``kept`` rejects get no line or column."""
    token = _located.set(kept)
    try:
        yield
    finally:
        _located.reset(token)


def render_expression(root: str, path: JsonPath) -> str:
    """FHIRPath-style location: ``Bundle.entry[3].resource.extension[2]``."""
    parts = [root]
    for step in path:
        if isinstance(step, int):
            parts.append(f"[{step}]")
        else:
            parts.append(f".{step}")
    return "".join(parts)


@pickled_by_fields
@quick_init
@dataclass(frozen=True, slots=True)
class Anchor:
    """Where a resource (or document) sits: file text, root type, entry, path prefix."""

    source: SourceText | None
    file: str | None
    root: str = ""
    base_path: JsonPath = ()
    entry: int | None = None
    resource: str | None = None

    def detached(self) -> Anchor:
        """This anchor without the text of an NDJSON record, for facts kept until the end
        of a run (a file's text is shared by all its resources and is kept)."""
        source = self.source
        if source is None or not source.record:
            return self
        # Built directly: dataclasses.replace costs several times more, once per fact.
        return Anchor(
            RecordLine(source.file, source.first_line),
            self.file,
            self.root,
            self.base_path,
            self.entry,
            self.resource,
        )

    def finding(
        self,
        code: str,
        message: str,
        rel_path: JsonPath = (),
        *,
        profile: str | None = None,
        severity: Severity | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> Finding:
        spec = lookup(code)
        path = self.base_path + rel_path
        if line is None and self.source is not None:
            kept = _located.get()
            if kept is None or kept(code):
                line, column = self.source.position(path)
        expression = render_expression(self.root, path) if self.root else None
        return Finding(
            code=code,
            severity=severity if severity is not None else spec.severity,
            type=spec.type,
            message=shorten(message, MAX_MESSAGE),
            file=self.file,
            line=line,
            column=column,
            entry=self.entry,
            resource=shorten(self.resource, MAX_LABEL) if self.resource else self.resource,
            expression=shorten(expression, MAX_EXPRESSION) if expression else expression,
            profile=profile,
            json_path=path,
        )


@dataclass(slots=True)
class ResourceView:
    """A resource inside a document (the document root, a Bundle entry, or an NDJSON line)."""

    resource: dict[str, Any]
    anchor: Anchor
    full_url: str | None = None
    bundle: ResourceView | None = None

    @property
    def resource_type(self) -> str:
        value = self.resource.get("resourceType")
        return value if isinstance(value, str) else ""

    @property
    def id(self) -> str | None:
        value = self.resource.get("id")
        return value if isinstance(value, str) else None

    @property
    def label(self) -> str:
        rid = self.id
        return f"{self.resource_type}/{rid}" if rid else self.resource_type

    @property
    def claimed_profiles(self) -> list[str]:
        meta = self.resource.get("meta")
        if not isinstance(meta, dict):
            return []
        profiles = meta.get("profile")
        if not isinstance(profiles, list):
            return []
        return [p for p in profiles if isinstance(p, str)]

    def finding(
        self,
        code: str,
        message: str,
        rel_path: JsonPath = (),
        *,
        profile: str | None = None,
        severity: Severity | None = None,
    ) -> Finding:
        """A finding about the element at ``rel_path`` inside this resource."""
        return self.anchor.finding(code, message, rel_path, profile=profile, severity=severity)
