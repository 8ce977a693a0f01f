"""The cross-resource phase, in independent tasks a run may spread over processes, and
part by part for a large run.

Every cross-resource GAS and PROM-goal check joins scores with the goal they focus on.
When a run holds many facts, rebuilding all of them at once would take far more memory
than the compact facts themselves (see :mod:`pcocheck.rules.store`). So the scores are
first settled (their focus references resolved, in the run's order), then split into
parts by the key of the goal they join — each goal and all of its scores land in the
same part — and each part is checked on its own with the same functions as a small run.
Each finding carries its place in the run's order (the number of the score or of the
first score of its goal), so the findings come out exactly as one pass would give them.

A run checked in parallel hands :meth:`~pcocheck.rules.PcoRules.finish` a
:class:`Mapper` that runs tasks in processes forked from this one (they inherit the facts:
nothing is sent but the tasks' results). Then a small run's phase is two tasks (the GAS
checks; the PROM checks), and a large run's is the partition (each task settles and
splits a range of consecutive compressed batches) followed by the parts' checks and the
checks in the run's order. The results come back in task order, so the findings are the
same, in the same order, as in one process.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pcocheck.collector import collector_paused
from pcocheck.finding import Finding
from pcocheck.resolution import Identity, Resolver, ResourceKey
from pcocheck.rules.facts import Link, PromScore
from pcocheck.rules.gas import Order, finish_gas
from pcocheck.rules.prom import finish_derived, finish_panels
from pcocheck.rules.references import Target, settle_at, waiting_for
from pcocheck.rules.store import (
    FactLog,
    Spool,
    decode_gas,
    decode_prom,
    encode_gas,
    encode_prom,
    plain_key,
    register,
    untarget,
)
from pcocheck.rules.targets import finish_goals

if TYPE_CHECKING:
    from pcocheck.rules import PcoRules

FACTS_PER_PART = 25_000  # goals and scores rebuilt at once, about (some 10 MB)
# Up to this many goals and scores a run is checked in one pass: rebuilding them all
# costs about 230 bytes each (100,000 records, 70,000 facts: +16 MB peak), while going
# part by part decodes every fact twice and re-encodes it (+1.2 s of CPU there).
ONE_PASS_FACTS = 150_000
# From this many goals and scores on, a parallel run's phase is spread over its
# processes (below, forking costs more than it saves: some 0.1 s of CPU per 7,000 facts).
FAN_OUT_FACTS = 20_000
SLICES_PER_JOB = 4  # ranges of batches per process and log in a parallel partition
CHUNK = 1000  # scores per call of the checks that need no join by goal
LOOKUPS_KEPT = 10_000  # run-wide reference lookups remembered at once (see Lookups)

Settle = Callable[[Link], Target]
Tagged = tuple[tuple[int, int], Finding]
_T = TypeVar("_T")
_R = TypeVar("_R")


class Mapper(Protocol):
    """Runs ``work`` on every item and gives the results in item order (e.g. in forked
    processes: see :mod:`pcocheck.parallel.fanout`); ``jobs``: the processes it uses."""

    jobs: int

    def __call__(self, work: Callable[[_T], _R], items: Sequence[_T], /) -> Iterable[_R]: ...


class InProcess:
    """The :class:`Mapper` of a run in one process."""

    jobs = 1

    def __call__(self, work: Callable[[_T], _R], items: Sequence[_T], /) -> list[_R]:
        return [work(item) for item in items]


IN_PROCESS = InProcess()


class Lookups:
    """The run's resolver with its answers remembered (a score's focus is often the goal
    of the scores just before it): at most ``LOOKUPS_KEPT`` at once, forgotten all
    together past that; lifetime: one cross-resource phase (each process its own)."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        # (Type/id, server base, referring file) -> [candidates, the settled target for a
        # referrer that is none of them (once known)]
        self._known: dict[tuple[str, str | None, str], list[Any]] = {}

    def _lookup(self, key: str, base: str | None, near_file: str) -> list[Any]:
        asked = (key, base, near_file)
        known = self._known.get(asked)
        if known is None:
            if len(self._known) >= LOOKUPS_KEPT:
                self._known.clear()
            known = self._known[asked] = [self.resolver.candidates(key, base, near_file), None]
        return known

    def candidates(self, key: str, base: str | None, near_file: str) -> tuple[Identity, ...]:
        found: tuple[Identity, ...] = self._lookup(key, base, near_file)[0]
        return found

    def settle(self, target: Target | str, file: str, line: int | None) -> Target:
        """:func:`~pcocheck.rules.references.settle_at`, the same answer remembered for
        every referrer in ``file`` that is not itself a candidate."""
        waiting = waiting_for(target)
        if waiting is None:
            assert isinstance(target, Target)
            return target
        known = self._lookup(*waiting, file)
        if any(c.line == line and c.file == file for c in known[0]):
            return settle_at(target, file, line, self)  # it is left out of its candidates
        if known[1] is None:
            known[1] = settle_at(target, file, line, self)
        settled: Target = known[1]
        return settled


