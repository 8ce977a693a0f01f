"""Orchestrates a run: inputs → resource views → checkers → findings → result.

Checkers are objects with ``check(view)`` (per resource, streaming) and ``finish()``
(after every input, for cross-resource rules). The runner never prints and never
exits the process; the CLI turns the :class:`RunResult` into output and an exit code.
"""

from __future__ import annotations

import gc
import os
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

from pcocheck.collector import collector_paused
from pcocheck.config import RunConfig, Selection
from pcocheck.finding import Finding
from pcocheck.inputs.discover import InputFile, discover
from pcocheck.inputs.first_pass import index_read
from pcocheck.inputs.read import (
    Document,
    _decode,
    index_documents,
    parse_text,
    read_documents,
)
from pcocheck.inputs.resources import split_resources
from pcocheck.inputs.source import SourceText
from pcocheck.resolution import Resolver
from pcocheck.result import RunResult
from pcocheck.view import Anchor, ResourceView, locating_only

if TYPE_CHECKING:
    from pcocheck.definitions.registry import DefinitionRegistry
    from pcocheck.parallel.indexing import EarlyFirstPass


class Checker(Protocol):
    def check(self, view: ResourceView) -> Iterable[Finding]: ...

    def finish(self) -> Iterable[Finding]: ...


class Progress(Protocol):
    """Told how a run advances (e.g. a progress bar); never told anything it must print."""

    def start(self, files: int) -> None: ...

    def advance(self, files: int = 0, resources: int = 0) -> None: ...

    def stop(self) -> None: ...


