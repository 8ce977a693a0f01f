"""``pcocheck profiles``: what definitions are loaded, as tables."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, TextIO

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from pcocheck.definitions.registry import DefinitionRegistry


def render_definitions(registry: DefinitionRegistry, stream: TextIO) -> None:
    color = stream is sys.stdout and stream.isatty() and "NO_COLOR" not in os.environ
    console = Console(
        file=stream,
        no_color=not color,
        force_terminal=color,
        width=None if color else 120,
        highlight=False,
    )
    packages = Table(title="Packages", title_justify="left")
    for column in ("package", "version", "resources", "origin"):
        packages.add_column(column)
    for info in registry.packages():
        packages.add_row(info.name, info.version or "", str(info.resources), info.origin)
    console.print(packages)

    profiles = Table(title="Profiles and extensions", title_justify="left")
    for column in ("url", "version", "type", "kind", "base"):
        profiles.add_column(column, overflow="fold")
    for sd in sorted(registry.structures(), key=lambda s: s.url):
        kind = (
            "extension"
            if sd.type == "Extension" and sd.is_profile
            else ("profile" if sd.is_profile else sd.kind)
        )
        base = (sd.base_definition or "").rsplit("/", 1)[-1]
        profiles.add_row(sd.url, sd.version or "", sd.type, kind, base)
    console.print(profiles)

    terminology = Table(title="Value sets, code systems and questionnaires", title_justify="left")
    for column in ("kind", "url", "version", "package"):
        terminology.add_column(column, overflow="fold")
    summaries = [*registry.value_sets(), *registry.questionnaires()]
    for summary in sorted(summaries, key=lambda s: (s.resource_type, s.url)):
        terminology.add_row(
            summary.resource_type, summary.url, summary.version or "", summary.package or ""
        )
    console.print(terminology)
