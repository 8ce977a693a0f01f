"""Defensive handling of JSON: input is never trusted to have the right shape or size.

Parsing limits live here so that every place that reads JSON (inputs, ``--profiles``
files, packages, terminology answers and caches) applies the same ones: nesting depth is
checked iteratively right after parsing (the checks that walk a tree recurse, and input
must not control how deep), and integer literals are bounded before ``int()`` sees them
(Python refuses more than 4,300 digits with a ValueError, and converting long ones is
quadratic).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

# FHIR content nests about 4 JSON levels per element level; real resources stay well
# under 40 levels. The engine and the rules were measured to cope with more than 240.
MAX_DEPTH = 100
# FHIR integers are 32-bit and decimals have at most 18 significant digits in practice.
MAX_INTEGER_DIGITS = 1000
_QUOTE_LIMIT = 60


class JsonLimitError(ValueError):
    """JSON that is well formed but beyond what pcocheck accepts (a ValueError, so the
    configuration loaders that already catch parse errors catch this one too)."""

    def __init__(self, message: str, path: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.path = path


class IntegerTooLong(JsonLimitError):
    def __init__(self, token: str) -> None:
        super().__init__(
            f"a number literal has {len(token):,} digits (more than {MAX_INTEGER_DIGITS:,})"
        )
        self.token = token


def listed(value: Any) -> list[Any]:
    """``value`` when it is a JSON array, else an empty list (wrong shapes are reported by
    the structural checks, not by crashing the rules that read them)."""
    return value if isinstance(value, list) else []


def parse_int(token: str) -> int:
    """``parse_int`` hook for :func:`json.loads` that refuses absurdly long literals."""
    if len(token) > MAX_INTEGER_DIGITS:
        raise IntegerTooLong(token)
    return int(token)


def deeper_than(value: Any, limit: int = MAX_DEPTH) -> tuple[str | int, ...] | None:
    """The path to the first container nested more than ``limit`` levels deep, or None.

    Iterative on purpose: a recursive walk is what this guard protects the rest from."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    pop, push = stack.pop, stack.append
    found = False
    while stack:
        node, depth = pop()
        if depth > limit:
            found = True
            break
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, dict | list) and child:
                push((child, depth + 1))
    if not found:
        return None
    return _path_to_depth(value, limit)


def _path_to_depth(value: Any, limit: int) -> tuple[str | int, ...]:
    """Second, rare pass: the path of one container beyond ``limit`` (for the message)."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        node, path = stack.pop()
        if len(path) >= limit:
            return path
        items: Any = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in items:
            if isinstance(child, dict | list) and child:
                stack.append((child, (*path, key)))
    return ()


def loads_bounded(
    text: str | bytes,
    *,
    object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None,
    parse_constant: Callable[[str], Any] | None = None,
    parse_float: Callable[[str], Any] | None = None,
    limit: int = MAX_DEPTH,
) -> Any:
    """``json.loads`` with pcocheck's limits; raises ValueError (JSONDecodeError,
    :class:`JsonLimitError`) for anything it will not accept, never RecursionError."""
    try:
        value = json.loads(
            text,
            object_pairs_hook=object_pairs_hook,
            parse_constant=parse_constant,
            parse_float=parse_float,
            parse_int=parse_int,
        )
    except RecursionError:
        raise JsonLimitError(f"JSON nesting is deeper than {limit} levels") from None
    return _within_depth(value, text, limit)


def bounded_decoder(
    *,
    object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None,
    parse_constant: Callable[[str], Any] | None = None,
    parse_float: Callable[[str], Any] | None = None,
) -> json.JSONDecoder:
    """A decoder with pcocheck's number hooks, made once for many texts: given hooks,
    ``json.loads`` builds a new decoder and scanner on every call, about a quarter of the
    time it takes to parse an NDJSON record. Use with :func:`decode_bounded`."""
    return json.JSONDecoder(
        object_pairs_hook=object_pairs_hook,
        parse_constant=parse_constant,
        parse_float=parse_float,
        parse_int=parse_int,
    )


def decode_bounded(decoder: json.JSONDecoder, text: str, limit: int = MAX_DEPTH) -> Any:
    """:func:`loads_bounded` for a str, with a decoder from :func:`bounded_decoder`: the
    same value, the same errors (``json.loads`` refuses a leading byte order mark before
    it decodes; so does this)."""
    if text.startswith("\ufeff"):
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    try:
        value = decoder.decode(text)
    except RecursionError:
        raise JsonLimitError(f"JSON nesting is deeper than {limit} levels") from None
    return _within_depth(value, text, limit)


def _within_depth(value: Any, text: str | bytes, limit: int) -> Any:
    # Depth cannot exceed the number of opening brackets: counting them (C speed) spares
    # the walk for every document that is small enough, e.g. nearly all NDJSON records.
    if isinstance(value, dict | list) and _openers(text) > limit:
        path = deeper_than(value, limit)
        if path is not None:
            raise JsonLimitError(f"JSON nesting is deeper than {limit} levels", path)
    return value


def _openers(text: str | bytes) -> int:
    if isinstance(text, str):
        return text.count("{") + text.count("[")
    return text.count(b"{") + text.count(b"[")


def quote(value: Any, limit: int = _QUOTE_LIMIT) -> str:
    """``value`` in JSON notation for a message, shortened: input is echoed, so it must
    neither look like Python (``'True'``) nor flood a report (a 1 MB resourceType)."""
    if isinstance(value, str) and len(value) > limit:
        value = value[:limit]  # the rest would be cut anyway
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (ValueError, RecursionError):
        text = json.dumps(str(type(value).__name__))
    if len(text) > limit:
        text = f"{text[: limit - 1]}…"
    return text


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with a note of how much was left out: findings
    echo input, and one hostile value must not turn into a megabyte-long report line."""
    if len(text) <= limit:
        return text
    return f"{text[: limit - 40]}… ({len(text) - limit + 40:,} more characters)"
