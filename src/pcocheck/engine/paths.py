"""The small FHIRPath subset used by slicing discriminators and invariant skips:
dotted navigation over JSON (arrays flatten), ``$this``, ``resolve()``,
``extension('url')`` and ``ofType(T)``. Anything else is reported as unsupported by the
caller rather than guessed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from pcocheck.jsonutil import listed

Resolver = Callable[[str], dict[str, Any] | None]
_EXTENSION = re.compile(r"^extension\(\s*'([^']*)'\s*\)$")
_OF_TYPE = re.compile(r"^ofType\(\s*([A-Za-z]+)\s*\)$")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class UnsupportedPath(ValueError):
    """The discriminator path uses FHIRPath this navigator does not implement."""


def split_path(path: str) -> list[str]:
    """Split on dots that are not inside parentheses or quotes."""
    return list(_split(path))


@functools.lru_cache(maxsize=1024)
def _split(path: str) -> tuple[str, ...]:
    """:func:`split_path`, remembered: slicing navigates the same few discriminator
    paths for every item of every resource."""
    parts: list[str] = []
    depth = 0
    quoted = False
    current: list[str] = []
    for ch in path:
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        if ch == "." and depth == 0 and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return tuple(p.strip() for p in parts if p.strip())


def navigate(item: Any, path: str, resolver: Resolver | None = None) -> list[Any]:
    """Values reached from ``item`` by ``path`` (empty list when nothing is there)."""
    values: list[Any] = [item]
    for step in _split(path):
        if step == "$this":
            continue
        next_values: list[Any] = []
        if step == "resolve()":
            for value in values:
                reference = value.get("reference") if isinstance(value, dict) else None
                target = resolver(reference) if resolver and isinstance(reference, str) else None
                if target is not None:
                    next_values.append(target)
        elif (match := _EXTENSION.match(step)) is not None:
            url = match.group(1)
            for value in values:
                if isinstance(value, dict):
                    for ext in listed(value.get("extension")):
                        if isinstance(ext, dict) and ext.get("url") == url:
                            next_values.append(ext)
        elif (match := _OF_TYPE.match(step)) is not None:
            wanted = match.group(1)
            for value in values:
                if isinstance(value, dict) and value.get("resourceType", wanted) == wanted:
                    next_values.append(value)
        elif _NAME.fullmatch(step):
            for value in values:
                if isinstance(value, dict) and step in value:
                    child = value[step]
                    if isinstance(child, list):
                        next_values.extend(child)
                    else:
                        next_values.append(child)
                elif isinstance(value, dict) and step == "value":
                    next_values.extend(v for k, v in value.items() if k.startswith("value"))
        else:
            raise UnsupportedPath(step)
        values = next_values
    return values
