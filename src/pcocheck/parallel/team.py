"""The checking pass of a local parallel run, with this process as one of the workers.

``--jobs N`` runs N processes: this one and N-1 helpers forked from it. Each takes the
next shard nobody has taken yet (a counter in shared memory), so uneven shards even out;
this process keeps the results of its own shards as they are (nothing pickled), and a
helper's results come back through a pipe, read by a thread as soon as they are sent (a
helper never waits for this process to finish a shard before it can send and go on).

Why not a pool of N workers with this process only merging: on a machine with a core per
job the merging (unpickling the helpers' facts) then competes with the workers for the
cores, and this process sits idle for the rest.

The results are handed over in shard order only once this process has no shard left to
take (:meth:`Team.work`): merging changes the checkers' run-wide state, which this
process's own shards must start without (see :func:`pcocheck.parallel.map_shard`).

:class:`Fanout` is the same for any list of task items (e.g. the parts of the PCO rules'
cross-resource phase, see :mod:`pcocheck.parallel.fanout`); :class:`Team` is it for shards.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import pickle
import threading
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection, wait
from typing import Any, Generic, TypeVar

from pcocheck.parallel.shards import Shard

Item = TypeVar("Item")
Result = TypeVar("Result")

_DONE = b""  # what a helper sends when it has no shard left to take
_NUMBER_BYTES = 8  # each message: the shard number, then the pickled result
# A helper writes each result into its pipe whole and goes on, unless the pipe is full.
# The reader thread here empties it a piece at a time, and needs the GIL for each piece
# while the main thread checks shards of its own: with the default 64 KiB pipe a helper
# waited 0.1-0.3 s on every result of about 150 KB (2 s of a 100,000-record run). So
# each pipe holds this much where the system lets it (Linux: F_SETPIPE_SZ, up to
# /proc/sys/fs/pipe-max-size, 1 MiB by default).
PIPE_BYTES = 1 << 20


def widen(connection: Connection) -> int | None:
    """Make the pipe behind ``connection`` hold :data:`PIPE_BYTES` where the system allows;
    its size in bytes then, or None where it cannot be told (not Linux)."""
    try:
        import fcntl
    except ImportError:  # not a Unix system (no fork either: parallel runs stay serial)
        return None
    setter = getattr(fcntl, "F_SETPIPE_SZ", None)
    getter = getattr(fcntl, "F_GETPIPE_SZ", None)
    if setter is None or getter is None:
        return None
    with contextlib.suppress(OSError):  # over this user's limit: the size stays
        fcntl.fcntl(connection.fileno(), setter, PIPE_BYTES)
    try:
        size: int = fcntl.fcntl(connection.fileno(), getter)
    except OSError:  # the pipe works at whatever size it has
        return None
    return size


class HelperFailed(RuntimeError):
    """A helper process ended before it sent back every item it took (killed, out of
    memory), or an item's work raised in it."""


