"""Groups 2 and 3, searches and paging, Inferno-style: first searches per patient
(patient=ID and Patient/ID, GET and POST, tokens with and without system), then the
other declared combinations with values from what came back; every returned resource
must match its search; next links followed with loop and origin checks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from pcocheck.server.http import Exchange
from pcocheck.server.matching import date_anchor, listed, matches, values_at
from pcocheck.server.plan import ResourcePlan
from pcocheck.server.state import (
    KitState,
    SearchOutcome,
    outcome_text,
    search_value,
    subject_is,
    weakest,
)


class Searching(KitState):
    def search(
        self,
        rtype: str,
        params: dict[str, str],
        method: str = "GET",
        max_pages: int | None = None,
    ) -> SearchOutcome:
        """Run one search and follow ``next`` to the end (or --max-pages)."""
        outcome = SearchOutcome()
        if method == "POST":
            exchange = self.client.post_search(f"{rtype}/_search", params)
            self._note_transport(exchange)
        else:
            exchange = self.get(f"{rtype}?{urlencode(params, safe='|/:,')}")
        limit = max_pages or self.options.max_pages
        seen_urls: set[str] = set()
        page = 1
        total: int | None = None
        while True:
            outcome.exchanges.append(exchange)
            seen_urls.add(exchange.url)
            bundle = self._searchset(exchange, outcome)
            if bundle is None:
                return outcome
            if page == 1:
                self._check_ignored(rtype, params, bundle, exchange, outcome)
                total = bundle.get("total") if isinstance(bundle.get("total"), int) else None
            for entry in listed(bundle.get("entry")):
                if not isinstance(entry, dict) or not isinstance(entry.get("resource"), dict):
                    continue
                search = entry.get("search")
                mode = search.get("mode") if isinstance(search, dict) else None
                resource = entry["resource"]
                if resource.get("resourceType") == "OperationOutcome":
                    continue
                if mode is None:
                    mode = "match" if resource.get("resourceType") == rtype else "include"
                outcome.resources.append(self.remember(resource, exchange, str(mode)))
            next_url = next(
                (
                    str(link.get("url"))
                    for link in listed(bundle.get("link"))
                    if isinstance(link, dict) and link.get("relation") == "next" and link.get("url")
                ),
                None,
            )
            if next_url is None:
                break
            if page > 1 or next_url:
                self.paged_requests.append(exchange.id)
            next_url = self.client.absolute(next_url)
            if not self.client.same_origin(next_url):
                message = (
                    f"the next link {next_url} leaves the server's origin; pcocheck did not "
                    "follow it (credentials are never sent elsewhere)"
                )
                self.finding("SRV-PAGE-002", message, exchange)
                outcome.problems.append(f"{message} ({exchange.id})")
                self.page_problems.append((message, [exchange.id]))
                break
            if next_url in seen_urls:
                message = f"paging loops: the next link of page {page} points back to {next_url}"
                self.finding("SRV-PAGE-001", message, exchange)
                outcome.problems.append(f"{message} ({exchange.id})")
                self.page_problems.append((message, [exchange.id]))
                break
            if page >= limit:
                self.finding(
                    "SRV-PAGE-003",
                    f"stopped after {limit} pages (--max-pages); more results were offered",
                    exchange,
                )
                break
            page += 1
            exchange = self.get(next_url)
        matched = sum(1 for r in outcome.resources if r.mode == "match")
        if total is not None and page < limit and total != matched and not outcome.problems:
            message = f"Bundle.total is {total} but the pages held {matched} matches"
            self.finding("SRV-PAGE-004", message, outcome.exchanges[0])
            outcome.problems.append(f"{message} ({outcome.exchanges[0].id})")
            self.page_problems.append((message, outcome.ids))
        return outcome

    def _searchset(self, exchange: Exchange, outcome: SearchOutcome) -> dict[str, Any] | None:
        if exchange.status is None:
            outcome.problems.append(f"no answer: {exchange.error} ({exchange.id})")
            return None
        if exchange.status != 200:
            text = outcome_text(exchange.json())
            outcome.problems.append(
                f"HTTP {exchange.status}{': ' + text if text else ''} ({exchange.id})"
            )
            self.finding(
                "SRV-HTTP-002",
                f"{exchange.method} {exchange.url} answered HTTP {exchange.status}"
                + (f": {text}" if text else ""),
                exchange,
            )
            return None
        problem = exchange.json_error()
        data = exchange.json()
        if problem is None and (
            data.get("resourceType") != "Bundle" or data.get("type") != "searchset"
        ):
            kind = f"{data.get('resourceType')} {data.get('type') or ''}".strip()
            problem = f"the answer is a {kind}, not a searchset Bundle"
        if problem is not None:
            self.finding("SRV-HTTP-003", f"{exchange.method} {exchange.url}: {problem}", exchange)
            outcome.problems.append(f"{problem} ({exchange.id})")
            return None
        return dict(data)

    def _check_ignored(
        self,
        rtype: str,
        params: dict[str, str],
        bundle: dict[str, Any],
        exchange: Exchange,
        outcome: SearchOutcome,
    ) -> None:
        """A parameter the server did not apply: said in an ``outcome`` entry, or missing
        from the ``self`` link (which shows the parameters the server actually used)."""
        notes = []
        for entry in listed(bundle.get("entry")):
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if isinstance(resource, dict) and resource.get("resourceType") == "OperationOutcome":
                notes.append(outcome_text(resource))
        self_link = next(
            (
                str(link.get("url"))
                for link in listed(bundle.get("link"))
                if isinstance(link, dict) and link.get("relation") == "self"
            ),
            None,
        )
        used = {k for k, _ in parse_qsl(urlsplit(self_link).query)} if self_link else None
        for name in params:
            if name.startswith("_"):
                continue
            said = next((n for n in notes if f"'{name}'" in n or f'"{name}"' in n), None)
            dropped = used is not None and name not in used
            if said or dropped:
                why = f"the server says: {said}" if said else f"the self link {self_link} omits it"
                message = f"{rtype} search parameter '{name}' was ignored: {why}"
                self.finding("SRV-SEARCH-001", message, exchange)
                outcome.ignored.append(name)
                outcome.problems.append(f"{message} ({exchange.id})")

    def _check_matches(
        self,
        rtype: str,
        params: dict[str, str],
        outcome: SearchOutcome,
    ) -> None:
        rplan = self.plan.resources.get(rtype)
        for fetched in outcome.resources:
            resource = fetched.resource
            if fetched.mode != "match" or resource.get("resourceType") != rtype:
                continue
            for name, value in params.items():
                param = rplan.params.get(name) if rplan else None
                if name.startswith("_") and name != "_id":
                    continue
                if name == "_id":
                    ok: bool | None = value.split(",").count(str(resource.get("id"))) > 0
                elif param is None:
                    continue
                else:
                    target = param.target[0] if param.target else None
                    ok = matches(resource, param.type, list(param.paths), value, target)
                if ok is False:
                    message = (
                        f"{rtype}/{resource.get('id')} does not match {name}={value}, "
                        "yet the search returned it"
                    )
                    self.finding("SRV-SEARCH-002", message, fetched.exchange)
                    outcome.problems.append(f"{message} ({fetched.exchange.id})")

    def expectation_of(self, rtype: str, params: tuple[str, ...]) -> str:
        rplan = self.plan.resources.get(rtype)
        if rplan is None:
            return "MAY"
        if len(params) == 1:
            level = rplan.params[params[0]].expectation if params[0] in rplan.params else "MAY"
        else:
            level = next(
                (lvl for combo, lvl in rplan.combinations if set(combo) == set(params)), "MAY"
            )
        return weakest(level, rplan.expectation)

    def first_searches(self) -> None:
        for rtype, params, fixed_values in self.plan.first_searches():
            self._first_search(rtype, params, fixed_values)
        missing: list[str] = []
        requests: list[str] = []
        for patient in self.patients:  # the Patient itself
            exchange = self.get(f"Patient/{quote(patient, safe='')}")
            requests.append(exchange.id)
            data = exchange.json()
            if exchange.status == 200 and isinstance(data, dict) and data.get("id") == patient:
                self.remember(data, exchange, "read")
                self.scratch.setdefault(patient, {}).setdefault("Patient", []).append(data)
            else:
                missing.append(
                    f"Patient/{patient}: HTTP {exchange.status or exchange.error} ({exchange.id})"
                )
        result, reason = (
            ("fail", "; ".join(missing)) if missing else ("pass", ", ".join(self.patients))
        )
        self.add_test(
            "read-patients-under-test",
            "The patients under test can be read",
            "read",
            result,
            reason,
            "SHALL",
            requests,
        )

    def _first_search(
        self, rtype: str, params: tuple[str, ...], fixed_values: list[dict[str, Any]]
    ) -> None:
        test_id = f"search-{rtype.lower()}-{'-'.join(params)}"
        title = f"{rtype} search by {' + '.join(params)}"
        expectation = self.expectation_of(rtype, params)
        declared = self.declared_params(rtype)
        undeclared = [p for p in params if p not in declared]
        if undeclared and expectation != "SHALL":
            self.add_test(
                test_id,
                title,
                "search",
                "skip",
                f"the server does not declare {rtype} search parameter(s) {', '.join(undeclared)}",
                expectation,
            )
            return
        problems: list[str] = []
        requests: list[str] = []
        found = 0
        for patient in self.patients:
            for fixed in fixed_values:
                query = {"patient": patient}
                system_query: dict[str, str] = {}
                for name, value in fixed.items():
                    if isinstance(value, dict):
                        query[name] = str(value["code"])
                        system_query[name] = f"{value['system']}|{value['code']}"
                    else:
                        query[name] = str(value)
                outcome = self.search(rtype, query)
                outcome, query = self._status_if_required(rtype, query, outcome)
                requests.extend(outcome.ids)
                self._check_matches(rtype, query, outcome)
                problems.extend(outcome.problems)
                matched = outcome.matches_of(rtype)
                found += len(matched)
                bucket = self.scratch.setdefault(patient, {})
                for fetched in outcome.resources:
                    kind = str(fetched.resource.get("resourceType"))
                    if kind == rtype and not subject_is(fetched.resource, patient):
                        continue  # another patient's data (already a failure): no values from it
                    bucket.setdefault(kind, []).append(fetched.resource)
                if outcome.problems or not matched:
                    continue
                self.first_queries.setdefault(rtype, query)
                ids = sorted(str(r.get("id")) for r in matched)
                variants = [
                    ("patient=Patient/ID", {**query, "patient": f"Patient/{patient}"}, "GET")
                ]
                variants.append(("POST _search", query, "POST"))
                if system_query:
                    variants.append(("system|code", {**query, **system_query}, "GET"))
                for label, variant, method in variants:
                    other = self.search(rtype, variant, method=method)
                    requests.extend(other.ids)
                    self._check_matches(rtype, variant, other)
                    problems.extend(other.problems)
                    other_ids = sorted(str(r.get("id")) for r in other.matches_of(rtype))
                    if not other.problems and other_ids != ids:
                        message = (
                            f"{rtype} search with {label} returned {len(other_ids)} resources, "
                            f"the plain search {len(ids)}"
                        )
                        self.finding("SRV-SEARCH-003", message, other.exchanges[0])
                        problems.append(f"{message} ({other.exchanges[0].id})")
        if problems or found:
            summary = f"{found} {rtype} found"
            self._add_search_test(
                test_id, title, expectation, requests, problems, summary, undeclared
            )
        else:
            reason = f"no {rtype} returned for patient(s) {', '.join(self.patients)}"
            self._add_search_test(
                test_id, title, expectation, requests, problems, reason, undeclared, "skip"
            )

    def _add_search_test(
        self,
        test_id: str,
        title: str,
        expectation: str,
        requests: list[str],
        problems: list[str],
        summary: str,
        undeclared: list[str],
        result_if_clean: str = "pass",
    ) -> None:
        """Records a search test: failed with its first problems, else ``result_if_clean``."""
        note = (
            f" (not declared in the CapabilityStatement: {', '.join(undeclared)})"
            if undeclared
            else ""
        )
        if problems:
            self.add_test(
                test_id,
                title,
                "search",
                "fail",
                "; ".join(problems[:5]) + note,
                expectation,
                requests,
            )
        else:
            self.add_test(
                test_id, title, "search", result_if_clean, summary + note, expectation, requests
            )

    def _status_if_required(
        self, rtype: str, query: dict[str, str], outcome: SearchOutcome
    ) -> tuple[SearchOutcome, dict[str, str]]:
        """US Core lets a server require a status parameter: it SHALL then answer 400 with
        an OperationOutcome, and the search is repeated with statuses (all at once where
        multipleOr is SHALL, else one at a time until one finds something), as Inferno
        does. A 400 without an OperationOutcome stays a failure."""
        first = outcome.exchanges[0] if outcome.exchanges else None
        name = self.plan.status_param(rtype)
        statuses = self.plan.additions.get("statusValues", {}).get(rtype)
        if first is None or first.status != 400 or name in query:
            return outcome, query
        data = first.json()
        if not isinstance(statuses, list) or not (
            isinstance(data, dict) and data.get("resourceType") == "OperationOutcome"
        ):
            return outcome, query
        rplan = self.plan.resources.get(rtype)
        param = rplan.params.get(name) if rplan else None
        together = param is not None and param.multiple_or == "SHALL"
        tries = [",".join(statuses)] if together else [str(s) for s in statuses]
        retry, retry_query = outcome, query
        for value in tries:
            retry_query = {**query, name: value}
            retry = self.search(rtype, retry_query)
            retry.exchanges[:0] = outcome.exchanges
            if retry.problems or retry.matches_of(rtype):
                break
        # the 400 was the documented answer, not an error of the server
        self.findings = [
            f for f in self.findings if not (f.code == "SRV-HTTP-002" and f.file == first.url)
        ]
        return retry, retry_query

    def revincludes(self) -> None:
        """``_revinclude=Provenance:target`` on a first search that found something: passes
        when Provenance comes back, skips otherwise (as Inferno does)."""
        for rtype, query in self.first_queries.items():
            rplan = self.plan.resources.get(rtype)
            if rplan is None:
                continue
            for name, level in rplan.revincludes.items():
                expectation = weakest(level, rplan.expectation)
                included = name.split(":")[0]
                test_id = f"search-{rtype.lower()}-revinclude-{included.lower()}"
                title = f"{rtype} search with _revinclude={name}"
                outcome = self.search(rtype, {**query, "_revinclude": name})
                found = [f for f in outcome.resources if f.resource.get("resourceType") == included]
                if outcome.problems:
                    reason = "; ".join(outcome.problems[:5])
                    self.add_test(
                        test_id, title, "search", "fail", reason, expectation, outcome.ids
                    )
                elif not found:
                    reason = f"no {included} returned ({outcome.ids[0]})"
                    self.add_test(
                        test_id, title, "search", "skip", reason, expectation, outcome.ids
                    )
                else:
                    reason = f"{len(found)} {included} returned"
                    self.add_test(
                        test_id, title, "search", "pass", reason, expectation, outcome.ids
                    )

    def other_searches(self) -> None:
        done = {(t, frozenset(p)) for t, p, _ in self.plan.first_searches()}
        for rtype, rplan in self.plan.resources.items():
            combos: list[tuple[tuple[str, ...], str]] = [
                ((name,), p.expectation)
                for name, p in rplan.params.items()
                if p.expectation != "MAY"
            ]
            combos.extend(rplan.combinations)
            for params, level in combos:
                if (rtype, frozenset(params)) in done:
                    continue
                done.add((rtype, frozenset(params)))
                self._other_search(rtype, rplan, params, weakest(level, rplan.expectation))

    def _candidates(self, rtype: str) -> list[tuple[str | None, dict[str, Any]]]:
        out: list[tuple[str | None, dict[str, Any]]] = []
        for patient, types in self.scratch.items():
            out.extend((patient, r) for r in types.get(rtype, []))
        patient_ids = set(self.scratch)
        for key, fetched in self.fetched.items():
            if key.startswith(rtype + "/") and not any(fetched.resource is r for _, r in out):
                owner = next((p for p in patient_ids if subject_is(fetched.resource, p)), None)
                out.append((owner, fetched.resource))
        return out

    def _other_search(
        self, rtype: str, rplan: ResourcePlan, params: tuple[str, ...], expectation: str
    ) -> None:
        test_id = f"search-{rtype.lower()}-{'-'.join(params)}"
        title = f"{rtype} search by {' + '.join(params)}"
        declared = self.declared_params(rtype)
        undeclared = [p for p in params if p not in declared]
        if undeclared and expectation != "SHALL":
            self.add_test(
                test_id,
                title,
                "search",
                "skip" if expectation == "SHOULD" else "omit",
                f"the server does not declare {rtype} search parameter(s) {', '.join(undeclared)}",
                expectation,
            )
            return
        query: dict[str, str] | None = None
        source: dict[str, Any] = {}
        for patient, resource in self._candidates(rtype):
            query = {}
            for name in params:
                value = self._value_for(rtype, rplan, name, resource, patient)
                if value is None:
                    query = None
                    break
                query[name] = value
            if query is not None:
                source = resource
                break
        if query is None:
            self.add_test(
                test_id,
                title,
                "search",
                "skip",
                f"could not find values for all of {', '.join(params)} "
                f"in the {rtype} resources returned",
                expectation,
            )
            return
        requests: list[str] = []
        problems: list[str] = []
        queries = [query]
        for name in params:
            param = rplan.params.get(name)
            if param is not None and param.type == "date":
                shall = param.shall_comparators()
                start = date_anchor(source, param.paths)
                if shall and start is not None:
                    # around the resource's own date, as Inferno does (±1 day)
                    for prefix in shall:
                        shifted = start + (
                            timedelta(days=-1) if prefix in ("gt", "ge") else timedelta(days=1)
                        )
                        queries.append({**query, name: prefix + shifted.date().isoformat()})
        for name in params:
            param = rplan.params.get(name)
            statuses = self.plan.additions.get("statusValues", {}).get(rtype)
            if param is not None and param.multiple_or == "SHALL" and isinstance(statuses, list):
                # multipleOr SHALL: every status at once must still find the resource
                queries.append({**query, name: ",".join(statuses)})
        found = 0
        for variant in queries:
            outcome = self.search(rtype, variant)
            requests.extend(outcome.ids)
            self._check_matches(rtype, variant, outcome)
            problems.extend(outcome.problems)
            found += len(outcome.matches_of(rtype))
            if not outcome.problems and not outcome.matches_of(rtype):
                problems.append(
                    f"{rtype}?{urlencode(variant, safe='|/:,')} returned nothing although a "
                    f"{rtype} it should match was returned before ({outcome.ids[0]})"
                )
        summary = f"{found} matches over {len(queries)} searches"
        self._add_search_test(test_id, title, expectation, requests, problems, summary, undeclared)

    def _value_for(
        self,
        rtype: str,
        rplan: ResourcePlan,
        name: str,
        resource: dict[str, Any],
        patient: str | None,
    ) -> str | None:
        if name == "patient" and rtype != "RelatedPerson":
            return patient
        if name == "_id":
            rid = resource.get("id")
            return rid if isinstance(rid, str) else None
        param = rplan.params.get(name)
        if param is None:
            return None
        for path in param.paths:
            for value in values_at(resource, path):
                found = search_value(param.type, value)
                if found:
                    return found
        return None

    def paging(self) -> None:
        """Force paging on the richest first search (``_count=1``) and compare with the
        unpaged answer; report every paging problem seen during the run."""
        best: tuple[int, str, str] | None = None
        for patient, types in self.scratch.items():
            for rtype in (
                "Observation",
                "Goal",
                "QuestionnaireResponse",
                "CarePlan",
                "ServiceRequest",
            ):
                count = len(
                    {
                        str(r.get("id"))
                        for r in types.get(rtype, [])
                        if r.get("resourceType") == rtype
                    }
                )
                if count >= 2 and (best is None or count > best[0]):
                    best = (count, patient, rtype)
        requests = list(dict.fromkeys(r for _, ids in self.page_problems for r in ids))
        problems = [message for message, _ in self.page_problems]
        note: str | None = None
        unexercised = False
        if best is not None:
            _, patient, rtype = best
            full = self.search(rtype, {"patient": patient})
            paged = self.search(rtype, {"patient": patient, "_count": "1"})
            requests += full.ids + paged.ids
            full_ids = sorted({str(r.get("id")) for r in full.matches_of(rtype)})
            paged_ids = sorted({str(r.get("id")) for r in paged.matches_of(rtype)})
            problems += paged.problems
            if paged.problems or full.problems:
                pass
            elif full_ids != paged_ids:
                problems.append(
                    f"following next with _count=1 gave {len(paged_ids)} resources, the unpaged "
                    f"search {len(full_ids)} ({paged.ids[0]})"
                )
            elif len(paged.exchanges) < 2:
                # FHIR lets a server ignore _count; then paging was simply not exercised
                unexercised = True
                note = f"the server ignored _count=1 for {rtype} ({paged.ids[0]})"
            else:
                note = (
                    f"{rtype} with _count=1 paged through {len(paged.exchanges)} pages to the "
                    f"same {len(full_ids)} resources as the unpaged search"
                )
        title = "Searches page with next links to the end"
        if problems:
            reason = "; ".join(problems[:5])
            self.add_test("paging", title, "paging", "fail", reason, "SHALL", requests)
        elif (best is None or unexercised) and not self.paged_requests:
            reason = note or "no search returned two or more resources to page through"
            self.add_test("paging", title, "paging", "skip", reason, "SHALL", requests)
        else:
            self.add_test("paging", title, "paging", "pass", note, "SHALL", requests)
