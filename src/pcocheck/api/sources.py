"""What the API accepts as a source, and how it becomes the inputs of a run.

Paths (str or Path; folders and globs) go through the command line's own discovery.
In-memory content (dicts, JSON text or bytes, fhir.resources models) becomes an input
that is read like a file: the same decoding, parsing and positions. A dict is read as
``json.dumps(value, indent=2)``, so line and column point into that text; a model as
its own JSON export (see :mod:`pcocheck.models`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import count
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

from pcocheck.finding import Finding
from pcocheck.inputs.discover import InputFile, classify, discover

if TYPE_CHECKING:
    from pcocheck.definitions.registry import DefinitionRegistry

MODEL_NOT_R4 = "FHIR-PROFILE-090"
MODEL_R4_COMPATIBLE = "FHIR-PROFILE-091"
GZIP_MAGIC = b"\x1f\x8b"


class ResourceModel(Protocol):
    """A fhir.resources (fhir_core) model instance: anything with its own JSON export."""

    def model_dump_json(self, *, indent: int | None = None) -> str: ...


@dataclass(frozen=True, slots=True)
class NamedInput:
    """In-memory content under a name of your choosing: findings report ``name`` as
    their ``file`` (instead of ``<input 1>``). ``content`` is a dict, JSON text,
    JSON bytes or a fhir.resources model instance (not a path). The name's extension
    says what bytes hold, as a file name does: ``export.ndjson``, ``bundle.json.gz``."""

    name: str
    content: Mapping[str, Any] | str | bytes | bytearray | ResourceModel


Content: TypeAlias = (
    "Mapping[str, Any] | str | bytes | bytearray | os.PathLike[str] | NamedInput | ResourceModel"
)
# A str is JSON text when it starts with ``{`` or ``[`` (after blanks), otherwise a
# path, folder or glob pattern, as on the command line; a Path is always a path.
Source: TypeAlias = "Content | Iterable[Content]"


@dataclass(frozen=True, slots=True)
class _PathArgument:
    argument: str


@dataclass(frozen=True, slots=True)
class _InMemory:
    name: str | None
    content: object


def _is_json_text(text: str) -> bool:
    return text.lstrip("\ufeff \t\r\n")[:1] in ("{", "[")


def _flatten(source: object) -> Iterator[_PathArgument | _InMemory]:
    from pcocheck.models import is_model

    if isinstance(source, NamedInput):
        if isinstance(source.content, (os.PathLike, NamedInput)) or (
            isinstance(source.content, str) and not _is_json_text(source.content)
        ):
            raise TypeError(f"NamedInput {source.name!r}: content must be in memory, not a path")
        yield _InMemory(source.name, source.content)
    elif is_model(source) or isinstance(source, (Mapping, bytes, bytearray, memoryview)):
        yield _InMemory(None, source)
    elif isinstance(source, str):
        yield _InMemory(None, source) if _is_json_text(source) else _PathArgument(source)
    elif isinstance(source, os.PathLike):
        yield _PathArgument(os.fspath(source))
    elif isinstance(source, Iterable):
        for item in source:
            yield from _flatten(item)
    else:
        raise TypeError(
            "pcocheck cannot validate a "
            f"{type(source).__name__}: give a dict, JSON text or bytes, a path, a "
            "fhir.resources model, or an iterable of those"
        )


def _memory_bytes(content: object, label: str) -> bytes:
    from pcocheck.models import is_model, model_json

    if is_model(content):
        return model_json(content).encode("utf-8")
    if isinstance(content, Mapping):
        try:
            return json.dumps(content, indent=2, ensure_ascii=False).encode("utf-8")
        except (TypeError, ValueError) as error:
            raise TypeError(f"{label}: the dict is not JSON: {error}") from None
    if isinstance(content, str):
        return content.encode("utf-8", errors="surrogatepass")
    if isinstance(content, (bytes, bytearray, memoryview)):
        return bytes(content)
    raise TypeError(f"{label}: cannot read a {type(content).__name__}")


def _model_finding(
    model: object, label: str, data: bytes, registry: DefinitionRegistry
) -> Finding | None:
    """The finding that says a model was validated as R4 (and what R4 lacks); None for
    an R4 model, and for a datatype model (the run reports its missing resourceType)."""
    from pcocheck.inputs.read import Document
    from pcocheck.inputs.resources import split_resources
    from pcocheck.inputs.source import SourceText
    from pcocheck.models import elements_not_in_r4, model_info
    from pcocheck.view import Anchor

    info = model_info(model)
    text = data.decode("utf-8")
    value = json.loads(text)
    if info.is_r4 or not isinstance(value, dict) or "resourceType" not in value:
        return None
    source = SourceText(label, text)
    first = next(split_resources(Document(source, value)))
    anchor = first.anchor if not isinstance(first, Finding) else Anchor(source, file=label)
    what = f"a fhir.resources FHIR {info.release} model ({info.class_name})"
    missing = elements_not_in_r4(value, registry.structure)
    if missing:
        return anchor.finding(
            MODEL_NOT_R4,
            f"{what} was validated as FHIR R4 (4.0.1); elements that do not exist in R4: "
            + ", ".join(missing),
        )
    return anchor.finding(
        MODEL_R4_COMPATIBLE,
        f"{what} was validated as FHIR R4 (4.0.1); all its elements exist in R4",
    )


def prepare_inputs(
    source: Source, registry: DefinitionRegistry
) -> tuple[list[InputFile], list[Finding]]:
    """The run's inputs, in the order given, and findings made while preparing them.

    Paths go through the command line's discovery (folders, globs, missing paths);
    in-memory content becomes an input that is read like a file.
    """
    from pcocheck.models import is_model

    inputs: list[InputFile] = []
    problems: list[Finding] = []
    seen: set[str] = set()
    numbers = count(1)
    for item in _flatten(source):
        if isinstance(item, _PathArgument):
            found, issues = discover([item.argument])
            problems.extend(issues)
            for file in found:
                key = str(file.path.resolve()) if file.path is not None else file.display
                if key not in seen:
                    seen.add(key)
                    inputs.append(file)
            continue
        label = item.name if item.name is not None else f"<input {next(numbers)}>"
        data = _memory_bytes(item.content, label)
        # A name says what the content is, as a file name does (``x.ndjson.gz``);
        # unnamed content is JSON, gzip-compressed when it starts like gzip.
        kind = classify(item.name) if item.name is not None else None
        ndjson, gzipped = kind if kind is not None else (False, data[:2] == GZIP_MAGIC)
        inputs.append(InputFile(label, None, ndjson=ndjson, gzipped=gzipped, data=data))
        if is_model(item.content):
            finding = _model_finding(item.content, label, data, registry)
            if finding is not None:
                problems.append(finding)
    return inputs, problems