class Run:
    """One validation run over a set of inputs with a fixed set of checkers."""

    def __init__(self, config: RunConfig, checkers: Sequence[Checker]) -> None:
        self.config = config
        self.checkers = list(checkers)
        self.keep = Selection(config.select, config.ignore)
        self.result = RunResult(fail_on=config.fail_on)
        self.progress: Progress | None = None  # told as inputs and resources are done
        self.errors = 0
        self.prescanned: set[str] = set()  # inputs whose resources the first pass indexed
        # A run of one JSON document keeps what the first pass read for the main pass (and
        # for forked workers), so the document is read and parsed once; lifetime: until
        # the main pass takes it (see :meth:`documents`).
        self.held: tuple[str, list[Document | Finding]] | None = None
        # Whether this run froze the collector's objects (see _freeze_held).
        self._frozen = False
        self.entries: dict[str, int] = {}  # top-level Bundle entries per input, first pass
        self.indexed = False  # whether the first pass ran
        self._first_error: str | None = None
        # How the checkers' finish may spread its tasks over processes (a local parallel
        # run sets it after its checking pass, see pcocheck.parallel.fanout); None: here.
        self.fan_out: object = None
        # A parallel first pass started before the definitions loaded (pcocheck.api), for
        # pcocheck.parallel to take over; None: the run's own first pass.
        self.early_first_pass: EarlyFirstPass | None = None
        # The resolvers of the checkers (normally one, shared): the first pass indexes
        # every resource into each.
        self.resolvers: list[Resolver] = []
        for checker in self.checkers:
            resolver = getattr(checker, "resolver", None)
            if isinstance(resolver, Resolver) and not any(resolver is r for r in self.resolvers):
                resolver.managed = True  # this run indexes every resource into it
                self.resolvers.append(resolver)

    def _add(self, findings: Iterable[Finding]) -> None:
        if not findings:  # an empty list (most checks of most resources)
            return
        keep = self.keep
        self.result.findings.extend(f for f in findings if keep(f.code))

    def _internal_error(self, error: Exception, where: str, anchor: Anchor | None) -> Finding:
        """An unexpected exception: a ``processing`` finding where it happened, and the run
        is marked incomplete (exit code 3) — never a silent pass."""
        detail = f"{type(error).__name__}: {error}"
        if len(detail) > 300:
            detail = detail[:297] + "..."
        reason = f"internal error while {where} ({detail})"
        self.errors += 1
        if self._first_error is None:
            self._first_error = reason
            self.result.incomplete = reason
        else:
            self.result.incomplete = (
                f"{self.errors} internal errors; the first: {self._first_error}"
            )
        target = anchor if anchor is not None else Anchor(source=None, file=None)
        return target.finding(
            "FHIR-PROFILE-070",
            f"{reason}; the checks after it were not performed — please report it",
        )

    def check_view(self, view: ResourceView, indexed: bool = True) -> None:
        self.result.resources += 1
        if self.progress is not None:
            self.progress.advance(resources=1)
        if not indexed:  # read once (stdin, a pipe): indexed as it is read
            for resolver in self.resolvers:
                resolver.add(view)
        for checker in self.checkers:
            try:
                # Materialised here so that an error raised by a lazy checker is caught.
                findings = list(checker.check(view))
            except Exception as error:  # a bug in one check must not lose the run
                name = type(checker).__name__
                findings = [
                    self._internal_error(error, f"{name} checked {view.label}", view.anchor)
                ]
            self._add(findings)

    def check_document(
        self,
        document: Document,
        indexed: bool = True,
        refreeze: bool = False,
        part: Callable[[int | None], bool] | None = None,
        span: tuple[int, int | None] | None = None,
    ) -> None:
        """Check every resource of ``document`` (``part``: only what sits at the top-level
        entries it accepts, the others unparsed; None is the document itself; ``span``:
        the entries [start, end) it may accept, the others not even looked at);
        ``refreeze``: the collector is spared (see :func:`spare_collector`), and what
        outlives each run of ``REFREEZE_EVERY`` resources (the cross-resource facts, which
        keep their anchors for a whole file) joins the frozen objects too, so that no
        collection walks it again."""
        checked = 0
        for item in split_resources(document, part, span=span):
            if part is not None:
                entry = item.entry if isinstance(item, Finding) else item.anchor.entry
                if not part(entry):
                    continue
            if isinstance(item, Finding):
                self._add((item,))
            else:
                self.check_view(item, indexed)
                if refreeze:
                    checked += 1
                    if checked % REFREEZE_EVERY == 0:
                        gc.freeze()

    def prescan(self, inputs: list[InputFile]) -> None:
        """A quick first pass that indexes every resource (its identity only) before any
        is validated, so references to resources later in the run (another file, a later
        NDJSON line) resolve the same whatever the order of the inputs. Only parsing is
        repeated; problems are reported once, by the main pass. Inputs that cannot be
        read twice (stdin, pipes, process substitution, FIFOs) are not prescanned: they
        are read once, by the main pass, and indexed as they are read."""
        # The checkers' resolvers index identities; a checker may also index more itself.
        self.indexed = True
        indexers = [c for c in self.checkers if hasattr(c, "prescan")]
        if not indexers and not self.resolvers:
            return
        # One JSON document (e.g. a large Bundle), or one small NDJSON file: parsed once,
        # for both passes (a larger one too when no parallel map will read it again, see
        # HELD_SERIAL_NDJSON_BYTES).
        serial = self.config.jobs <= 1 and self.config.executor == "local"
        limit = HELD_SERIAL_NDJSON_BYTES if serial else HELD_NDJSON_BYTES
        hold = len(inputs) == 1 and (not inputs[0].ndjson or small_ndjson(inputs[0], limit))
        for item in inputs:
            if not rereadable(item):
                continue
            try:
                # A document kept for the checks is read as they read it; a large NDJSON
                # file's records with the cyclic collector paused (parsed JSON makes no
                # cycles; each full collection would walk every record read so far).
                large = hold and item.ndjson and not small_ndjson(item)
                with collector_paused() if large else nullcontext():
                    produced: Iterable[Document | Finding] = (
                        list(read_documents(item)) if hold else index_documents(item)
                    )
                    entries = self._index(produced, indexers)
                    if large:
                        self._freeze_held()
            except Exception:  # the main pass reads the file again and reports the error
                continue
            if hold:
                assert isinstance(produced, list)
                self.held = (item.display, produced)
            self.entries[item.display] = entries
            self.prescanned.add(item.display)

    def _freeze_held(self) -> None:
        """Leave what exists now (a large NDJSON file's records, held) out of the
        collector's generations until they are checked (see :meth:`_thaw`): each
        collection would walk every record still held, to free nothing; the first young
        one after the paused reading walked all of them (0.1 s for 10,000 records). Not
        when something else froze objects (unfreezing would undo that)."""
        if not gc.get_freeze_count():
            gc.freeze()
            self._frozen = True

    def _thaw(self) -> None:
        if self._frozen:
            self._frozen = False
            gc.unfreeze()

    def _index(self, produced: Iterable[Document | Finding], indexers: list[Checker]) -> int:
        """Index what was read; returns the number of top-level Bundle entries seen."""
        return index_read(produced, self.resolvers, indexers)

    def documents(
        self, item: InputFile, stdin: IO[bytes] | None = None, keep: bool = False
    ) -> Iterable[Document | Finding]:
        """What ``item`` holds: the first pass's reading when it was kept (handed over, so
        it is freed as the main pass goes; ``keep``: a forked worker's copy, used by each
        of its parts), else read now."""
        held = self.held
        if held is not None and held[0] == item.display:
            if keep:
                return iter(held[1])
            self.held = None
            return self._handed_over(held[1])
        return read_documents(item, stdin)

    def _handed_over(self, documents: list[Document | Finding]) -> Iterator[Document | Finding]:
        """The held ``documents`` for the checks, each let go of as it is taken; what the
        first pass froze is thawed once the last is checked."""
        try:
            for index in range(len(documents)):
                document = documents[index]
                documents[index] = None  # type: ignore[call-overload]  # let go of it
                yield document
        finally:
            self._thaw()

    def execute(self, stdin: IO[bytes] | None = None) -> RunResult:
        found, problems = discover(list(self.config.paths))
        return self.execute_inputs(found, problems, stdin)

    def execute_inputs(
        self,
        found: list[InputFile],
        problems: Iterable[Finding] = (),
        stdin: IO[bytes] | None = None,
    ) -> RunResult:
        """Run over inputs the caller has already discovered (the Python API brings
        in-memory inputs of its own); ``problems`` are findings made while preparing them."""
        self._add(problems)
        inputs = distinct_files(found)
        progress = self.progress
        if progress is not None:
            progress.start(len(inputs))
        # Findings of dropped codes are not located (see pcocheck.view.locating_only).
        located = locating_only(self.keep) if self.keep.narrows else nullcontext()
        try:
            with located:
                if not self._map_in_parallel(inputs):  # it prescans itself when it maps
                    if not self.indexed:
                        self.prescan(inputs)
                    for item in inputs:
                        self.check_input(item, stdin)
                        if progress is not None:
                            progress.advance(files=1)
                self.finish()
        finally:
            self._thaw()  # held documents never checked (an error)
            if progress is not None:
                progress.stop()
        return self.result

    def _map_in_parallel(self, inputs: list[InputFile]) -> bool:
        """Whether the map step ran in parallel (``--jobs``, ``--executor``; see
        :mod:`pcocheck.parallel`, imported only by runs that may use it)."""
        if self.config.jobs <= 1 and self.config.executor == "local":
            return False
        from pcocheck.parallel import map_in_parallel

        return map_in_parallel(self, inputs)

    def check_input(self, item: InputFile, stdin: IO[bytes] | None = None) -> None:
        """The map step for one whole input: read it and check every resource."""
        self.result.files += 1
        self.check_produced(item, lambda: self.documents(item, stdin))

    def check_produced(
        self,
        item: InputFile,
        produce: Callable[[], Iterable[Document | Finding]],
        part: Callable[[int | None], bool] | None = None,
        span: tuple[int, int | None] | None = None,
    ) -> None:
        """Check what ``produce()`` reads from ``item`` (documents and read findings);
        ``part``: only what sits at these top-level Bundle entries (a parallel run's part
        of a large Bundle; None is the document itself), all within ``span`` if given."""
        indexed = item.display in self.prescanned
        try:
            for document in produce():
                if isinstance(document, Finding):
                    if part is None or part(document.entry):
                        self._add((document,))
                else:
                    # For a parallel run's part of a large Bundle too: this process (the
                    # parent, which let go of its pre-fork freeze) would otherwise walk the
                    # run's definitions and index in full collections; helpers keep theirs.
                    spared = spare_collector(document)
                    try:
                        self.check_document(
                            document, indexed, refreeze=spared, part=part, span=span
                        )
                    finally:
                        if spared:
                            gc.unfreeze()
        except Exception as error:  # a bug while reading one file: the others go on
            anchor = Anchor(source=None, file=item.display)
            self._add([self._internal_error(error, f"reading {item.display}", anchor)])

    def note_errors(self, count: int, first: str | None) -> None:
        """Count internal errors met elsewhere (another process), as if met here."""
        if count <= 0 or first is None:
            return
        if self._first_error is None:
            self._first_error = first
        self.errors += count
        self.result.incomplete = (
            self._first_error
            if self.errors == 1
            else f"{self.errors} internal errors; the first: {self._first_error}"
        )

    def finish(self) -> None:
        """The reduce step: every checker's cross-resource findings, once per run (a
        checker with a ``fan_out`` attribute is lent the run's, for this call)."""
        for checker in self.checkers:
            lent = self.fan_out is not None and hasattr(checker, "fan_out")
            if lent:
                setattr(checker, "fan_out", self.fan_out)  # noqa: B010 - optional attribute
            try:
                findings = list(checker.finish())
            except Exception as error:
                name = type(checker).__name__
                findings = [self._internal_error(error, f"{name} finished the run", None)]
            finally:
                if lent:
                    setattr(checker, "fan_out", None)  # noqa: B010 - optional attribute
            self._add(findings)


