"""Orchestrates a run: inputs → resource views → checkers → findings → result.

Checkers are objects with ``check(view)`` (per resource, streaming) and ``finish()``
(after every input, for cross-resource rules). The runner never prints and never
exits the process; the CLI turns the :class:`RunResult` into output and an exit code.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

from pcocheck.config import RunConfig, Selection
from pcocheck.finding import Finding
from pcocheck.inputs.discover import InputFile, discover
from pcocheck.inputs.read import Document, read_documents
from pcocheck.inputs.resources import split_resources
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
            self._add(checker.check(view))

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
            if item.path is None:
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


def build_checkers(config: RunConfig) -> list[Checker]:
    """The checkers a validation run uses, built from the configuration."""
    from pcocheck.engine.core import ProfileEngine
    from pcocheck.rules import PcoRules
    from pcocheck.terminology import TerminologyService, TxClient

    registry = load_definitions(config)
    tx = (
        TxClient(config.tx_url, cache_dir=config.tx_cache, auth=config.tx_auth)
        if config.tx_url
        else None
    )
    terminology = TerminologyService(registry, display_check=config.display_check, tx=tx)
    engine = ProfileEngine(
        registry, terminology, extra_profiles=config.profiles, must_support=config.must_support
    )
    rules = PcoRules(questionnaires=registry.questionnaire)
    return [DefinitionWarnings(registry), engine, rules]


def validate_config(config: RunConfig, stdin: IO[bytes] | None = None) -> RunResult:
    """Validate the inputs named in ``config`` with the full set of checkers."""
    return run(config, build_checkers(config), stdin)
