"""Checks on element content the reference validator makes beyond types and formats.

- Size: a string-like primitive longer than 1 MiB (R4 datatypes.html: "strings SHALL NOT
  exceed 1MB"; base64Binary and the narrative are exempt).
- Markup: a plain ``string`` holding HTML-like markup (``<script>``, ``<img ...>``,
  ``<a href=...>``) may be rendered by a client as HTML: a warning, or an error with
  ``--security-checks`` (the reference's ``-security-checks``). Narrative and markdown are
  meant to hold markup and are not checked here.
- Attachments: ``size`` and ``hash`` (base64 SHA-1) must match the decoded ``data``.
- Example urls: with ``--no-allow-example-urls`` a ``url`` or ``canonical`` on an example
  domain points at nothing real.
"""

from __future__ import annotations

import re
from typing import Any, Final

MAX_STRING: Final = 1024 * 1024  # characters
_UNLIMITED: Final = frozenset({"base64Binary", "xhtml"})
# An opening tag: a name starting with a letter, optional attributes, then '>'.
_MARKUP: Final = re.compile(r"<[A-Za-z][\w:-]*(\s[^<>]*)?/?>")


def size_problem(type_code: str, value: str) -> str | None:
    if type_code in _UNLIMITED or len(value) <= MAX_STRING:
        return None
    return (
        f"value is {len(value):,} characters long; FHIR limits strings to 1 MiB "
        f"({MAX_STRING:,} characters)"
    )


def markup_in(value: str) -> str | None:
    """The first HTML-like tag in ``value``, if any."""
    if "<" not in value:
        return None
    match = _MARKUP.search(value)
    if match is None:
        return None
    tag = match.group(0)
    return tag if len(tag) <= 60 else tag[:57] + "..."


def attachment_problems(value: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(code, field, message) for an Attachment whose size or hash contradicts its data."""
    # Imported here: few runs hold an Attachment with data (hashlib alone costs more
    # start-up than this whole module).
    import base64
    import binascii
    import hashlib

    data = value.get("data")
    if not isinstance(data, str):
        return []
    try:
        decoded = base64.b64decode("".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        return []  # the base64Binary format check reports it
    problems: list[tuple[str, str, str]] = []
    size = value.get("size")
    if isinstance(size, int) and not isinstance(size, bool) and size != len(decoded):
        problems.append(
            (
                "FHIR-STRUCT-046",
                "size",
                f"size is {size} but the data decodes to {len(decoded)} bytes",
            )
        )
    stated = value.get("hash")
    if isinstance(stated, str):
        actual = base64.b64encode(hashlib.sha1(decoded).digest()).decode("ascii")
        if "".join(stated.split()) != actual:
            problems.append(
                (
                    "FHIR-STRUCT-047",
                    "hash",
                    f"hash {stated} is not the base64 SHA-1 of the data (that is {actual})",
                )
            )
    return problems
