"""The configuration file: ``[tool.pcocheck]`` in pyproject.toml, or ``pcocheck.toml``.

Found by looking upward from the working directory; in each folder ``pcocheck.toml``
(keys at its top level) wins over a ``pyproject.toml`` that has a ``[tool.pcocheck]``
table. Every key is checked here, so a mistake is reported with the file and the key
(exit code 2) instead of being ignored. Relative paths are relative to the file.

Keys (``-`` and ``_`` are interchangeable)::

    select = ["PCO", "FHIR-BIND"]        # code prefixes to keep
    ignore = ["FHIR-BIND-004"]           # code prefixes to drop
    fail-on = "warning"                  # error | warning | information | fatal | never
    format = ["console", "sarif"]        # default format(s)
    profile = ["http://…/StructureDefinition/x"]   # extra profiles applied to every resource
    profiles = ["profiles/extra"]        # folders of extra definitions
    packages = ["vendor/ig.tgz", "hl7.fhir.us.core#6.1.0"]
    baseline = "pcocheck-baseline.json"
    must-support = true
    [output]                             # ([tool.pcocheck.output] in pyproject.toml)
    sarif = "pcocheck.sarif"
    [severity]                           # per code (or code prefix) severity
    "PCO-STALE" = "information"
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pcocheck.finding import Severity

CONFIG_NAME = "pcocheck.toml"
PYPROJECT = "pyproject.toml"


class ConfigFileError(Exception):
    """An unreadable or invalid configuration file (exit code 2)."""


@dataclass(frozen=True, slots=True)
class FileConfig:
    """What a configuration file says; ``None`` / empty where it says nothing."""

    path: Path
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] | None = None
    fail_on: str | None = None
    formats: tuple[str, ...] | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    profiles: tuple[str, ...] | None = None
    profile_dirs: tuple[str, ...] | None = None
    packages: tuple[str, ...] | None = None
    baseline: str | None = None
    must_support: bool | None = None
    severity: dict[str, Severity] = field(default_factory=dict)


def find_config(start: Path) -> Path | None:
    """The nearest configuration file at or above ``start``."""
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
        pyproject = folder / PYPROJECT
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
    return None


def _has_tool_table(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    # Most projects' pyproject.toml has no [tool.pcocheck]: without the word (or an escape
    # that could spell it in a quoted key) there is nothing to parse, on every start.
    if "pcocheck" not in text and "\\" not in text:
        return False
    import tomllib  # imported only when a file is parsed

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        # A broken pyproject.toml that may or may not be ours: load_config reports it
        # only when it is chosen explicitly; the search goes on upward.
        return False
    tool = data.get("tool")
    return isinstance(tool, dict) and "pcocheck" in tool


class _Reader:
    def __init__(self, path: Path, prefix: str) -> None:
        self.path = path
        self.prefix = prefix

    def error(self, key: str, problem: str) -> ConfigFileError:
        return ConfigFileError(f"{self.path}: {self.prefix}{key}: {problem}")

    def strings(self, key: str, value: Any) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.error(key, "must be a string or a list of non-empty strings")
        parts: list[str] = []
        for item in value:
            parts.extend(p.strip() for p in item.split(",") if p.strip())
        return tuple(parts)

    def string(self, key: str, value: Any) -> str:
        if not isinstance(value, str) or not value:
            raise self.error(key, "must be a non-empty string")
        return value

    def relative(self, value: str) -> str:
        """A path in the file is relative to the file's folder."""
        path = Path(value).expanduser()
        return str(path if path.is_absolute() else self.path.parent / path)


def _normalise(key: str) -> str:
    return key.replace("_", "-")


def load_config(path: Path, formats: tuple[str, ...]) -> FileConfig:
    """Read and check one configuration file."""
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigFileError(f"{path}: cannot read: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigFileError(f"{path}: not valid TOML: {error}") from None
    if path.name == PYPROJECT:
        table = data.get("tool", {}).get("pcocheck", {})
        prefix = "tool.pcocheck."
    else:
        table, prefix = data, ""
    reader = _Reader(path, prefix)
    if not isinstance(table, dict):
        raise reader.error("", "must be a table")
    values: dict[str, Any] = {}
    for raw_key, value in table.items():
        key = _normalise(raw_key)
        if key in ("select", "ignore"):
            values[key] = reader.strings(raw_key, value)
        elif key == "fail-on":
            text = reader.string(raw_key, value).lower()
            if text != "never":
                try:
                    Severity.parse(text)
                except ValueError:
                    raise reader.error(
                        raw_key,
                        f"must be fatal, error, warning, information or never (got {value!r})",
                    ) from None
            values["fail_on"] = text
        elif key == "format":
            chosen = reader.strings(raw_key, value)
            for name in chosen:
                if name not in formats:
                    raise reader.error(
                        raw_key, f"unknown format {name!r}; one of {', '.join(formats)}"
                    )
            values["formats"] = chosen
        elif key == "output":
            if not isinstance(value, dict):
                raise reader.error(raw_key, "must be a table of format = path")
            outputs: dict[str, str] = {}
            for name, target in value.items():
                if name not in formats:
                    raise reader.error(
                        f"{raw_key}.{name}", f"unknown format; one of {', '.join(formats)}"
                    )
                outputs[name] = reader.relative(reader.string(f"{raw_key}.{name}", target))
            values["outputs"] = outputs
        elif key == "profile":
            values["profiles"] = reader.strings(raw_key, value)
        elif key == "profiles":
            values["profile_dirs"] = tuple(
                reader.relative(v) for v in reader.strings(raw_key, value)
            )
        elif key == "packages":
            values["packages"] = tuple(
                reader.relative(v) if v.endswith((".tgz", ".tar.gz")) else v
                for v in reader.strings(raw_key, value)
            )
        elif key == "baseline":
            values["baseline"] = reader.relative(reader.string(raw_key, value))
        elif key == "must-support":
            if not isinstance(value, bool):
                raise reader.error(raw_key, "must be true or false")
            values["must_support"] = value
        elif key == "severity":
            values["severity"] = _severities(reader, raw_key, value)
        else:
            raise reader.error(raw_key, "unknown key")
    return FileConfig(path=path, **values)


def _severities(reader: _Reader, key: str, value: Any) -> dict[str, Severity]:
    from pcocheck.catalog import catalog

    if not isinstance(value, dict):
        raise reader.error(key, "must be a table of CODE = severity")
    known = catalog()
    overrides: dict[str, Severity] = {}
    for code, level in value.items():
        name = str(code).strip().upper()
        if not any(c.startswith(name) for c in known):
            raise reader.error(f"{key}.{code}", "no rule code starts with this")
        if not isinstance(level, str):
            raise reader.error(f"{key}.{code}", "must be fatal, error, warning or information")
        try:
            overrides[name] = Severity.parse(level)
        except ValueError:
            raise reader.error(
                f"{key}.{code}", f"must be fatal, error, warning or information (got {level!r})"
            ) from None
    return overrides
