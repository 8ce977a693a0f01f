"""A live progress line for ``pcocheck server`` on a terminal (tests done, current
request); nothing at all when the stream is not a terminal. Used by the CLI only."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from pcocheck.result import ServerTestResult
from pcocheck.server.http import Exchange
from pcocheck.server.kit import Progress


class RichProgress(Progress):
    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console
        from rich.status import Status

        self.console = Console(file=stream, stderr=True)
        self.status: Status = self.console.status("starting")
        self.tests = 0
        self.failed = 0

    def _show(self, what: str) -> None:
        self.status.update(f"{self.tests} tests done ({self.failed} failed) · {what}")

    def request(self, exchange: Exchange) -> None:
        url = exchange.url if len(exchange.url) < 100 else exchange.url[:97] + "…"
        self._show(f"{exchange.method} {url}")

    def test(self, test: ServerTestResult) -> None:
        self.tests += 1
        self.failed += test.result == "fail"
        self._show(test.title)


@contextmanager
def progress_for(stream: TextIO) -> Iterator[Progress]:
    if not stream.isatty():
        yield Progress()
        return
    progress = RichProgress(stream)
    with progress.status:
        yield progress
