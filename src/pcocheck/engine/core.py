"""The profile engine: validates each resource against its base definition and every
profile that applies to it (claimed, requested, or inferred for PCO content).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pcocheck.definitions.model import Binding, Constraint, ElementDef, StructureDef
from pcocheck.engine.bundle import check_bundle
from pcocheck.engine.inference import infer_profiles
from pcocheck.engine.invariants import InvariantEvaluator
from pcocheck.engine.plan import (
    ChildDef,
    ChildIndex,
    ElementPlan,
    base_plan,
    build_child_index,
    choice_key,
    profile_plans,
)
from pcocheck.engine.primitives import check_primitive
from pcocheck.engine.references import (
    BundleIndex,
    ParsedReference,
    find_contained,
    parse_reference,
)
from pcocheck.engine.slicing import Slicer
from pcocheck.engine.walker import BASE, PROFILE, Pass, pretty_path
from pcocheck.finding import Finding, JsonPath, Severity
from pcocheck.jsonutil import listed
from pcocheck.view import Anchor, ResourceView

if TYPE_CHECKING:
    from pcocheck.definitions.registry import DefinitionRegistry
    from pcocheck.terminology import TerminologyService

_BASE_PREFIX = "http://hl7.org/fhir/StructureDefinition/"
# Invariants replaced by native checks that point at the offending entry instead of the
# Bundle root (see engine/bundle.py): same rule, better location.
SUPERSEDED_INVARIANTS = frozenset({"bdl-3", "bdl-7"})
# "Not checked offline" information, summarised per value set / code system per run.
DEFERRED_EXAMPLES = 3  # located examples kept per target profile for unresolved references
SUMMARISED_TERMINOLOGY = frozenset({"FHIR-BIND-004", "FHIR-BIND-005", "FHIR-BIND-006"})


class ProfileEngine:
    """A checker (see :mod:`pcocheck.runner`) for StructureDefinition conformance."""

    def __init__(
        self,
        registry: DefinitionRegistry,
        terminology: TerminologyService,
        *,
        extra_profiles: Iterable[str] = (),
        must_support: bool = False,
        infer_pco: bool = True,
    ) -> None:
        self.registry = registry
        self.terminology = terminology
        self.extra_profiles = tuple(extra_profiles)
        self.must_support = must_support
        self.infer_pco = infer_pco
        self.slicer = Slicer(self)
        self.invariants = InvariantEvaluator(
            member_of=self._member_of_callback, conforms_to=None, resolver=None
        )
        self._children: dict[tuple[str, str], ChildIndex] = {}
        self._structures: dict[str, StructureDef | None] = {}
        self._choice_keys: dict[str, dict[str, str]] = {}
        self._plans: dict[str, dict[str, ElementPlan]] = {}
        self._relevant: dict[tuple[str, str], list[ChildDef]] = {}
        self._base_plans: dict[int, ElementPlan] = {}
        self._repeats: dict[str, bool] = {}
        self._base_elements: dict[str, ElementDef | None] = {}
        self._conformance: dict[tuple[int, str], bool | None] = {}
        self._in_progress: set[tuple[int, str]] = set()
        self._bundle_cache: tuple[int, BundleIndex] | None = None
        self._summaries: dict[tuple[str, ...], tuple[Finding, int]] = {}
        self._seen: dict[str, tuple[str, ...]] = {}
        self._claim_sets: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._deferred: dict[tuple[str, ...], tuple[list[str], list[tuple[str, Finding]]]] = {}

    # -- checker protocol -----------------------------------------------------------
    def prescan(self, view: ResourceView) -> None:
        self.remember(view)

    def check(self, view: ResourceView) -> list[Finding]:
        self.remember(view)
        findings: list[Finding] = []
        self.validate_resource(view, view.resource, (), findings)
        if view.resource_type == "Bundle":
            findings.extend(check_bundle(view, self.bundle_index(view.resource)))
        return _dedupe(findings)

    def remember(self, view: ResourceView) -> None:
        """Keep what references into this resource need later: its claimed profiles.

        Only ``Type/id`` and a shared tuple are kept per resource, so a run over a large
        NDJSON export stays small while references across records and files resolve.
        """
        rid = view.resource.get("id")
        if not isinstance(rid, str):
            return
        claimed = tuple(view.claimed_profiles)
        shared = self._claim_sets.setdefault(claimed, claimed)
        self._seen[f"{view.resource_type}/{rid}"] = shared

    def defer_reference(
        self,
        walk: Pass,
        rel: JsonPath,
        reference: str,
        parsed: ParsedReference,
        profiles: tuple[str, ...],
    ) -> None:
        """A target outside this resource's Bundle: decide at the end of the run, when
        every resource has been read, whether it was found and claims the profile."""
        key = f"{parsed.type}/{parsed.id}" if parsed.type and parsed.id else reference
        if self._resolved_by_claim(key, profiles):
            return  # already indexed (by the prescan, or read earlier): nothing to keep
        group = self._deferred.setdefault(profiles, ([], []))
        group[0].append(key)
        if len(group[1]) < DEFERRED_EXAMPLES:
            names = ", ".join(_short(p) for p in profiles)
            where = pretty_path(str(walk.resource.get("resourceType")), rel)
            group[1].append(
                (
                    key,
                    walk.view.finding(
                        "FHIR-REF-004",
                        f"{where}: {reference} is not in the input, or does not claim "
                        f"{names}, so its conformance to {names} was not checked",
                        walk.rel_base + rel,
                        profile=walk.profile_label,
                    ),
                )
            )

    def seen_claims_any(self, reference_value: Any, profiles: list[str]) -> bool:
        """Whether a Reference points at a resource read earlier in the run that claims
        one of ``profiles`` (or a profile derived from one)."""
        if not isinstance(reference_value, dict):
            return False
        reference = reference_value.get("reference")
        if not isinstance(reference, str):
            return False
        parsed = parse_reference(reference)
        if parsed.type is None or parsed.id is None:
            return False
        return self._resolved_by_claim(f"{parsed.type}/{parsed.id}", tuple(profiles))

    def _resolved_by_claim(self, key: str, profiles: tuple[str, ...]) -> bool:
        claimed = self._seen.get(key)
        if not claimed:
            return False
        stub = {"meta": {"profile": list(claimed)}}
        return any(self.claims(stub, p) for p in profiles)

    def finish(self) -> list[Finding]:
        """Summaries of the "not checked" information that would repeat on every resource."""
        for profiles, (keys, examples) in self._deferred.items():
            open_keys = [k for k in keys if not self._resolved_by_claim(k, profiles)]
            if not open_keys:
                continue
            example = next(
                (f for k, f in examples if not self._resolved_by_claim(k, profiles)), None
            )
            if example is None:
                names = ", ".join(_short(p) for p in profiles)
                example = Anchor(source=None, file=None).finding(
                    "FHIR-REF-004",
                    f"{open_keys[0]} is not in the input, so its conformance to {names} "
                    "was not checked",
                )
            self._summaries[("FHIR-REF-004", *profiles)] = (example, len(open_keys))
        self._deferred.clear()
        out = []
        for first, count in self._summaries.values():
            if count > 1:
                first = replace(
                    first,
                    message=f"{first.message} [{count} such findings in this run; "
                    "only the first is shown]",
                )
            out.append(first)
        self._summaries.clear()
        return out

    def summarise(
        self, walk: Pass, code: str, rel: JsonPath, message: str, group: tuple[str, ...]
    ) -> None:
        """Report the first occurrence of a repetitive "could not check" finding and count
        the rest: on a bulk export the same information on every resource hides the
        findings that matter, yet a check that was not performed must stay visible."""
        key = (code, *group)
        known = self._summaries.get(key)
        if known is not None:
            self._summaries[key] = (known[0], known[1] + 1)
            return
        where = pretty_path(str(walk.resource.get("resourceType")), rel)
        first = walk.view.finding(
            code, f"{where}: {message}", walk.rel_base + rel, profile=walk.profile_label
        )
        self._summaries[key] = (first, 1)

    # -- resources --------------------------------------------------------------------
    def validate_resource(
        self,
        view: ResourceView,
        resource: dict[str, Any],
        rel_base: JsonPath,
        findings: list[Finding],
    ) -> None:
        rtype = resource.get("resourceType")
        sd = self.structure(str(rtype)) if isinstance(rtype, str) else None
        resolve = self.resolver_for(view, resource)
        if sd is None:
            findings.append(
                view.finding(
                    "FHIR-STRUCT-015",
                    f"no definition for resource type {rtype!r}; not checked",
                    rel_base,
                )
            )
            return
        base_pass = Pass(self, view, resource, rel_base, sd, BASE, None, sd.name, resolve)
        base_pass.run()
        findings.extend(base_pass.findings)
        for profile_sd in self.profiles_for(view, resource, rel_base, findings):
            label = profile_sd.canonical
            profile_pass = Pass(
                self,
                view,
                resource,
                rel_base,
                profile_sd,
                PROFILE,
                label,
                profile_sd.id or profile_sd.name,
                resolve,
            )
            profile_pass.run()
            findings.extend(profile_pass.findings)

    def profiles_for(
        self,
        view: ResourceView,
        resource: dict[str, Any],
        rel_base: JsonPath,
        findings: list[Finding],
    ) -> list[StructureDef]:
        rtype = str(resource.get("resourceType"))
        chosen: list[StructureDef] = []
        meta = resource.get("meta")
        claimed = meta.get("profile") if isinstance(meta, dict) else None
        for index, url in enumerate(claimed if isinstance(claimed, list) else []):
            if not isinstance(url, str):
                continue
            rel = rel_base + ("meta", "profile", index)
            profile = self.structure(url)
            if profile is None:
                unusable = self.registry.unusable_reason(url)
                message = (
                    f"claimed profile {url} is not known to pcocheck; the resource was not "
                    "checked against it (load it with --profiles or --package)"
                    if unusable is None
                    else f"claimed profile {url} is loaded but cannot be used ({unusable}); "
                    "the resource was not checked against it"
                )
                findings.append(view.finding("FHIR-PROFILE-001", message, rel))
                continue
            if profile.type != rtype:
                findings.append(
                    view.finding(
                        "FHIR-PROFILE-004",
                        f"claimed profile {url} constrains {profile.type}, not {rtype}",
                        rel,
                    )
                )
                continue
            chosen.append(profile)
        for url in self.extra_profiles:
            profile = self.structure(url)
            if profile is not None and profile.type == rtype:
                chosen.append(profile)
        if self.infer_pco and not any(
            p.url.startswith("http://hl7.org/fhir/us/pco/") for p in chosen
        ):
            for url, reason in infer_profiles(resource, self.terminology):
                profile = self.structure(url)
                if profile is None:
                    continue
                findings.append(
                    view.finding(
                        "FHIR-PROFILE-002",
                        f"{rtype} claims no PCO profile but {reason}; "
                        f"validated against {url} as well",
                        rel_base,
                    )
                )
                chosen.append(profile)
        return self.without_ancestors(chosen)

    def without_ancestors(self, profiles: list[StructureDef]) -> list[StructureDef]:
        """Drop a profile when another chosen one derives from it (its checks are included)."""
        unique: dict[str, StructureDef] = {}
        for profile in profiles:
            unique.setdefault(profile.url, profile)
        ancestors: set[str] = set()
        for profile in unique.values():
            ancestors.update(self.ancestors(profile))
        return [p for url, p in unique.items() if url not in ancestors]

    def ancestors(self, profile: StructureDef) -> list[str]:
        chain: list[str] = []
        current = profile
        while current.base_definition and current.derivation == "constraint":
            base_url = current.base_definition.split("|", 1)[0]
            if base_url in chain:
                break
            chain.append(base_url)
            parent = self.structure(base_url)
            if parent is None:
                break
            current = parent
        return chain

    # -- caches -----------------------------------------------------------------------
    def structure(self, ref: str) -> StructureDef | None:
        """Registry lookup, memoised: the walk asks for datatype definitions constantly."""
        try:
            return self._structures[ref]
        except KeyError:
            found = self.registry.structure(ref)
            self._structures[ref] = found
            return found

    def children(self, sd: StructureDef, scope: ElementDef) -> ChildIndex:
        key = (sd.url, scope.id)
        index = self._children.get(key)
        if index is None:
            index = build_child_index(sd, scope)
            self._children[key] = index
        return index

    def relevant_children(self, sd: StructureDef, scope: ElementDef) -> list[ChildDef]:
        """Children a profile pass must visit under ``scope`` (cached per profile)."""
        key = (sd.url, scope.id)
        found = self._relevant.get(key)
        if found is None:
            found = [
                child
                for child in self.children(sd, scope).defs
                if child.slices
                or child.type_slices
                or self.plan_for(sd, child.element, PROFILE).relevant
            ]
            self._relevant[key] = found
        return found

    def plan_for(self, sd: StructureDef, element: ElementDef, mode: str) -> ElementPlan:
        if mode == BASE:
            # Keyed by object identity: definitions are cached for the whole run, and this
            # lookup happens for every element of every resource.
            plan = self._base_plans.get(id(element))
            if plan is None:
                plan = self._finish_plan(base_plan(element), element)
                self._base_plans[id(element)] = plan
            return plan
        plans = self._plans.get(sd.url)
        if plans is None:
            plans = {
                key: self._finish_plan(value, sd.by_id[key])
                for key, value in profile_plans(sd, self.base_for).items()
            }
            self._plans[sd.url] = plans
        found = plans.get(element.id)
        if found is None:
            found = self._finish_plan(base_plan(element), element)
        return found

    def _finish_plan(self, plan: ElementPlan, element: ElementDef) -> ElementPlan:
        return replace(
            plan,
            minimum=element.min,
            maximum=element.max_count,
            repeats=self.repeats(element),
        )

    def base_for(self, sd: StructureDef, element: ElementDef) -> ElementDef | None:
        if element.id == sd.root.id:
            base_sd = self.structure(sd.type)
            return base_sd.root if base_sd is not None else None
        return self.base_element(element.path)

    def base_element(self, path: str) -> ElementDef | None:
        """The base (specialization) definition of an element path, across datatypes."""
        if path in self._base_elements:
            return self._base_elements[path]
        found: ElementDef | None = None
        segments = path.split(".")
        sd = self.structure(segments[0])
        position = 1
        while sd is not None:
            candidate = ".".join([sd.type, *segments[position:]])
            element = sd.by_id.get(candidate)
            if element is not None:
                found = element
                break
            # Find the longest prefix that exists here, then continue in its type.
            prefix_element = None
            cut = len(segments)
            while cut > position:
                cut -= 1
                prefix = ".".join([sd.type, *segments[position:cut]])
                prefix_element = sd.by_id.get(prefix)
                if prefix_element is not None:
                    break
            if prefix_element is None or len(prefix_element.types) != 1 or cut == position:
                break
            if prefix_element.content_reference:
                break
            sd = self.structure(prefix_element.types[0].code)
            position = cut
        self._base_elements[path] = found
        return found

    def repeats(self, element: ElementDef) -> bool:
        """Whether the element is an array in JSON: decided by its base definition."""
        cached = self._repeats.get(element.path)
        if cached is None:
            base = self.base_element(element.path)
            maximum = (base or element).max
            cached = maximum != "1" and maximum != "0"
            self._repeats[element.path] = cached
        return cached

    def choice_type(self, element: ElementDef, key: str) -> str:
        stem = element.name[:-3]
        rest = key[len(stem) :]
        for type_ref in element.types:
            if type_ref.code[0].upper() + type_ref.code[1:] == rest:
                return type_ref.code
        return rest

    # -- value checks -----------------------------------------------------------------
    def primitive_problem(self, type_code: str, value: Any) -> str | None:
        problem: str | None = check_primitive(_fhir_primitive(type_code), value)
        return problem

    def evaluate_constraint(
        self,
        walk: Pass,
        constraint: Constraint,
        value: Any,
        rel: JsonPath,
        type_code: str,
        path: str | None = None,
    ) -> None:
        if walk.quiet and constraint.severity != "error":
            return
        if constraint.key in SUPERSEDED_INVARIANTS:
            return
        if constraint.key == "dom-6" and "contained" in walk.rel_base:
            return  # a contained resource's narrative is part of its container's
        outcome = self.invariants.evaluate(
            constraint,
            value,
            resource=walk.resource,
            root=walk.view.resource,
            type_name=type_code,
            path=path if type_code in ("BackboneElement", "Element", "") else None,
        )
        if outcome.passed is True:
            return
        if outcome.passed is None:
            walk.report(
                "FHIR-INV-003",
                rel,
                f"invariant {constraint.key} could not be evaluated ({outcome.error}); "
                f"expression: {constraint.expression}",
            )
            return
        code = "FHIR-INV-001" if constraint.severity == "error" else "FHIR-INV-002"
        walk.report(code, rel, f"invariant {constraint.key} failed: {constraint.human}")

    def check_binding(
        self, walk: Pass, binding: Binding, type_code: str, value: Any, rel: JsonPath
    ) -> None:
        if not binding.value_set or binding.strength not in ("required", "extensible"):
            return
        service = self.terminology
        if type_code == "CodeableConcept" and isinstance(value, dict):
            codings = [
                (c.get("system"), c.get("code"), c.get("display"))
                for c in listed(value.get("coding"))
                if isinstance(c, dict)
            ]
            text = value.get("text")
            issues = service.check_codeable_concept(
                value_set=binding.value_set,
                strength=binding.strength,
                codings=codings,
                text=text if isinstance(text, str) else None,
            )
        elif type_code in ("Coding", "Quantity") and isinstance(value, dict):
            if type_code == "Quantity" and "code" not in value:
                return
            issues = service.check_binding(
                value_set=binding.value_set,
                strength=binding.strength,
                system=value.get("system"),
                code=value.get("code"),
                display=value.get("display") if type_code == "Coding" else None,
                version=value.get("version"),
            )
        elif isinstance(value, str):
            issues = service.check_binding(
                value_set=binding.value_set, strength=binding.strength, system=None, code=value
            )
        else:
            return
        for issue in issues:
            sub: JsonPath = ()
            if issue.coding_index is not None:
                sub = ("coding", issue.coding_index)
            if issue.field is not None and type_code != "code":
                sub = sub + (issue.field,)
            self.report_term(walk, issue.code, rel + sub, issue.message, binding.value_set)

    def check_coding_syntax(self, walk: Pass, value: dict[str, Any], rel: JsonPath) -> None:
        system, code, display = value.get("system"), value.get("code"), value.get("display")
        for issue in self.terminology.check_code_syntax(
            system if isinstance(system, str) else None,
            code if isinstance(code, str) else None,
            display if isinstance(display, str) else None,
        ):
            sub = (issue.field,) if issue.field else ()
            self.report_term(
                walk,
                issue.code,
                rel + sub,
                issue.message,
                system if isinstance(system, str) else "",
            )

    def report_term(self, walk: Pass, code: str, rel: JsonPath, message: str, group: str) -> None:
        if code in SUMMARISED_TERMINOLOGY and not walk.quiet:
            self.summarise(walk, code, rel, message, (group,))
        else:
            walk.report(code, rel, message)

    def member_of_any(self, value_set: str, targets: list[Any]) -> bool | None:
        undecided = False
        for target in targets:
            codings: list[Any]
            if isinstance(target, dict) and "coding" in target:
                codings = listed(target.get("coding"))
            else:
                codings = [target]
            for coding in codings:
                if not isinstance(coding, dict):
                    continue
                system, code = coding.get("system"), coding.get("code")
                if not isinstance(system, str) or not isinstance(code, str):
                    continue
                result = self.terminology.is_member(value_set, system, code)
                if result is True:
                    return True
                if result is None:
                    undecided = True
        return None if undecided else False

    def _member_of_callback(
        self, value_set: str, system: str | None, code: str | None
    ) -> bool | None:
        if system is None or code is None:
            return False
        return self.terminology.is_member(value_set, system, code)

    # -- references ---------------------------------------------------------------------
    def bundle_index(self, bundle: dict[str, Any]) -> BundleIndex:
        cached = self._bundle_cache
        if cached is not None and cached[0] == id(bundle):
            return cached[1]
        index = BundleIndex(bundle)
        self._bundle_cache = (id(bundle), index)
        return index

    def resolver_for(self, view: ResourceView, resource: dict[str, Any]):  # type: ignore[no-untyped-def]
        container = view.resource
        bundle = view.bundle.resource if view.bundle is not None else None
        full_url = view.full_url

        def resolve(reference: str) -> dict[str, Any] | None:
            if reference.startswith("#"):
                return find_contained(container, reference[1:]) if reference != "#" else container
            if bundle is not None:
                return self.bundle_index(bundle).resolve(reference, full_url)
            if view.resource_type == "Bundle" and resource is not container:
                return self.bundle_index(container).resolve(reference)
            return None

        return resolve

    def check_reference(
        self,
        walk: Pass,
        element: ElementDef,
        plan: ElementPlan,
        value: dict[str, Any],
        rel: JsonPath,
    ) -> None:
        reference = value.get("reference")
        if not isinstance(reference, str):
            return
        parsed = parse_reference(reference)
        ref_rel = rel + ("reference",)
        base = walk.mode == BASE
        if parsed.kind == "invalid":
            if base:
                walk.report(
                    "FHIR-REF-005",
                    ref_rel,
                    f"{reference!r} is not a valid reference (expected Type/id, an absolute "
                    "URL, urn:uuid:… or #contained-id)",
                )
            return
        target = walk.resolve(reference)
        if target is None and parsed.kind in ("contained", "urn"):
            # Local references can only resolve locally: a dangling one is an error
            # (ref-1 reports contained ones), never an unchecked profile.
            if base and parsed.kind == "urn" and walk.view.bundle is not None:
                walk.report(
                    "FHIR-REF-003",
                    ref_rel,
                    f"{reference} does not match the fullUrl of any entry in this Bundle",
                )
            return
        target_type = target.get("resourceType") if target is not None else parsed.type
        if base:
            targets = tuple(p for t in element.types for p in t.target_profiles)
        else:
            targets = plan.target_profiles
        if not targets:
            return
        allowed_types = {self.profile_type(p) for p in targets}
        if (
            isinstance(target_type, str)
            and "Resource" not in allowed_types
            and target_type not in allowed_types
        ):
            base_element = None if base else self.base_element(element.path)
            base_allowed = (
                {self.profile_type(p) for t in base_element.types for p in t.target_profiles}
                if base_element is not None
                else set()
            )
            if base or "Resource" in base_allowed or target_type in base_allowed:
                walk.report(
                    "FHIR-REF-001",
                    ref_rel,
                    f"reference to a {target_type}, but {walk.profile_name} allows only "
                    f"{', '.join(sorted(t for t in allowed_types if t))}",
                )
            return
        if base:
            return
        profiled = [p for p in plan.target_profiles if not p.startswith(_BASE_PREFIX)]
        if isinstance(target_type, str):
            # Only the profiles for the target's own type can apply to it.
            profiled = [p for p in profiled if self.profile_type(p) in (target_type, "")]
        if not profiled:
            return
        if target is None:
            if not walk.quiet:
                self.defer_reference(walk, ref_rel, reference, parsed, tuple(profiled))
            return
        results = [self.conforms(walk, target, p) for p in profiled]
        if any(r is True for r in results):
            return
        if all(r is False for r in results):
            walk.report(
                "FHIR-REF-002",
                ref_rel,
                f"{reference} does not conform to "
                f"{' or '.join(_short(p) for p in profiled)} as {walk.profile_name} "
                "requires",
            )

    def claims(self, resource: dict[str, Any], profile_url: str) -> bool:
        """Whether ``resource`` claims ``profile_url`` or a profile derived from it."""
        meta = resource.get("meta")
        claimed = meta.get("profile") if isinstance(meta, dict) else None
        if not isinstance(claimed, list):
            return False
        wanted = profile_url.split("|", 1)[0]
        for url in claimed:
            if not isinstance(url, str):
                continue
            base_url = url.split("|", 1)[0]
            if base_url == wanted:
                return True
            profile = self.structure(base_url)
            if profile is not None and wanted in self.ancestors(profile):
                return True
        return False

    def choice_keys(self, child: ChildDef) -> dict[str, str]:
        """Every JSON key a choice element may take in the base definition: a profile
        narrows the types, but an instance using another type must still be found."""
        element = child.element
        if not element.is_choice:
            return child.keys
        found = self._choice_keys.get(element.path)
        if found is None:
            base = self.base_element(element.path)
            found = dict(child.keys)
            if base is not None:
                for type_ref in base.types:
                    found.setdefault(choice_key(element.name, type_ref.code), type_ref.code)
            self._choice_keys[element.path] = found
        return found

    def profile_type(self, url: str) -> str:
        if url.startswith(_BASE_PREFIX):
            return url[len(_BASE_PREFIX) :].split("|", 1)[0]
        sd = self.structure(url)
        return sd.type if sd is not None else ""

    def conforms(self, walk: Pass, target: dict[str, Any], profile_url: str) -> bool | None:
        """Whether ``target`` meets ``profile_url`` (no error-level finding); cached."""
        key = (id(target), profile_url)
        if key in self._conformance:
            return self._conformance[key]
        if self.claims(target, profile_url):
            # A target that claims the profile is validated against it where it stands;
            # repeating its errors at every reference would only bury the real finding.
            self._conformance[key] = True
            return True
        if key in self._in_progress:
            return None  # a reference cycle: do not recurse forever
        profile = self.structure(profile_url)
        rtype = target.get("resourceType")
        if profile is None:
            return None
        if profile.type != rtype:
            self._conformance[key] = False
            return False
        self._in_progress.add(key)
        try:
            errors = 0
            sd = self.structure(str(rtype))
            for definition, mode in ((sd, BASE), (profile, PROFILE)):
                if definition is None:
                    continue
                probe = Pass(
                    self,
                    walk.view,
                    target,
                    (),
                    definition,
                    mode,
                    None,
                    definition.name,
                    walk.resolve,
                    quiet=True,
                )
                probe.run()
                errors += probe.errors
        finally:
            self._in_progress.discard(key)
        result = errors == 0
        self._conformance[key] = result
        return result

    # -- nested content -------------------------------------------------------------------
    def visit_inline_resource(
        self, walk: Pass, element: ElementDef, value: Any, rel: JsonPath
    ) -> None:
        if walk.mode != BASE or walk.quiet:
            return
        if not isinstance(value, dict):
            walk.report("FHIR-STRUCT-002", rel, "a resource must be a JSON object")
            return
        if (
            walk.rel_base == ()
            and walk.resource.get("resourceType") == "Bundle"
            and (rel[:1] == ("entry",))
        ):
            return  # Bundle entries are validated as resources of their own
        rtype = value.get("resourceType")
        if not isinstance(rtype, str):
            walk.report("FHIR-JSON-005", rel, "an inline resource has no resourceType")
            return
        nested: list[Finding] = []
        self.validate_resource(walk.view, value, walk.rel_base + rel, nested)
        walk.findings.extend(nested)

    def check_extension(self, walk: Pass, value: dict[str, Any], rel: JsonPath) -> None:
        url = value.get("url")
        if not isinstance(url, str) or "/" not in url or walk.quiet:
            return
        definition = self.structure(url)
        modifier = len(rel) >= 2 and rel[-2] == "modifierExtension"
        if definition is None:
            if modifier:
                walk.report(
                    "FHIR-STRUCT-013",
                    rel,
                    f"modifier extension {url} is not understood; the resource's meaning "
                    "cannot be safely processed",
                )
            else:
                walk.report(
                    "FHIR-STRUCT-012",
                    rel,
                    f"extension {url} is not known to pcocheck; its content was not checked",
                )
            return
        self.run_profile_on(walk, definition, value, rel)

    def apply_type_profile(self, walk: Pass, profile_url: str, value: Any, rel: JsonPath) -> None:
        definition = self.structure(profile_url)
        if definition is None or definition.type == "Extension":
            return  # extensions are checked against their definition by url in the base pass
        self.run_profile_on(walk, definition, value, rel)

    def run_profile_on(
        self, walk: Pass, definition: StructureDef, value: Any, rel: JsonPath
    ) -> None:
        """Validate an element value (an extension, a typed datatype) against a profile."""
        sub = Pass(
            self,
            walk.view,
            walk.resource,
            walk.rel_base,
            definition,
            PROFILE,
            definition.canonical,
            definition.id or definition.name,
            walk.resolve,
            quiet=walk.quiet,
        )
        sub.run_value(value, rel)
        walk.findings.extend(sub.findings)
        walk.errors += sub.errors


def _short(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def _fhir_primitive(type_code: str) -> str:
    return {
        "System.String": "string",
        "System.Boolean": "boolean",
        "System.Integer": "integer",
        "System.Decimal": "decimal",
        "System.Date": "date",
        "System.DateTime": "dateTime",
        "System.Time": "time",
    }.get(type_code, type_code)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str | None, str]] = set()
    unique: list[Finding] = []
    for finding in findings:
        key = (finding.code, finding.expression, finding.message)
        if key not in seen:
            seen.add(key)
            unique.append(finding)
    return unique


__all__ = ["ProfileEngine", "Severity"]
