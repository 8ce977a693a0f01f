"""Run configuration: what the CLI (or an API caller) asks a run to do."""

from __future__ import annotations

from dataclasses import dataclass, field

from pcocheck.finding import Severity


@dataclass(frozen=True, slots=True)
class RunConfig:
    paths: tuple[str, ...]
    fail_on: Severity | None = Severity.ERROR  # None: never fail on findings
    select: tuple[str, ...] = ()  # code prefixes to keep (empty: all)
    ignore: tuple[str, ...] = ()  # code prefixes to drop
    profiles: tuple[str, ...] = ()  # extra profile canonicals applied to every resource
    profile_dirs: tuple[str, ...] = ()
    packages: tuple[str, ...] = ()  # FILE.tgz or id#version
    package_registry: str = "https://packages.fhir.org"
    fetch_packages: bool = False  # download --package id#version missing from the cache
    must_support: bool = False
    display_check: bool = True
    tx_url: str | None = None
    tx_cache: str | None = None
    # Parallel runs (pcocheck.parallel): worker processes for the map step (1: one
    # process, as before); "local" (processes here) or "dask" (a Dask scheduler address,
    # or "local" for a LocalCluster). The report is the same whichever runs the map.
    jobs: int = 1
    executor: str = "local"
    scheduler: str | None = None
    # Reference-validator switches (their spelling of intent): unknown extensions from
    # these url prefixes ("any": all) are accepted with a warning; example-domain urls
    # are allowed; HTML-like markup in strings is an error instead of a warning.
    extension_domains: tuple[str, ...] = ()
    allow_example_urls: bool = True
    security_checks: bool = False
    # USER:PASSWORD or "Bearer TOKEN" for --tx; kept out of repr so it is never printed
    tx_auth: str | None = field(default=None, repr=False)


class Selection:
    """Keeps a finding when its code matches a selected prefix and no ignored one."""

    __slots__ = ("_cache", "_ignore", "_select")

    def __init__(self, select: tuple[str, ...], ignore: tuple[str, ...]) -> None:
        self._select = tuple(p.upper() for p in select)
        self._ignore = tuple(p.upper() for p in ignore)
        self._cache: dict[str, bool] = {}

    @property
    def narrows(self) -> bool:
        """Whether some codes are dropped (else every finding is kept)."""
        return bool(self._select or self._ignore)

    def __call__(self, code: str) -> bool:
        decision = self._cache.get(code)
        if decision is None:
            selected = not self._select or code.startswith(self._select)
            decision = selected and not (self._ignore and code.startswith(self._ignore))
            self._cache[code] = decision
        return decision
