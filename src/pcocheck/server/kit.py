"""``pcocheck server``: run the PCO server test plan against a FHIR server.

Groups (README "Testing a server"): capabilities, searches (first searches per patient in
Inferno's style, then the other declared combinations), paging, read, references,
validation (the same checkers as ``validate``, over every fetched resource once),
Must Support coverage and error handling. Every test names the requests that showed it;
every request is kept for the evidence file. The kit never writes to the server.
"""

from __future__ import annotations

from pcocheck.server.capabilities import Capabilities
from pcocheck.server.checks import Checks
from pcocheck.server.state import Progress, RunAborted, ServerOptions

__all__ = ["Progress", "ServerKit", "ServerOptions"]


class ServerKit(Checks, Capabilities):
    def run(self) -> None:
        try:
            self.capabilities()
            if self.capability is None:
                return
            self.choose_patients()
            if not self.patients:
                self.incomplete = "no patient to test: none given with --patient and none found"
                return
            self.first_searches()
            self.revincludes()
            self.references()  # before the other searches: Practitioner etc. come from here
            self.other_searches()
            self.paging()
            self.reads()
            self.errors()
        except RunAborted as error:
            self.incomplete = str(error)

    def choose_patients(self) -> None:
        if self.options.patients:
            self.patients = list(self.options.patients)
            return
        outcome = self.search("Patient", {"_count": str(self.options.discover)}, max_pages=1)
        ids = []
        for resource in outcome.matches_of("Patient"):
            rid = resource.get("id")
            if isinstance(rid, str) and rid not in ids:
                ids.append(rid)
        self.patients = ids[: self.options.discover]
        self.discovery_requests = outcome.ids