LARGE_DOCUMENT_CHARS = 1024 * 1024
# While a large document is checked, the objects that outlive its resources are frozen
# again after every this many (see Run.check_document): a Bundle's cross-resource facts
# keep whole-file anchors, not compressed records, and each older-generation collection
# walked all of them again (a 10,000-entry Bundle: 0.1 s of collections, almost nothing
# collected; the run's cyclic garbage is collected after the document, at the unfreeze).
REFREEZE_EVERY = 500
# A plain NDJSON file smaller than this is read once when it is the run's only input: the
# first pass keeps its parsed records (about ten times the text) for the checks, instead of
# reading and parsing every record twice (about a tenth of the run's time at 1,000 records).
HELD_NDJSON_BYTES = 1024 * 1024
# The same for a run whose checks are not mapped in parallel (one job, local): a plain
# NDJSON file under this size is read once too (about 7.5 times the text held, e.g. 70 MB
# for 10,000 records, 9 MB; a parallel run's helpers read their chunks themselves).
HELD_SERIAL_NDJSON_BYTES = 12 * 1024 * 1024


def small_ndjson(item: InputFile, limit: int | None = None) -> bool:
    """A plain (not gzipped) NDJSON file on disk or in memory under ``limit`` bytes (None:
    HELD_NDJSON_BYTES)."""
    if limit is None:
        limit = HELD_NDJSON_BYTES
    if item.gzipped:
        return False
    if item.data is not None:
        return len(item.data) < limit
    if item.path is None:
        return False
    try:
        return os.stat(item.path).st_size < limit
    except OSError:
        return False


