"""``pcocheck profiles``: what definitions are loaded, one per line (grep-friendly)."""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from pcocheck.definitions.registry import DefinitionRegistry


def render_definitions(registry: DefinitionRegistry, stream: TextIO) -> None:
    write = stream.write
    write("Packages\n")
    for info in registry.packages():
        version = f"#{info.version}" if info.version else ""
        contents = info.contents or f"{info.resources} resources"
        write(f"  {info.name}{version}  ({contents}; {info.origin})\n")
        if info.not_loaded:
            write(
                "    depends on, not shipped (its definitions are reported as not "
                f"available offline): {', '.join(info.not_loaded)}\n"
            )
    write("\nProfiles and extensions\n")
    for sd in sorted(registry.structures(), key=lambda s: s.url):
        if sd.type == "Extension" and sd.is_profile:
            kind = "extension"
        else:
            kind = "profile" if sd.is_profile else sd.kind
        base = (sd.base_definition or "").rsplit("/", 1)[-1]
        write(f"  {sd.canonical}  {kind} of {sd.type}  (base {base})\n")
    write("\nValue sets, code systems and questionnaires\n")
    summaries = [*registry.value_sets(), *registry.questionnaires()]
    for summary in sorted(summaries, key=lambda s: (s.resource_type, s.url)):
        version = f"|{summary.version}" if summary.version else ""
        write(f"  {summary.resource_type:<14} {summary.url}{version}  [{summary.package or ''}]\n")
