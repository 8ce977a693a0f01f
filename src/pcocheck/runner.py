"""Orchestrates a run: inputs → resource views → checkers → findings → result.

Checkers are objects with ``check(view)`` (per resource, streaming) and ``finish()``
(after every input, for cross-resource rules). The runner never prints and never
exits the process; the CLI turns the :class:`RunResult` into output and an exit code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

from pcocheck.config import RunConfig, Selection
from pcocheck.finding import Finding
from pcocheck.inputs.discover import InputFile, discover
from pcocheck.inputs.read import Document, parse_text, read_documents
from pcocheck.inputs.resources import split_resources
from pcocheck.inputs.source import SourceText
from pcocheck.result import RunResult
from pcocheck.view import Anchor, ResourceView

if TYPE_CHECKING:
    from pcocheck.definitions.registry import DefinitionRegistry


class Checker(Protocol):
    def check(self, view: ResourceView) -> Iterable[Finding]: ...

    def finish(self) -> Iterable[Finding]: ...


class Run:
    """One validation run over a set of inputs with a fixed set of checkers."""

    def __init__(self, config: RunConfig, checkers: Sequence[Checker]) -> None:
        self.config = config
        self.checkers = list(checkers)
        self.keep = Selection(config.select, config.ignore)
        self.result = RunResult(fail_on=config.fail_on)

    def _add(self, findings: Iterable[Finding]) -> None:
        keep = self.keep
        self.result.findings.extend(f for f in findings if keep(f.code))

    def check_view(self, view: ResourceView) -> None:
        self.result.resources += 1
        for checker in self.checkers:
            try:
                self._add(checker.check(view))
            except Exception as error:  # one bad resource must not end the run unreported
                if self.result.incomplete is None:
                    self.result.incomplete = (
                        f"internal error while checking {view.label} in {view.anchor.file}: "
                        f"{type(error).__name__}: {error}"
                    )

    def check_document(self, document: Document) -> None:
        for item in split_resources(document):
            if isinstance(item, Finding):
                self._add((item,))
            else:
                self.check_view(item)

    def prescan(self, inputs: list[InputFile]) -> None:
        """A quick first pass that lets checkers index every resource before any is
        validated, so references to resources later in the run (another file, a later
        NDJSON line) resolve. Only parsing is repeated; problems are reported once, by
        the main pass. Standard input cannot be read twice and is not prescanned."""
        indexers = [c for c in self.checkers if hasattr(c, "prescan")]
        if not indexers or len(inputs) == 0:
            return
        for item in inputs:
            if item.path is None and item.data is None:
                continue
            for produced in read_documents(item):
                if isinstance(produced, Finding):
                    continue
                for view in split_resources(produced):
                    if not isinstance(view, Finding):
                        for checker in indexers:
                            checker.prescan(view)

    def execute(self, stdin: IO[bytes] | None = None) -> RunResult:
        inputs, problems = discover(list(self.config.paths))
        return self.execute_inputs(inputs, problems, stdin)

    def execute_inputs(
        self,
        inputs: list[InputFile],
        problems: Iterable[Finding] = (),
        stdin: IO[bytes] | None = None,
    ) -> RunResult:
        """Run over inputs the caller has already discovered (the Python API brings
        in-memory inputs of its own); ``problems`` are findings made while preparing them."""
        self._add(problems)
        self.prescan(inputs)
        for item in inputs:
            self.result.files += 1
            for produced in read_documents(item, stdin):
                if isinstance(produced, Finding):
                    self._add((produced,))
                else:
                    self.check_document(produced)
        for checker in self.checkers:
            self._add(checker.finish())
        return self.result


def run(
    config: RunConfig, checkers: Sequence[Checker] = (), stdin: IO[bytes] | None = None
) -> RunResult:
    return Run(config, checkers).execute(stdin)


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
        problems = registry.problems
    except DefinitionError as error:
        raise ConfigurationError(str(error)) from None
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        shown = "; ".join(f"{p.source}: {p.message}" for p in errors[:3])
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        raise ConfigurationError(f"cannot use the definitions: {shown}{more}")
    for url in config.profiles:
        if registry.structure(url) is None:
            raise ConfigurationError(f"--profile {url}: no such profile is loaded")
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
    from pcocheck.rules import PcoRules
    from pcocheck.terminology import TerminologyService, TxClient

    if registry is None:
        registry = load_definitions(config)
    tx = TxClient(config.tx_url, cache_dir=config.tx_cache) if config.tx_url else None
    terminology = TerminologyService(registry, display_check=config.display_check, tx=tx)
    engine = ProfileEngine(
        registry, terminology, extra_profiles=config.profiles, must_support=config.must_support
    )
    rules = PcoRules(questionnaires=registry.questionnaire)
    return [DefinitionWarnings(registry), engine, rules]


def validate_config(
    config: RunConfig, stdin: IO[bytes] | None = None, extra: Sequence[Checker] = ()
) -> RunResult:
    """Validate the inputs named in ``config`` with the full set of checkers (plus
    ``extra`` ones, e.g. the inventory of checked resources some reports list)."""
    return run(config, [*build_checkers(config), *extra], stdin)


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
                for checker in indexers:
                    checker.prescan(item)
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
    anchor = Anchor(source=None, file=label)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        message = f"bytes at offset {error.start} are not valid UTF-8 ({error.reason})"
        return None, [anchor.finding("FHIR-JSON-008", message, line=1, column=1)]
    source = SourceText(label, text)
    value, findings = parse_text(text, source, Anchor(source=source, file=label))
    return (Document(source, value) if value is not None else None), findings