def spare_collector(document: Document) -> bool:
    """Keep the cyclic garbage collector off a large parsed document while it is checked:
    each full collection would walk every object of the tree again (six times, 0.7 s, for a
    9 MB Bundle) and find nothing to free. Everything that exists now goes into the
    collector's permanent generation (``gc.freeze``) until the caller's ``gc.unfreeze``;
    reference counting frees as always. Not when something else froze objects (a forked
    worker, an application that froze its own): unfreezing would undo that. Returns whether
    the caller must unfreeze."""
    source = document.source
    if source.record or len(source.text) < LARGE_DOCUMENT_CHARS or gc.get_freeze_count():
        return False
    gc.freeze()
    return True


def rereadable(item: InputFile) -> bool:
    """Whether an input can be read twice: a regular file (not stdin, a pipe, a FIFO, a
    process substitution such as ``<(zcat f.gz)`` or ``/dev/stdin``)."""
    if item.data is not None:  # in memory (the Python API)
        return True
    if item.path is None:
        return False
    try:
        return stat.S_ISREG(os.stat(item.path).st_mode)
    except OSError:
        return False


def distinct_files(inputs: list[InputFile]) -> list[InputFile]:
    """The inputs without repeats of one file under another name (a hard link, a second
    path to the same file): each file is read, and its resources identified, once."""
    seen: set[tuple[int, int]] = set()
    out: list[InputFile] = []
    for item in inputs:
        if item.path is not None:
            try:
                info = os.stat(item.path)
            except OSError:
                out.append(item)
                continue
            if stat.S_ISREG(info.st_mode):
                marker = (info.st_dev, info.st_ino)
                if marker in seen:
                    continue
                seen.add(marker)
        out.append(item)
    return out


