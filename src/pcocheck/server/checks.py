"""Groups 4-8: read, references, error handling, validation of every fetched resource
through the same checkers as ``validate``, and Must Support coverage."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import quote

from pcocheck.finding import Finding, Severity
from pcocheck.result import RunResult
from pcocheck.server.matching import values_at
from pcocheck.server.searching import Searching

if TYPE_CHECKING:
    from pcocheck.runner import Checker
    from pcocheck.server.mustsupport import MustSupport
from pcocheck.server.state import Fetched, weakest, without_meta
from pcocheck.view import ResourceView


class Checks(Searching):
    def reads(self) -> None:
        by_type: dict[str, list[Fetched]] = {}
        for key, fetched in list(self.fetched.items()):
            if fetched.mode != "read":
                by_type.setdefault(key.split("/")[0], []).append(fetched)
        for rtype in sorted(by_type):
            expectation = "SHALL"
            rplan = self.plan.resources.get(rtype)
            if rplan is not None:
                expectation = weakest(rplan.interactions.get("read", "MAY"), rplan.expectation)
            problems: list[str] = []
            requests: list[str] = []
            for fetched in by_type[rtype]:
                problem, shown = self._read_back(rtype, fetched)
                requests.append(shown)
                if problem is not None:
                    problems.append(problem)
            count = len(by_type[rtype])
            self.add_test(
                f"read-{rtype.lower()}",
                f"{rtype} read returns the resource the searches returned",
                "read",
                "fail" if problems else "pass",
                "; ".join(problems[:5]) if problems else f"{count} read",
                expectation,
                requests,
            )

    def _read_back(self, rtype: str, fetched: Fetched) -> tuple[str | None, str]:
        rid = str(fetched.resource.get("id"))
        exchange = self.get(f"{rtype}/{quote(rid, safe='')}")
        data = exchange.json()
        if exchange.status != 200 or not isinstance(data, dict):
            message = f"read of {rtype}/{rid} answered HTTP {exchange.status or exchange.error}"
        elif data.get("resourceType") != rtype or data.get("id") != rid:
            message = f"read of {rtype}/{rid} returned {data.get('resourceType')}/{data.get('id')}"
        elif without_meta(data) != without_meta(fetched.resource):
            message = f"read of {rtype}/{rid} differs from what {fetched.exchange.id} returned"
        else:
            return None, exchange.id
        self.finding("SRV-READ-001", message, exchange)
        return f"{message} ({exchange.id})", exchange.id

    def references(self) -> None:
        for spec in self.plan.additions["references"]:
            rtype, path, targets = spec["type"], spec["path"], set(spec["targets"])
            expectation = str(spec.get("expectation", "SHALL"))
            test_id = f"references-{rtype.lower()}-{path.replace('.', '-').lower()}"
            title = f"{rtype}.{path} references resolve on the server"
            refs: list[tuple[str, Fetched]] = []
            for key, fetched in list(self.fetched.items()):
                if not key.startswith(rtype + "/"):
                    continue
                for value in values_at(fetched.resource, path):
                    ref = value.get("reference") if isinstance(value, dict) else None
                    if isinstance(ref, str) and not ref.startswith(("#", "urn:")):
                        refs.append((ref, fetched))
            if not refs:
                reason = f"no {rtype}.{path} reference in the resources returned"
                self.add_test(test_id, title, "references", "skip", reason, expectation)
                continue
            problems: list[str] = []
            requests: list[str] = []
            for ref, fetched in refs:
                where = f"{rtype}/{fetched.resource.get('id')}.{path}"
                problem, shown = self._follow(ref, where, fetched, targets)
                requests.append(shown)
                if problem is not None:
                    problems.append(problem)
            result = "fail" if problems else "pass"
            reason = "; ".join(problems[:5]) if problems else f"{len(refs)} reference(s) resolved"
            self.add_test(test_id, title, "references", result, reason, expectation, requests)

    def _follow(
        self, ref: str, where: str, source: Fetched, targets: set[str]
    ) -> tuple[str | None, str]:
        """Read the target of one reference: (a problem naming the request, or None; the
        id of the request that shows it)."""
        plain = ref.split("/_history/")[0].rstrip("/")  # read (SHALL), not vread (SHOULD)
        parts = plain.split("/")
        target_type = parts[-2] if len(parts) >= 2 else ""
        shown = source.exchange.id
        if targets and target_type not in targets:
            message = f"{where} points at a {target_type or '?'} ({ref}); allowed: "
            message += ", ".join(sorted(targets))
            self.finding("SRV-REF-001", message, source.exchange)
            return f"{message} ({shown})", shown
        url = self.client.absolute(plain)
        if not self.client.same_origin(url):
            return f"{where} -> {ref} is on another server; not followed", shown
        known = self.fetched.get("/".join(parts[-2:]))
        if known is not None:
            return None, known.exchange.id
        exchange = self.get(url)
        data = exchange.json()
        if exchange.status != 200 or not isinstance(data, dict):
            message = f"{where} -> {ref} did not resolve (HTTP {exchange.status or exchange.error})"
            self.finding("SRV-REF-001", message, exchange)
            return f"{message} ({exchange.id})", exchange.id
        if data.get("resourceType") != target_type:
            message = f"{where} -> {ref} resolved to a {data.get('resourceType')}"
            self.finding("SRV-REF-001", message, exchange)
            return f"{message} ({exchange.id})", exchange.id
        self.remember(data, exchange, "read")
        return None, exchange.id

    def errors(self) -> None:
        patient = self.patients[0]
        bogus = "pcocheck-unknown-parameter"
        exchange = self.get(f"Observation?patient={quote(patient)}&{bogus}=1")
        data = exchange.json()
        said = (
            exchange.status == 200 and bogus in json.dumps(data)
            if isinstance(data, dict)
            else False
        )
        if (
            exchange.status == 400
            and isinstance(data, dict)
            and data.get("resourceType") == "OperationOutcome"
        ):
            result, reason = "pass", f"HTTP 400 with an OperationOutcome ({exchange.id})"
        elif said:
            result, reason = (
                "pass",
                f"ignored and said so (OperationOutcome entry or self link) ({exchange.id})",
            )
        else:
            result, reason = (
                "fail",
                f"HTTP {exchange.status or exchange.error} without saying the parameter "
                f"was not used ({exchange.id})",
            )
            self.finding(
                "SRV-ERR-001",
                f"an unknown search parameter was neither rejected nor reported: {reason}",
                exchange,
            )
        self.add_test(
            "errors-unknown-parameter",
            "An unknown search parameter is rejected (400 + OperationOutcome) or reported",
            "errors",
            result,
            reason,
            "SHALL",
            [exchange.id],
        )
        strict = self.get(
            f"Observation?patient={quote(patient)}&{bogus}=1", {"Prefer": "handling=strict"}
        )
        data = strict.json()
        if (
            strict.status is not None
            and 400 <= strict.status < 500
            and isinstance(data, dict)
            and data.get("resourceType") == "OperationOutcome"
        ):
            self.add_test(
                "errors-strict-handling",
                "Prefer: handling=strict rejects an unknown parameter",
                "errors",
                "pass",
                f"HTTP {strict.status} with an OperationOutcome ({strict.id})",
                "SHOULD",
                [strict.id],
            )
        else:
            self.finding(
                "SRV-ERR-002",
                "with Prefer: handling=strict an unknown parameter gave HTTP "
                f"{strict.status or strict.error}, not a 4xx OperationOutcome",
                strict,
            )
            self.add_test(
                "errors-strict-handling",
                "Prefer: handling=strict rejects an unknown parameter",
                "errors",
                "fail",
                f"HTTP {strict.status or strict.error} ({strict.id})",
                "SHOULD",
                [strict.id],
            )
        missing = self.get("Patient/pcocheck-no-such-id-0")
        data = missing.json()
        if missing.status == 404:
            has_oo = isinstance(data, dict) and data.get("resourceType") == "OperationOutcome"
            self.add_test(
                "errors-unknown-id",
                "Reading an unknown id gives 404 with an OperationOutcome",
                "errors",
                "pass",
                None if has_oo else f"404 without an OperationOutcome body ({missing.id})",
                "SHALL",
                [missing.id],
            )
        else:
            self.finding(
                "SRV-ERR-003",
                f"reading an unknown id answered HTTP {missing.status or missing.error}, not 404",
                missing,
            )
            self.add_test(
                "errors-unknown-id",
                "Reading an unknown id gives 404 with an OperationOutcome",
                "errors",
                "fail",
                f"HTTP {missing.status or missing.error} ({missing.id})",
                "SHALL",
                [missing.id],
            )

    def validate(self, checkers: Sequence[Checker]) -> RunResult:
        from pcocheck.runner import document_from_bytes, validate_documents

        wanted: dict[str, set[str]] = {}  # exchange id -> the resources validated from it
        for key, fetched in self.fetched.items():
            wanted.setdefault(fetched.exchange.id, set()).add(key)
        documents = []
        parse_findings: list[Finding] = []
        exchanges = {e.id: e for e in self.client.exchanges}
        if self.capability is not None and self.metadata_exchange is not None:
            wanted.setdefault(self.metadata_exchange.id, set()).add(
                "CapabilityStatement/" + str(self.capability.get("id"))
            )
        for exchange_id in wanted:
            exchange = exchanges[exchange_id]
            document, problems = document_from_bytes(exchange.body, exchange.url)
            parse_findings.extend(problems)
            if document is not None:
                documents.append(document)
        label_of: dict[str, set[str]] = {}
        for exchange_id, keys in wanted.items():
            label_of.setdefault(exchanges[exchange_id].url, set()).update(keys)

        def keep(view: ResourceView) -> bool:
            if view.bundle is None and view.resource_type == "Bundle":
                return False
            key = f"{view.resource_type}/{view.id}"
            keys = label_of.get(view.anchor.file or "", set())
            if key in keys:
                keys.discard(key)  # once per resource, in the response that first held it
                return True
            return False

        result = validate_documents(self.config, checkers, documents, keep)
        result.findings.extend(parse_findings)
        self._validation_tests(result)
        return result

    def _validation_tests(self, result: RunResult) -> None:
        errors: dict[str, list[Finding]] = {}
        for finding in result.findings:
            if finding.severity >= Severity.ERROR and finding.resource:
                errors.setdefault(finding.resource.split("/")[0], []).append(finding)
        types = sorted({key.split("/")[0] for key in self.fetched})
        for rtype in types:
            rplan = self.plan.resources.get(rtype)
            expectation = rplan.expectation if rplan else "SHALL"
            found = errors.get(rtype, [])
            count = sum(1 for k in self.fetched if k.startswith(rtype + "/"))
            requests = [f.exchange.id for k, f in self.fetched.items() if k.startswith(rtype + "/")]
            reason = f"{count} resource(s) valid"
            if found:
                failing = len({f.resource for f in found})
                reason = f"{len(found)} error(s) on {failing} of {count} resource(s), e.g. "
                reason += "; ".join(f"{f.resource}: {f.code} {f.message}" for f in found[:3])
            self.add_test(
                f"validation-{rtype.lower()}",
                f"{rtype} resources returned conform to their profiles (and the PCO rules)",
                "validation",
                "fail" if found else "pass",
                reason,
                expectation,
                requests,
            )

    def must_support(self, support: MustSupport) -> None:
        resources = [f.resource for f in self.fetched.values()]
        for item in self.plan.additions["profiles"]:
            url = item["url"]
            name = url.rsplit("/", 1)[1]
            instances = support.instances_of(url, resources)
            test_id = f"must-support-{name}"
            title = f"{name}: every Must Support element appears in a returned instance"
            if not instances:
                self.add_test(
                    test_id,
                    title,
                    "must-support",
                    "skip",
                    f"no returned resource claims {name}",
                    "SHALL",
                )
                continue
            coverage = support.coverage(url, instances)
            if coverage is None:
                self.add_test(
                    test_id, title, "must-support", "error", f"{url} is not loaded", "SHALL"
                )
                continue
            self.must_support_table.append(coverage)
            requests = [
                f.exchange.id
                for f in self.fetched.values()
                if any(f.resource is r for r in instances)
            ]
            if coverage.missing or coverage.undecided:
                parts = []
                if coverage.missing:
                    parts.append("not seen: " + ", ".join(coverage.missing))
                if coverage.undecided:
                    parts.append("could not be decided: " + ", ".join(coverage.undecided))
                self.add_test(
                    test_id,
                    title,
                    "must-support",
                    "skip",
                    f"{len(instances)} instance(s); " + "; ".join(parts),
                    "SHALL",
                    requests,
                )
            else:
                self.add_test(
                    test_id,
                    title,
                    "must-support",
                    "pass",
                    f"all {len(coverage.seen)} seen in {len(instances)} instance(s)",
                    "SHALL",
                    requests,
                )
