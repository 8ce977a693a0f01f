"""A progress bar on stderr for runs long enough to want one (rich): files and resources
done, the rate, the time left. Only on a terminal: CI logs stay clean."""

from __future__ import annotations

import sys
import time
from typing import IO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

SHOW_AFTER = 1.0  # seconds: a quick run never draws anything


class ProgressBar:
    """A :class:`pcocheck.runner.Progress` drawing on ``console`` once the run has lasted
    ``show_after`` seconds; it disappears when the run ends (the report follows)."""

    def __init__(self, console: Console, show_after: float = SHOW_AFTER) -> None:
        self.console = console
        self.show_after = show_after
        self.files_total = 0
        self.files = 0
        self.resources = 0
        self._began = 0.0
        self._last_draw = 0.0
        self._bar: Progress | None = None
        self._task: int | None = None

    def start(self, files: int) -> None:
        self.files_total = files
        self._began = time.monotonic()

    def advance(self, files: int = 0, resources: int = 0) -> None:
        self.files += files
        self.resources += resources
        now = time.monotonic()
        if self._bar is None:
            if now - self._began < self.show_after:
                return
            self._open()
        elif not files and now - self._last_draw < 0.1:
            return  # per resource: cheap until the next redraw is due
        self._last_draw = now
        self._update(now)

    def _open(self) -> None:
        self._bar = Progress(
            TextColumn("[bold]pcocheck[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("files · {task.fields[resources]} resources · {task.fields[rate]}/s"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
            transient=True,
            auto_refresh=False,
        )
        self._bar.start()
        self._task = self._bar.add_task(
            "validate", total=self.files_total or None, resources=0, rate="-"
        )

    def _update(self, now: float) -> None:
        assert self._bar is not None and self._task is not None
        elapsed = max(now - self._began, 1e-9)
        self._bar.update(
            self._task,  # type: ignore[arg-type]
            completed=self.files,
            resources=f"{self.resources:,}",
            rate=f"{self.resources / elapsed:,.0f}",
        )
        self._bar.refresh()

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def terminal_progress(stream: IO[str] | None = None) -> ProgressBar | None:
    """A progress bar on ``stream`` (stderr) when it is a terminal, else None."""
    target = stream if stream is not None else sys.stderr
    isatty = getattr(target, "isatty", None)
    if isatty is None or not isatty():
        return None
    console = Console(file=target, stderr=stream is None)
    if not console.is_terminal or console.is_dumb_terminal:
        return None
    return ProgressBar(console)