def run(
    config: RunConfig,
    checkers: Sequence[Checker] = (),
    stdin: IO[bytes] | None = None,
    progress: Progress | None = None,
) -> RunResult:
    runner = Run(config, checkers)
    runner.progress = progress
    return runner.execute(stdin)


class ConfigurationError(Exception):
    """Options or definitions that make a run impossible (exit code 2)."""


def load_definitions(config: RunConfig) -> DefinitionRegistry:
    """The shipped definitions plus any --profiles folders and --package packages.

    Definitions that cannot be loaded are a configuration error (exit 2); problems that
    let loading go on (a missing package dependency) are kept on the registry and
    reported as findings by :class:`DefinitionWarnings`.
    """
    from pcocheck.definitions import DefinitionError
    from pcocheck.definitions.registry import default_registry

    try:
        registry = default_registry()
        for folder in config.profile_dirs:
            registry.add_folder(Path(folder))
        for package in config.packages:
            if "#" not in package and not package.endswith((".tgz", ".tar.gz")):
                raise ConfigurationError(f"--package {package!r}: give FILE.tgz or id#version")
            registry.add_package(
                package, fetch=config.fetch_packages, registry_url=config.package_registry
            )
        # --profile definitions are compiled now, so that their problems (a cyclic base,
        # an element path too deep to build) are configuration errors too
        missing = [url for url in config.profiles if registry.structure(url) is None]
        problems = registry.problems
    except DefinitionError as error:
        raise ConfigurationError(str(error)) from None
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        shown = "; ".join(f"{p.source}: {p.message}" for p in errors[:3])
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        raise ConfigurationError(f"cannot use the definitions: {shown}{more}")
    if missing:
        raise ConfigurationError(f"--profile {missing[0]}: no such profile is loaded")
    return registry


class DefinitionWarnings:
    """Reports definition problems that did not stop loading (e.g. a missing dependency)."""

    def __init__(self, registry: DefinitionRegistry) -> None:
        self.registry = registry

    def check(self, view: ResourceView) -> Iterable[Finding]:
        return ()

    def finish(self) -> Iterable[Finding]:
        for problem in self.registry.problems:
            if problem.severity != "error":
                anchor = Anchor(source=None, file=problem.source)
                yield anchor.finding(problem.code, problem.message)


