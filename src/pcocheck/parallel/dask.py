"""The Dask executor: the same map step on a Dask cluster (``--executor dask --scheduler
ADDRESS``, or ``local`` for a LocalCluster on this machine), the same reduce here.

Workers build their checkers from the run's configuration once per worker and receive
what the prescan learnt here (the Resolver's run-wide index, the input's
Questionnaires), so each shard is checked exactly as in one process. Inputs are read by
the workers: on a real cluster they must see the same paths (a shared file system).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pcocheck.config import RunConfig
from pcocheck.parallel.shards import Shard
from pcocheck.runner import ConfigurationError

if TYPE_CHECKING:
    from pcocheck.parallel import ShardResult
    from pcocheck.resolution import RunIndex
    from pcocheck.runner import Checker, Run

# Options of the LocalCluster that ``--scheduler local`` starts (tests use threads).
LOCAL_CLUSTER_OPTIONS: dict[str, Any] = {"processes": True, "threads_per_worker": 1}


class DaskUnavailable(ConfigurationError):
    """Dask is not installed (``pip install 'pcocheck[dask]'``) or the scheduler cannot
    be reached."""


@dataclass(frozen=True, slots=True)
class WorkerSpec:
    """Everything a worker needs to check shards like this process would (picklable)."""

    config: RunConfig
    extras: tuple[Any, ...]  # the run's own checkers after the standard ones (fresh)
    index: RunIndex | None
    prescans: dict[str, Any]  # what the first pass learnt, per standard checker class
    prescanned: frozenset[str]
    token: str = field(default_factory=lambda: uuid.uuid4().hex)


_RUNS: dict[tuple[str, int], Run] = {}  # per spec and worker thread; lifetime: the worker
_LOCK = threading.Lock()


def _worker_run(spec: WorkerSpec) -> Run:
    import copy

    from pcocheck.runner import Run, build_checkers

    key = (spec.token, threading.get_ident())
    with _LOCK:
        found = _RUNS.get(key)
    if found is not None:
        return found
    checkers: list[Checker] = [*build_checkers(spec.config), *copy.deepcopy(spec.extras)]
    run = Run(spec.config, checkers)
    for resolver in run.resolvers:
        if spec.index is not None:
            resolver.index = spec.index
    for checker in checkers:
        state = spec.prescans.get(type(checker).__name__)
        if state is not None:
            getattr(checker, "merge_prescan")(state)  # noqa: B009 - optional method
    run.prescanned = set(spec.prescanned)
    with _LOCK:
        _RUNS[key] = run
    return run


def _forget(token: str) -> None:
    """Drop a finished run's checkers from a worker (long-lived clusters serve many runs)."""
    with _LOCK:
        for key in [k for k in _RUNS if k[0] == token]:
            del _RUNS[key]


def _map(spec: WorkerSpec, shard: Shard) -> ShardResult:
    from pcocheck.parallel import map_shard

    return map_shard(_worker_run(spec), shard)


def worker_spec(run: Run) -> WorkerSpec:
    """What the workers need from ``run`` after its prescan. The run's checkers must be
    the standard ones (:func:`pcocheck.runner.build_checkers`) followed by extras that
    can be pickled before they checked anything."""
    from pcocheck.engine.core import ProfileEngine
    from pcocheck.rules import PcoRules
    from pcocheck.runner import DefinitionWarnings

    standard = (DefinitionWarnings, ProfileEngine, PcoRules)  # what build_checkers makes
    prescans = {
        type(c).__name__: getattr(c, "export_prescan")()  # noqa: B009 - optional method
        for c in run.checkers
        if isinstance(c, standard) and hasattr(c, "export_prescan")
    }
    return WorkerSpec(
        config=run.config,
        extras=tuple(c for c in run.checkers if not isinstance(c, standard)),
        index=run.resolvers[0].index if run.resolvers else None,
        prescans=prescans,
        prescanned=frozenset(run.prescanned),
    )


def map_on_dask(run: Run, shards: list[Shard]) -> Iterator[ShardResult]:
    """Map ``shards`` over the Dask cluster of ``run.config.scheduler``; results in shard
    order, as they come."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise DaskUnavailable("--executor dask needs Dask: pip install 'pcocheck[dask]'") from None
    spec = worker_spec(run)
    address = run.config.scheduler or "local"
    cluster = None
    try:
        if address == "local":
            # The scheduler's HTTP server always starts; without an address it takes port
            # 8787 and, when another Dask on this machine holds it, warns and moves: a
            # free port on the loopback interface from the start, never a warning.
            cluster = LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=max(1, run.config.jobs),
                dashboard_address="127.0.0.1:0",
                **LOCAL_CLUSTER_OPTIONS,
            )
            client = Client(cluster)  # type: ignore[no-untyped-call]
        else:
            client = Client(address, timeout="10s")  # type: ignore[no-untyped-call]
    except OSError as error:
        raise DaskUnavailable(f"cannot reach the Dask scheduler {address}: {error}") from None
    try:
        shipped = client.scatter(spec, broadcast=True)  # type: ignore[no-untyped-call]
        futures = client.map(_map, [shipped] * len(shards), shards, pure=False)
        for future in futures:
            yield future.result()
        client.run(_forget, spec.token)
    finally:
        client.close()  # type: ignore[no-untyped-call]
        if cluster is not None:
            cluster.close()