def finish_facts(rules: PcoRules, settled: Settle, fan_out: Mapper | None = None) -> list[Finding]:
    """Every cross-resource finding of the run, in the run's order; ``fan_out``: how the
    tasks may run in parallel (None: here, one after the other)."""
    with collector_paused():
        return _finish_facts(rules, settled, fan_out)


def _finish_facts(rules: PcoRules, settled: Settle, fan_out: Mapper | None) -> list[Finding]:
    facts = len(rules.goals) + len(rules.gas_scores) + len(rules.prom_scores)
    if fan_out is not None and (fan_out.jobs < 2 or facts < FAN_OUT_FACTS):
        fan_out = None
    parts = -(-facts // FACTS_PER_PART) if facts > ONE_PASS_FACTS else 1
    if parts > 1:
        return finish_in_parts(rules, settled, parts, fan_out=fan_out)
    if fan_out is None:
        return _one_pass(rules, settled, ("gas", "prom"))  # the goals decoded once
    found = fan_out(partial(_one_pass, rules, settled), [("gas",), ("prom",)])
    return [finding for findings in found for finding in findings]


def _one_pass(rules: PcoRules, settled: Settle, checks: tuple[str, ...]) -> list[Finding]:
    """The checks named (``gas``: finish_gas; ``prom``: finish_derived, finish_panels,
    finish_goals) over every fact, rebuilt at once; each task rebuilds only what it reads."""
    gas = "gas" in checks and len(rules.gas_scores) > 0
    prom = "prom" in checks and len(rules.prom_scores) > 0
    goals = rules.goals.mapping() if gas or prom else {}
    out = finish_gas(goals, list(rules.gas_scores), settled) if gas else []
    if "prom" in checks:
        prom_scores = list(rules.prom_scores) if prom else []
        if prom and len(rules.responses):
            finish_derived(prom_scores, rules.responses.mapping(), settled, out)
        if len(rules.panels):
            finish_panels(list(rules.panels), rules.items.mapping(), settled, out)
        finish_goals(goals, prom_scores, settled, out)
    return out


# -- part by part -----------------------------------------------------------------------
def part_of(key: ResourceKey, parts: int) -> int:
    """The part of a goal key: the same in every process and run."""
    return zlib.crc32(repr(key).encode("utf-8", "surrogatepass")) % parts


def _settled_plain(target: Target) -> tuple[Any, ...]:
    return (target.status, target.key, target.pending, target.how)


def _unsettled(plain: tuple[Any, ...]) -> Target:
    status, key, pending, how = plain
    return Target(status, key, pending, how)


# A score in a part: (its number in the run, its focus links settled, the score).
register(
    "gas-part",
    lambda e: (e[0], e[1], encode_gas(e[2])),
    lambda v: (v[0], v[1], decode_gas(v[2])),
)
register(
    "prom-part",
    lambda e: (e[0], e[1], encode_prom(e[2])),
    lambda v: (v[0], v[1], decode_prom(v[2])),
)


def _goal_of(targets: list[Target], goal_keys: set[ResourceKey], parts: int) -> int | None:
    """The part of the first focus that is a goal of the run (where the checks look)."""
    for target in targets:
        if target.key is not None and target.key in goal_keys:
            return part_of(target.key, parts)
    return None


# A slice's scores are numbered from ``slice << _SLICE_SHIFT``: numbers that keep the run's
# order whatever the slices' sizes (a slice's size is not known before it is decoded).
_SLICE_SHIFT = 40


class _Partition:
    """Splits slices of the run's goals and scores into parts (one task per slice). A
    compressed fact is read as its plain values (see :mod:`pcocheck.rules.store`): its
    focus links are settled from them, and it goes to its part as it came, without being
    rebuilt and encoded again."""

    def __init__(
        self, settled: Settle, lookups: Lookups, goal_keys: set[ResourceKey], parts: int
    ) -> None:
        self.settled = settled
        self.lookups = lookups
        self.goal_keys = goal_keys
        self.parts = parts

    def __call__(self, task: tuple[str, int, FactLog]) -> list[FactLog]:
        kind, number, log = task
        parts = self.parts
        if kind == "goal":
            goal_parts = [FactLog("goal", keyed=True) for _ in range(parts)]
            for plain, entry in log.raw():
                if plain:
                    key = plain_key(entry[0])
                    goal_parts[part_of(key, parts)].add_plain((key, entry[1]))
                else:
                    goal_parts[part_of(entry[0], parts)].add(entry)
            return _sealed(goal_parts)
        settled, settle_plain, goal_keys = self.settled, self._settle_plain, self.goal_keys
        found = [FactLog(f"{kind}-part") for _ in range(parts)]
        first = number << _SLICE_SHIFT
        for position, (plain, score) in enumerate(log.raw()):
            if plain:  # the focus links: score[_FOCUS], as (target, place, text)
                targets = [settle_plain(target, place) for target, place, _ in score[_FOCUS]]
            else:
                targets = [settled(link) for link in score.focus]
            part = _goal_of(targets, goal_keys, parts)
            if part is None and kind == "prom":
                continue  # a score focusing on no goal: nothing to check by goal
            entry = (first + position, tuple(_settled_plain(t) for t in targets), score)
            if plain:
                found[part if part is not None else 0].add_plain(entry)
            else:
                found[part if part is not None else 0].add(entry)
        return _sealed(found)

    def _settle_plain(self, target: Any, place: tuple[Any, ...]) -> Target:
        """:meth:`PcoRules.finish`'s settle of a link kept as plain values."""
        found = untarget(target)
        if not isinstance(found, str) and found.pending is None:
            return found
        spot = place[0]  # a RecordSpot: file, line, ...
        return self.lookups.settle(found, spot[0] or "", spot[1])


# Where a compressed GAS or PROM score keeps its focus links (see store.encode_gas/_prom).
_FOCUS = 6


def _sealed(logs: list[FactLog]) -> list[FactLog]:
    """``logs`` with their last facts compressed too (sent, or kept, as batches only)."""
    for log in logs:
        for segment in log.segments:
            if isinstance(segment, Spool):
                segment.seal()
    return logs


def finish_in_parts(
    rules: PcoRules, settled: Settle, parts: int, *, fan_out: Mapper | None = None
) -> list[Finding]:
    mapper: Mapper = fan_out if fan_out is not None else IN_PROCESS
    logs = {"goal": rules.goals, "gas": rules.gas_scores, "prom": rules.prom_scores}
    # Facts kept as they are (a whole file's anchors) are partitioned here: sent back from
    # another process they would take their file's text along.
    spread = fan_out is not None and all(log.plain for log in logs.values())
    slices = mapper.jobs * SLICES_PER_JOB if spread else 1
    tasks = [
        (kind, number, piece)
        for kind, log in logs.items()
        for number, piece in enumerate(log.split(slices) if spread else [log])
    ]
    partition = _Partition(settled, Lookups(rules.resolver), set(rules.goals.keys()), parts)
    split = mapper(partition, tasks) if spread else IN_PROCESS(partition, tasks)
    by_kind: dict[str, list[FactLog]] = {
        kind: [
            FactLog(log.kind if kind == "goal" else f"{kind}-part", log.keyed) for _ in range(parts)
        ]
        for kind, log in logs.items()
    }
    for (kind, _, _), found in zip(tasks, split, strict=True):
        for part, log in enumerate(found):
            by_kind[kind][part].extend(log)
    del partition, split, tasks

    checks = _Checks(rules, settled, by_kind["goal"], by_kind["gas"], by_kind["prom"])
    items: list[tuple[str, int]] = [("part", part) for part in range(parts)]
    if len(rules.responses):
        checks.derived_slices = (
            rules.prom_scores.split(mapper.jobs) if fan_out else [rules.prom_scores]
        )
        items += [("derived", n) for n in range(len(checks.derived_slices))]
    if len(rules.panels):
        items.append(("panels", 0))
    tagged: list[Tagged] = []
    in_run_order: dict[int, int] = {2: 0, 3: 0}  # findings so far per phase (2, 3)
    for (what, _), checked in zip(items, mapper(checks, items), strict=True):
        if what == "part":
            tagged.extend(checked)
        else:
            phase = 2 if what == "derived" else 3
            start = in_run_order[phase]
            tagged.extend(((phase, start + i), f) for i, (_, f) in enumerate(checked))
            in_run_order[phase] += len(checked)
    tagged.sort(key=lambda item: item[0])  # stable: a part's findings keep their order
    return [finding for _, finding in tagged]


class _Checks:
    """The checks after the partition (one task each): a part's GAS and PROM-goal checks
    (tagged with their place in the run's order), then the checks that join by response
    (phase 2) and by panel member (phase 3), in the run's order."""

    def __init__(
        self,
        rules: PcoRules,
        settled: Settle,
        goal_parts: list[FactLog],
        gas_parts: list[FactLog],
        prom_parts: list[FactLog],
    ) -> None:
        self.rules = rules
        self.settled = settled
        self.goal_parts = goal_parts
        self.gas_parts = gas_parts
        self.prom_parts = prom_parts
        self.derived_slices: list[FactLog] = []

    def __call__(self, item: tuple[str, int]) -> list[Tagged]:
        what, number = item
        if what == "part":
            return self._part(number)
        found: list[Finding] = []
        if what == "derived":
            _derived(self.derived_slices[number], self.rules.responses, self.settled, found)
        else:
            rules = self.rules
            finish_panels(list(rules.panels.entries()), rules.items.mapping(), self.settled, found)
        return [((0, 0), f) for f in found]  # tagged by the caller, in the run's order

    def _part(self, part: int) -> list[Tagged]:
        tagged: list[Tagged] = []
        goals = self.goal_parts[part].mapping()
        gas = list(self.gas_parts[part].entries())
        order = Order([number for number, _, _ in gas])
        found = finish_gas(goals, [s for _, _, s in gas], _settle_from(gas), order)
        tagged.extend(((phase, n), f) for (phase, n), f in zip(order.tags, found, strict=True))
        del gas, found
        prom = list(self.prom_parts[part].entries())
        order = Order([number for number, _, _ in prom])
        out: list[Finding] = []
        finish_goals(goals, [s for _, _, s in prom], _settle_from(prom), out, order)
        # PROM goal findings come after the derived and panel checks (phases 2, 3).
        tagged.extend(((phase + 2, n), f) for (phase, n), f in zip(order.tags, out, strict=True))
        return tagged


def _settle_from(entries: list[tuple[int, tuple[Any, ...], Any]]) -> Settle:
    """The settled targets of the focus links of ``entries`` (scores rebuilt in a part)."""
    known: dict[int, Target] = {}
    for _, plain, score in entries:
        for link, target in zip(score.focus, plain, strict=True):
            known[id(link)] = _unsettled(target)

    def settle(link: Link) -> Target:
        return known[id(link)]

    return settle


def _derived(scores: FactLog, responses: FactLog, settled: Settle, found: list[Finding]) -> None:
    """The scores derived from responses (phase 2), in chunks of scores in the run's order."""
    by_key = responses.mapping()
    chunk: list[PromScore] = []
    for score in scores.entries():
        chunk.append(score)
        if len(chunk) >= CHUNK:
            finish_derived(chunk, by_key, settled, found)
            chunk = []
    finish_derived(chunk, by_key, settled, found)


__all__ = [
    "FACTS_PER_PART",
    "IN_PROCESS",
    "ONE_PASS_FACTS",
    "Mapper",
    "finish_facts",
    "finish_in_parts",
    "part_of",
]