def build_checkers(config: RunConfig, registry: DefinitionRegistry | None = None) -> list[Checker]:
    """The checkers a validation run uses, built from the configuration (and from
    ``registry`` when the caller loaded the definitions once for many runs)."""
    from pcocheck.engine.core import ProfileEngine
    from pcocheck.engine.extensions import ExtensionPolicy
    from pcocheck.rules import PcoRules
    from pcocheck.terminology import TerminologyService

    if registry is None:
        registry = load_definitions(config)
    tx = None
    if config.tx_url:  # the client's module is imported only by runs that ask a server
        from pcocheck.terminology.tx import TxClient

        tx = TxClient(config.tx_url, cache_dir=config.tx_cache, auth=config.tx_auth)
    terminology = TerminologyService(registry, display_check=config.display_check, tx=tx)
    resolver = Resolver()  # one for the run: the engine and the rules resolve alike
    engine = ProfileEngine(
        registry,
        terminology,
        extra_profiles=config.profiles,
        must_support=config.must_support,
        resolver=resolver,
        extension_policy=ExtensionPolicy(
            domains=config.extension_domains, allow_example_urls=config.allow_example_urls
        ),
        security_checks=config.security_checks,
    )
    rules = PcoRules(questionnaires=registry.questionnaire, resolver=resolver)
    return [DefinitionWarnings(registry), engine, rules]


def validate_config(
    config: RunConfig,
    stdin: IO[bytes] | None = None,
    extra: Sequence[Checker] = (),
    progress: Progress | None = None,
) -> RunResult:
    """Validate the inputs named in ``config`` with the full set of checkers (plus
    ``extra`` ones, e.g. the inventory of checked resources some reports list)."""
    return run(config, [*build_checkers(config), *extra], stdin, progress)


def validate_documents(
    config: RunConfig,
    checkers: Sequence[Checker],
    documents: Iterable[Document],
    keep: Callable[[ResourceView], bool] | None = None,
) -> RunResult:
    """Validate documents that are already in memory (e.g. HTTP responses, each labelled
    with its request URL) with the same checkers as files. ``keep`` chooses which resource
    views are validated (e.g. each resource once although several responses held it); all
    kept views are indexed first, so references between responses resolve."""
    run = Run(config, checkers)
    chosen: list[tuple[Document, list[ResourceView | Finding]]] = []
    for document in documents:
        items = [
            item
            for item in split_resources(document)
            if isinstance(item, Finding) or keep is None or keep(item)
        ]
        chosen.append((document, items))
    indexers = [c for c in run.checkers if hasattr(c, "prescan")]
    for _, items in chosen:
        for item in items:
            if isinstance(item, ResourceView):
                for resolver in run.resolvers:
                    resolver.add(item)
                for checker in indexers:
                    getattr(checker, "prescan")(item)  # noqa: B009 - optional method
    for _, items in chosen:
        run.result.files += 1
        for item in items:
            if isinstance(item, Finding):
                run._add((item,))
            else:
                run.check_view(item)
    for checker in run.checkers:
        run._add(checker.finish())
    return run.result


def document_from_bytes(data: bytes, label: str) -> tuple[Document | None, list[Finding]]:
    """Parse bytes that were not read from a file (an HTTP response body) into a document
    whose findings carry ``label`` (e.g. the request URL) as their file."""
    # Decoded exactly as a file is (BOM, UTF-16/32, invalid bytes located).
    text, findings = _decode(data, label, 1, Anchor(source=None, file=label), allow_bom=True)
    if text is None:
        return None, findings  # where the bytes go wrong (line and column), not line 1
    source = SourceText(label, text)
    value, parsed = parse_text(text, source, Anchor(source=source, file=label))
    return (Document(source, value) if value is not None else None), findings + parsed
