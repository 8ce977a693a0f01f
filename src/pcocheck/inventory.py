"""Which resources a run checked, per file — for reports that list what passed (JUnit).

A checker like any other: it sees every resource and yields no finding. To keep memory
bounded on bulk exports it remembers at most ``limit`` resources per file and counts
the rest.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pcocheck.finding import Finding
from pcocheck.view import ResourceView

ResourceKey = tuple[str | None, int | None]  # (resource label, Bundle entry)


@dataclass(slots=True)
class FileInventory:
    file: str
    count: int = 0
    resources: list[ResourceKey] = field(default_factory=list)

    @property
    def unlisted(self) -> int:
        return self.count - len(self.resources)


class Inventory:
    def __init__(self, limit: int = 1000) -> None:
        self.limit = limit
        self.files: dict[str, FileInventory] = {}

    def check(self, view: ResourceView) -> Iterable[Finding]:
        anchor = view.anchor
        name = anchor.file or "<run>"
        record = self.files.get(name)
        if record is None:
            record = self.files[name] = FileInventory(name)
        record.count += 1
        if len(record.resources) < self.limit:
            record.resources.append((anchor.resource, anchor.entry))
        return ()

    def finish(self) -> Iterable[Finding]:
        return ()

    # -- parallel runs (pcocheck.parallel) ----------------------------------------------
    def export_state(self) -> dict[str, FileInventory]:
        files, self.files = self.files, {}
        return files

    def merge_state(self, files: dict[str, FileInventory]) -> None:
        for name, part in files.items():
            record = self.files.get(name)
            if record is None:
                self.files[name] = part
                continue
            record.count += part.count
            room = self.limit - len(record.resources)
            record.resources.extend(part.resources[: max(0, room)])