class Fanout(Generic[Item, Result]):
    """This process plus ``helpers`` forked ones, mapping ``work`` over ``shards`` (any
    items: the helpers inherit them, nothing is pickled on the way in; each result is
    pickled back).

    Use: :meth:`start` (forks), :meth:`work` (this process takes items until none is
    left; not with ``idle_here``), then :meth:`results` (in item order, as the helpers
    deliver them); always :meth:`close` (a ``with`` block does)."""

    noun = "item"  # in error messages

    def __init__(
        self,
        work: Callable[[Item], Result],
        shards: list[Item],
        helpers: int,
        arrived: Callable[[Item, Result], None] | None = None,
        *,
        idle_here: bool = False,
    ) -> None:
        self._work = work
        self.shards = shards
        # ``idle_here``: this process takes no item (it only calls results()).
        self.helpers = max(0, min(helpers, len(shards) - (0 if idle_here else 1)))
        self.arrived = arrived  # told in this process as each result is at hand
        self._context = multiprocessing.get_context("fork")
        self._next = self._context.Value("q", 0)  # the next shard to take
        self._results: dict[int, Result] = {}
        self._received: dict[int, bytes] = {}  # what the reader thread received, pickled
        self._reading = False  # whether the reader thread still reads
        self._complete = False  # every result was handed over
        self._changed = threading.Condition()
        self._processes: list[Any] = []

    def __enter__(self) -> Fanout[Item, Result]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- both sides ----------------------------------------------------------------------
    def _take(self) -> int | None:
        with self._next.get_lock():
            number = int(self._next.value)
            if number >= len(self.shards):
                return None
            self._next.value = number + 1
        return number

    # -- a helper ------------------------------------------------------------------------
    def _helper(self, connection: Connection) -> None:
        try:
            while (number := self._take()) is not None:
                try:
                    result: Any = self._work(self.shards[number])
                    payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
                except Exception as error:  # reported by this process, never lost
                    failure = HelperFailed(f"{self.noun} {number}: {type(error).__name__}: {error}")
                    payload = pickle.dumps(failure, protocol=pickle.HIGHEST_PROTOCOL)
                connection.send_bytes(number.to_bytes(_NUMBER_BYTES, "little") + payload)
            connection.send_bytes(_DONE)
        finally:
            connection.close()

    # -- this process --------------------------------------------------------------------
    def start(self) -> None:
        """Fork the helpers (they inherit this process as it is now), then start the
        thread that reads what they send."""
        connections = []
        # What exists now (definitions, the index) lives as long as the helpers: kept out
        # of the collector's reach, its memory pages stay shared instead of being touched,
        # and copied, by every collection in every helper.
        gc.freeze()
        try:
            for _ in range(self.helpers):
                receiving, sending = self._context.Pipe(duplex=False)
                widen(receiving)
                process = self._context.Process(target=self._helper, args=(sending,))
                process.daemon = True
                process.start()
                sending.close()
                connections.append(receiving)
                self._processes.append(process)
        finally:
            gc.unfreeze()  # in this process; the helpers keep their frozen copy
        self._reading = bool(connections)
        reader = threading.Thread(
            target=self._read, args=(connections,), name="pcocheck-results", daemon=True
        )
        reader.start()

    def _read(self, connections: list[Connection]) -> None:
        """The reader thread: moves what the helpers send into ``_received``."""
        open_connections = list(connections)
        try:
            while open_connections:
                for ready in wait(open_connections):
                    assert isinstance(ready, Connection)
                    try:
                        data: bytes | None = ready.recv_bytes()
                    except (EOFError, OSError):
                        data = None
                    if data is None or data == _DONE:
                        open_connections.remove(ready)
                        ready.close()
                        continue
                    number = int.from_bytes(data[:_NUMBER_BYTES], "little")
                    with self._changed:
                        self._received[number] = data
                        self._changed.notify_all()
        finally:
            with self._changed:
                self._reading = False
                self._changed.notify_all()

    def _unpickle(self, number: int, data: bytes) -> None:
        result = pickle.loads(memoryview(data)[_NUMBER_BYTES:])
        if isinstance(result, HelperFailed):
            raise result
        self._store(number, result)

    def _store(self, number: int, result: Result) -> None:
        self._results[number] = result
        if self.arrived is not None:
            self.arrived(self.shards[number], result)

    def _collect(self) -> None:
        """Unpickle what has arrived so far (here, in the main thread)."""
        with self._changed:
            received, self._received = self._received, {}
        for number, data in received.items():
            self._unpickle(number, data)

    def work(self) -> None:
        """Take shards in this process until none is left; between them, take in what the
        helpers sent meanwhile (the unpickling is this process's share of the work)."""
        while (number := self._take()) is not None:
            self._store(number, self._work(self.shards[number]))
            self._collect()

    def results(self) -> Iterator[Result]:
        """Every shard's result in shard order, each as soon as it is at hand."""
        for number in range(len(self.shards)):
            if number not in self._results:
                with self._changed:
                    while number not in self._received and self._reading:
                        self._changed.wait()
                    data = self._received.pop(number, None)
                if data is None:
                    raise HelperFailed(
                        f"a helper process ended before it sent the result of {self.noun} {number}"
                    )
                self._unpickle(number, data)
            yield self._results.pop(number)
        self._complete = True

    def close(self) -> None:
        """Wait for the helpers to end; after an error, end those still running."""
        for process in self._processes:
            if not self._complete and process.is_alive():
                process.terminate()
            process.join()
        self._processes = []


class Team(Fanout[Shard, Result]):
    """The checking pass's team: :class:`Fanout` over the run's shards."""

    noun = "shard"

    def __enter__(self) -> Team[Result]:
        return self
