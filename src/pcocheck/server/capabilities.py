"""Group 1, capabilities: GET /metadata compared with the US Core server
CapabilityStatement for the types PCO builds on, and the PCO profiles it names."""

from __future__ import annotations

from typing import Any

from pcocheck.server.http import Exchange
from pcocheck.server.matching import listed
from pcocheck.server.plan import ResourcePlan
from pcocheck.server.state import PCO_PREFIX, KitState


class Capabilities(KitState):
    def capabilities(self) -> None:
        group = "capabilities"
        exchange = self.client.get("metadata")
        rid = [exchange.id]
        if exchange.status is not None or exchange.error is None:
            self._note_transport(exchange)  # 401/403 end the run here
        if exchange.status is None:
            tries = f" (after {exchange.retried} retries)" if exchange.retried else ""
            self.finding("SRV-HTTP-001", f"GET metadata: {exchange.error}{tries}", exchange)
            self.incomplete = f"the server is unreachable: {exchange.error} ({exchange.id})"
            self.add_test(
                "capabilities-metadata",
                "GET /metadata returns a FHIR R4 CapabilityStatement",
                group,
                "error",
                self.incomplete,
                "SHALL",
                rid,
            )
            return
        problem = exchange.json_error()
        data = exchange.json()
        if exchange.status != 200 or problem is not None:
            reason = f"HTTP {exchange.status}" + (f"; {problem}" if problem else "")
            self.finding("SRV-HTTP-003", f"GET metadata: {reason}", exchange)
            self._metadata_failed(group, f"{reason} ({exchange.id})", rid)
            self.incomplete = f"no usable CapabilityStatement at {exchange.url}: {reason}"
            return
        if data.get("resourceType") != "CapabilityStatement":
            reason = f"the answer is a {data.get('resourceType')}, not a CapabilityStatement"
            self._metadata_failed(group, f"{reason} ({exchange.id})", rid)
            self.incomplete = reason
            return
        self.capability = data
        self.metadata_exchange = exchange
        version = data.get("fhirVersion")
        if version != self.plan.fhir_version:
            self.finding(
                "SRV-CAP-001",
                f"fhirVersion is {version!r}, not {self.plan.fhir_version}",
                exchange,
            )
        self.add_test(
            "capabilities-metadata",
            "GET /metadata returns a FHIR R4 CapabilityStatement",
            group,
            "pass" if version == self.plan.fhir_version else "fail",
            None
            if version == self.plan.fhir_version
            else f"fhirVersion is {version!r} ({exchange.id})",
            "SHALL",
            rid,
        )
        formats = [str(f) for f in listed(data.get("format"))]
        json_ok = any("json" in f for f in formats)
        if not json_ok:
            self.finding("SRV-CAP-001", "format does not declare JSON", exchange)
        self.add_test(
            "capabilities-json",
            "The CapabilityStatement declares the JSON format",
            group,
            "pass" if json_ok else "fail",
            None if json_ok else f"format is {formats} ({exchange.id})",
            self.plan.formats.get("json", "SHALL"),
            rid,
        )
        instantiates = [str(i) for i in listed(data.get("instantiates"))]
        ok = any(i.split("|")[0] == self.plan.instantiates for i in instantiates)
        if not ok:
            self.finding(
                "SRV-CAP-001", f"instantiates does not list {self.plan.instantiates}", exchange
            )
        self.add_test(
            "capabilities-instantiates",
            f"The CapabilityStatement instantiates {self.plan.instantiates}",
            group,
            "pass" if ok else "fail",
            None if ok else f"instantiates is {instantiates or 'absent'} ({exchange.id})",
            "SHALL",
            rid,
        )
        declared = self.declared_resources()
        for rtype, rplan in self.plan.resources.items():
            self._capability_of_type(rtype, rplan, declared.get(rtype), exchange)
        named = sorted(
            {
                str(p).split("|")[0]
                for r in declared.values()
                for p in listed(r.get("supportedProfile"))
                if str(p).startswith(PCO_PREFIX)
            }
        )
        self.pco_profiles_named = named
        self.add_test(
            "capabilities-pco-profiles",
            "The CapabilityStatement names the PCO profiles it supports",
            group,
            "pass" if named else "fail",
            ("names " + ", ".join(p.rsplit("/", 1)[1] for p in named))
            if named
            else f"no PCO profile in any supportedProfile ({exchange.id})",
            "SHOULD",
            rid,
        )

    def _metadata_failed(self, group: str, reason: str, requests: list[str]) -> None:
        self.add_test(
            "capabilities-metadata",
            "GET /metadata returns a FHIR R4 CapabilityStatement",
            group,
            "fail",
            reason,
            "SHALL",
            requests,
        )

    def _capability_of_type(
        self,
        rtype: str,
        rplan: ResourcePlan,
        declared: dict[str, Any] | None,
        exchange: Exchange,
    ) -> None:
        missing: dict[str, list[str]] = {"SHALL": [], "SHOULD": []}
        if declared is None:
            missing[rplan.expectation if rplan.expectation != "MAY" else "SHOULD"].append(
                f"resource {rtype}"
            )
        else:
            interactions = {
                str(i.get("code"))
                for i in listed(declared.get("interaction"))
                if isinstance(i, dict)
            }
            for code, level in rplan.interactions.items():
                if level in missing and code not in interactions:
                    missing[level].append(f"interaction {code}")
            params = {
                str(p.get("name"))
                for p in listed(declared.get("searchParam"))
                if isinstance(p, dict)
            }
            for name, param in rplan.params.items():
                if param.expectation in missing and name not in params:
                    missing[param.expectation].append(f"searchParam {name}")
            for combo, level in rplan.combinations:
                absent = [p for p in combo if p not in params]
                if level in missing and absent:
                    missing[level].append(f"search {'+'.join(combo)} (lacks {', '.join(absent)})")
            revs = {str(r) for r in listed(declared.get("searchRevInclude"))}
            for name, level in rplan.revincludes.items():
                if level in missing and name not in revs:
                    missing[level].append(f"_revinclude {name}")
            supported = {str(p).split("|")[0] for p in listed(declared.get("supportedProfile"))}
            for url, level in rplan.profiles.items():
                if level in missing and url not in supported:
                    missing[level].append(f"supportedProfile {url.rsplit('/', 1)[1]}")
        expectation = rplan.expectation
        if rplan.expectation == "SHALL" and missing["SHALL"]:
            level_missing = missing["SHALL"]
        else:
            level_missing = missing["SHALL"] + missing["SHOULD"]
            expectation = "SHOULD" if not missing["SHALL"] else rplan.expectation
        if level_missing:
            code = "SRV-CAP-001" if expectation == "SHALL" else "SRV-CAP-002"
            self.finding(
                code,
                f"{rtype}: the CapabilityStatement does not declare " + "; ".join(level_missing),
                exchange,
            )
        self.add_test(
            f"capabilities-{rtype.lower()}",
            f"{rtype}: declares what US Core {self.plan.source.get('version')} expects",
            "capabilities",
            "fail" if level_missing else "pass",
            (
                f"not declared: {'; '.join(level_missing)} ({exchange.id})"
                if level_missing
                else None
            ),
            expectation,
            [exchange.id],
        )
