"""Reporters: each turns a :class:`RunResult` into one output format.

Machine-readable formats (``json``) are stable contracts; the console format is for
people and may change between versions — do not parse it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from pcocheck.result import RunResult


@dataclass(frozen=True, slots=True)
class ReportOptions:
    color: bool = False
    quiet: bool = False
    verbose: bool = False
    width: int | None = None


Reporter = Callable[[RunResult, TextIO, ReportOptions], None]


def reporters() -> dict[str, Reporter]:
    # Imported lazily: rich costs start-up time that a JSON-only run does not need.
    from pcocheck.reporting.console import render_console
    from pcocheck.reporting.json_report import render_json

    return {"console": render_console, "json": render_json}


FORMATS = ("console", "json")
