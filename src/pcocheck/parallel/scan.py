"""The entry array of a parallel run's one large Bundle, scanned on every core.

The first pass reads a large Bundle slim (:mod:`pcocheck.inputs.stream`): one entry at a
time, in order, because where an entry starts is known only once the one before it is
parsed. With ``--jobs N`` that scan was the longest part of the run made before any helper
started (a 10,000-entry Bundle: about 0.13 s of CPU of about 0.4 s before the first fork).
Here ``N - 1`` helpers forked from this process scan pieces of the array from guessed entry
starts while this process scans the first piece; a helper's piece is used only when the
scan before it stopped exactly at the piece's start (see :func:`stream.piece_starts`), so
the slim Bundle is the one a serial scan builds. A helper inherits the text (nothing is
sent to it) and sends back its piece's slim entries, pickled.
"""

from __future__ import annotations

import gc
import multiprocessing
import pickle
import sys
from collections.abc import Callable
from functools import partial
from multiprocessing.connection import Connection
from typing import Any

from pcocheck.inputs.stream import FIRST_PIECE_WEIGHT, Piece, scan_piece

# This process's piece against a helper's when this process also judges the text (see
# ForkedPieces). Measured (10,000 entries, 9 MB, each piece summarized where it is scanned;
# CPU time, a loaded machine): at 0.6 the helper's fork, scan, summary and pickling took
# 140-180 ms against this process's 118-146 ms (judging, its piece, its summary), and it
# waited 40-190 ms for the helper; at 0.75, 103-108 against 130-135 ms; at 0.7, 96-104
# against 125-128 ms, waiting 15-22 ms (the unpickling). Between: 0.65.
JUDGING_FIRST_PIECE_WEIGHT = 0.65


class ForkedPieces:
    """A :class:`pcocheck.inputs.stream.PieceScanner` that scans each piece in a process
    forked for it.

    ``summarize``: run by each helper on its piece's slim entries; what it gives travels
    back with the piece (e.g. the piece's rows of the run-wide index,
    :func:`pcocheck.resolution.summarize_entries`), so the parent does less serial work
    after the scan. ``judge``: run here on the whole text once the helpers are forked,
    before this process scans its own piece (work on the text that every process of the
    checks would otherwise do for itself, e.g. :meth:`pcocheck.rules.PcoRules.judge_text`:
    the checks' processes are forked later and inherit its verdict); this process's piece
    is then the smaller."""

    def __init__(
        self,
        helpers: int,
        summarize: Callable[[list[Any]], Any] | None = None,
        judge: Callable[[str], None] | None = None,
    ) -> None:
        self.pieces = max(0, helpers)
        self.summarize = summarize
        self.judge = judge
        self.first_weight = FIRST_PIECE_WEIGHT if judge is None else JUDGING_FIRST_PIECE_WEIGHT
        self._running: dict[int, tuple[Any, Connection]] = {}  # by piece number

    def start(self, text: str, cuts: list[int]) -> list[Callable[[], Piece | None]]:
        context = multiprocessing.get_context("fork")
        pending: list[Callable[[], Piece | None]] = []
        # As for the checking pass's helpers (pcocheck.parallel.team): what exists now is
        # kept out of the helpers' collections, so its pages stay shared, not copied.
        gc.freeze()
        try:
            for number, cut in enumerate(cuts):
                stop = cuts[number + 1] if number + 1 < len(cuts) else sys.maxsize
                receiving, sending = context.Pipe(duplex=False)
                process = context.Process(
                    target=_scan_and_send,
                    args=(sending, text, cut, stop, self.summarize),
                    daemon=True,
                )
                process.start()
                sending.close()
                self._running[number] = (process, receiving)
                pending.append(partial(self._receive, number))
        except OSError:  # no process could be forked: this process scans the rest itself
            pass
        finally:
            gc.unfreeze()
        if self.judge is not None and pending:  # no helper: the checks judge for themselves
            try:
                self.judge(text)
            except BaseException:
                self.stop(pending)  # no helper left blocked on a piece nobody will read
                raise
        return pending

    def _receive(self, number: int) -> Piece | None:
        """The piece helper ``number`` scanned, once it is sent (None when it failed)."""
        process, connection = self._running.pop(number)
        try:
            data = connection.recv_bytes()
            piece = pickle.loads(data)
        except (EOFError, OSError, pickle.UnpicklingError):
            piece = None
        finally:
            connection.close()
            process.join()
        return piece if isinstance(piece, Piece) else None

    def stop(self, pending: list[Callable[[], Piece | None]]) -> None:
        for process, connection in self._running.values():
            if process.is_alive():
                process.terminate()  # a piece nobody will read (the guess was wrong)
            connection.close()
            process.join()
        self._running.clear()


def _scan_and_send(
    connection: Connection,
    text: str,
    start: int,
    stop: int,
    summarize: Callable[[list[Any]], Any] | None = None,
) -> None:
    """In a helper: scan one piece (and summarize it) and send it (on any failure, send
    nothing: the scan that needs the piece goes on in the parent)."""
    try:
        piece = scan_piece(text, start, stop)
        if summarize is not None and not piece.irregular:
            piece.summary = summarize(piece.entries)
        connection.send_bytes(pickle.dumps(piece, protocol=pickle.HIGHEST_PROTOCOL))
    finally:
        connection.close()
