"""The profile engine: validates each resource against its base definition and every
profile that applies to it (claimed, requested, or inferred for PCO content).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, cast

from pcocheck.definitions.model import Binding, Constraint, ElementDef, StructureDef
from pcocheck.engine.bundle import check_bundle
from pcocheck.engine.capability import check_capability_statement, shipped_search_parameter
from pcocheck.engine.compiled import (
    CompiledPass,
    CompiledScope,
    Prepared,
    ProfileScope,
    profile_scope,
    reads_context,
)
from pcocheck.engine.conformance import (
    check_canonical_url,
    check_structure_definition,
    check_value_set,
)
from pcocheck.engine.content import attachment_problems, markup_in, size_problem
from pcocheck.engine.element_ids import duplicate_element_ids
from pcocheck.engine.extension_keys import ExtensionKeys
from pcocheck.engine.extensions import (
    ExtensionPolicy,
    HostContexts,
    context_allows,
    context_invariant_problems,
    effective_contexts,
    is_example_url,
)
from pcocheck.engine.inference import infer_profiles
from pcocheck.engine.invariants import InvariantEvaluator
from pcocheck.engine.memo import MemoKey
from pcocheck.engine.merged import MergedPass, share_of
from pcocheck.engine.narrative import xhtml_markup_problems
from pcocheck.engine.plan import (
    ChildDef,
    ChildIndex,
    ElementPlan,
    base_plan,
    build_child_index,
    choice_key,
    profile_plans,
)
from pcocheck.engine.primitives import check_primitive, fhir_primitive
from pcocheck.engine.references import ParsedReference, parse_reference, restful_base
from pcocheck.engine.slicing import Slicer
from pcocheck.engine.supplements import check_supplement, supplement_as_system
from pcocheck.engine.urns import urn_problem
from pcocheck.engine.vitalsigns import VITALSIGNS, vital_sign_profile
from pcocheck.engine.walker import BASE, PROFILE, Pass, pretty_path
from pcocheck.fhir_types import R4_RESOURCE_TYPES
from pcocheck.finding import Finding, JsonPath, Severity
from pcocheck.inputs.stream import SlimBundle
from pcocheck.jsonutil import listed
from pcocheck.resolution import (
    BundleScope,
    Identity,
    ReferenceContext,
    RemoteStub,
    Resolution,
    Resolver,
)
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

#: Where an occurrence sits, comparable across inputs: (file, record line, Bundle entry,
#: JSON path). Repeated findings shown once per run show the smallest, so the example does
#: not move with the order of the inputs (or of the shards of a parallel run).
OrderKey = tuple[str, int, int, str]
_LAST: OrderKey = ("\U0010ffff", 0, 0, "")


def _order_key(view: ResourceView, path: JsonPath) -> OrderKey:
    anchor = view.anchor
    line = anchor.source.first_line if anchor.source is not None else 0
    entry = anchor.entry if anchor.entry is not None else -1
    return (anchor.file or "", line, entry, repr(path))


def _keep_smallest(
    examples: list[tuple[OrderKey, str, Finding]], example: tuple[OrderKey, str, Finding]
) -> None:
    """Insert ``example`` in order, keeping the DEFERRED_EXAMPLES smallest."""
    bisect.insort(examples, example, key=lambda item: item[0])
    del examples[DEFERRED_EXAMPLES:]


SUPPLEMENT_SYSTEMS_KEPT = 4096  # Coding systems whose supplement verdict is remembered
SUMMARISED_TERMINOLOGY = frozenset({"FHIR-BIND-004", "FHIR-BIND-005", "FHIR-BIND-006"})
# Target-profile conformance follows references from target to target; past this depth
# the answer is "not determined" (FHIR-REF-012), so chains of any length cannot recurse
# without bound.
MAX_TARGET_DEPTH = 4
# Unresolved references already reported by how they failed (not "not in the input").
_REPORTED_UNRESOLVED = frozenset({"multiple", "version-mismatch", "ambiguous"})
CANONICALS_KEPT = 10_000  # canonical URLs whose loaded types are remembered, at most
_set_field = object.__setattr__  # for a frozen plan still being made (_finish_plan)
# check_reference's key: the element's target profiles and path, base pass, quiet,
# reference text, Reference.type, where it resolves from.
OutcomeKey = tuple[tuple[str, ...], str, bool, bool, str, str | None, object]
REFERENCE_OUTCOMES_KEPT = 256  # replayable reference outcomes remembered, at most (see above)
CLAIM_ANSWERS_KEPT = 4096  # claims() and without_ancestors() answers remembered, at most
# profiles_for's answer per (type, claims): the chosen profiles, the same without their
# ancestors, and whether one of them is PCO's (then none is inferred).
_Chosen = tuple[tuple[StructureDef, ...], tuple[StructureDef, ...], bool]
_PCO_PROFILES = "http://hl7.org/fhir/us/pco/"


def _claims_pco(chosen: list[StructureDef]) -> bool:
    """Whether a PCO profile is among ``chosen`` (then profiles_for infers none)."""
    return any(p.url.startswith(_PCO_PROFILES) for p in chosen)


# A Reference element's targets: (target profile URLs, the types they name, the types
# named by plain type URLs, (profile URL, its type) for the others).
ReferenceTargets = tuple[tuple[str, ...], set[str], set[str], tuple[tuple[str, str], ...]]


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
        resolver: Resolver | None = None,
        extension_policy: ExtensionPolicy | None = None,
        security_checks: bool = False,
        compiled: bool = True,
    ) -> None:
        self.registry = registry
        # The compiled walk with base and profiles merged (engine/merged.py);
        # CompiledPass runs separate profile passes, compiled=False the interpretive walk:
        # the differential tests compare them.
        self.pass_class: type[Pass] = MergedPass if compiled else Pass
        self._compiled_scopes: dict[tuple[str, str], CompiledScope] = {}
        self._profile_scopes: dict[tuple[str, str], ProfileScope] = {}
        self._targets: dict[int, tuple[ElementDef, ReferenceTargets]] = {}
        self._ancestors: dict[int, tuple[StructureDef, list[str]]] = {}
        self._globals_by_type: dict[str, list[StructureDef]] = {}
        # without_ancestors answers, key: the ids of the definitions asked about (kept with
        # the answer, so the ids cannot be reused while the entry exists).
        self._kept_profiles: dict[
            tuple[int, ...], tuple[tuple[StructureDef, ...], list[StructureDef]]
        ] = {}
        # claims() answers, key: (the claimed profile list, the profile asked about).
        # Bounded; lifetime: the engine (definitions are fixed for a run).
        self._claim_answers: dict[tuple[tuple[str, ...], str], bool] = {}
        self._resolutions: dict[str, Resolution] = {}
        self._resolutions_context: object = None
        # Prepared constraints per (plan, type, element path); the plan is kept with
        # them, so its id() cannot be reused while the entry exists.
        self.prepared_constraints: dict[tuple[int, str, str], tuple[ElementPlan, Prepared]] = {}
        # Specs of slice members (CompiledPass.visit), key: (id of the element, definition
        # url, type, base pass?); the element is kept with its entry.
        self.visit_specs: dict[tuple[int, str, str, bool], tuple[ElementDef, Any]] = {}
        self.terminology = terminology
        self.extra_profiles = tuple(extra_profiles)
        self.must_support = must_support
        self.infer_pco = infer_pco
        self.resolver = resolver if resolver is not None else Resolver()
        self.slicer = Slicer(self)
        # Clean checks of extensions against their definitions, by what they read.
        self.extension_keys = ExtensionKeys(self)
        self.extension_policy = extension_policy or ExtensionPolicy()
        self.security_checks = security_checks
        self.host_contexts = HostContexts(self.structure, self.children)
        self.invariants = InvariantEvaluator(
            member_of=self._member_of_callback, conforms_to=None, resolver=None
        )
        # Definition caches, keyed by definition URL, element id or element path (and the
        # element objects of the run's definitions for _base_plans); lifetime: the engine,
        # i.e. one run — the definitions do not change during a run.
        self._children: dict[tuple[str, str], ChildIndex] = {}
        # Coding.system -> the FHIR-BIND-130 message when it is a loaded supplement (a
        # registry lookup otherwise paid for every Coding). Bounded.
        self._supplement_problems: dict[str, str | None] = {}
        # Element (by id, kept to guard the id) -> types its canonical targets allow.
        self._canonical_target_types: dict[int, tuple[ElementDef, tuple[str, ...]]] = {}
        self._structures: dict[str, StructureDef | None] = {}
        self._choice_keys: dict[str, dict[str, str]] = {}
        self._plans: dict[str, dict[str, ElementPlan]] = {}
        self._relevant: dict[tuple[str, str], list[ChildDef]] = {}
        self._base_plans: dict[int, ElementPlan] = {}
        self._repeats: dict[str, bool] = {}
        self._base_elements: dict[str, ElementDef | None] = {}
        # Target-profile conformance, key: (the target's JSON path in its document,
        # profile URL); lifetime: one document (cleared when the next document starts),
        # so a later document can never inherit an earlier one's answer.
        self._conformance: dict[tuple[tuple[str | int, ...], str], bool | None] = {}
        self._conformance_document: object = None
        self._in_progress: set[tuple[tuple[str | int, ...], str]] = set()
        self._depth = 0
        self._cuts = 0  # how often the depth bound stopped a probe (results then not cached)
        # Once-per-run summaries: the example shown is the occurrence with the smallest
        # _order_key, so it does not depend on the order the inputs were given in.
        self._summaries: dict[tuple[str, ...], tuple[Finding, int, OrderKey]] = {}
        self._canonical_types: dict[str, tuple[str, ...]] = {}
        # References whose target conformance is decided at the end of the run, key: the
        # required profiles; value: (reference key, server base, referring file) per
        # reference and a few located examples. Lifetime: the run.
        self._deferred: dict[
            tuple[str, ...],
            tuple[list[tuple[str, str | None, str]], list[tuple[OrderKey, str, Finding]]],
        ] = {}
        self._run_code_systems: set[str] = set()  # CodeSystem urls read in this run
        # profiles_for's claimed, requested and global profiles by (type, claimed urls);
        # lifetime: the run (fixed definitions), at most CLAIM_ANSWERS_KEPT.
        # Values: (the chosen profiles, without their ancestors, whether one is PCO's).
        self._chosen: dict[tuple[str, tuple[str, ...]], _Chosen] = {}
        # Counts every check that reported, or looked beyond the value it checks (the
        # resource, the reference context, the position): a slot's value that left it
        # unchanged is remembered as clean (pcocheck.engine.memo).
        self.impure = 0
        # Counts the constraints whose quick pre-check did not pass (CompiledPass.
        # check_prepared): while it is unchanged, a type's constraints that an element
        # repeats need no second check (VisitSpec.type_rest).
        self.slow = 0
        # Counts the run-wide state a check changed besides findings (deferred reference
        # conformance, summaries): a reference check that changed none of it is replayed
        # from _reference_outcomes.
        self.effects = 0
        # Outcomes of check_reference for references resolved in another input of the run
        # ("run") or in the same Bundle ("bundle"), that reported nothing and changed no
        # state: key (see check_reference) -> (the target's identity or the Bundle's
        # scope, the impurity the check caused). Valid while the run-wide index is
        # unchanged; bounded.
        self._reference_outcomes: dict[OutcomeKey, tuple[Identity | BundleScope, int]] = {}
        self._outcomes_index: tuple[object, int] | None = None
        # The same for references resolved in the Bundle being checked; lifetime: one
        # document (the scopes they hold are the document's).
        self._bundle_outcomes: dict[OutcomeKey, tuple[Identity | BundleScope, int]] = {}
        # Memo keys of the values of the resource being checked, by id() (see
        # CompiledPass.value_key); cleared per resource (check), so every id is alive.
        self.value_keys: dict[int, MemoKey | None] = {}

    # -- checker protocol -----------------------------------------------------------
    def check(self, view: ResourceView) -> list[Finding]:
        self.value_keys.clear()  # the last resource's values may be gone (their ids reused)
        self.resolver.add_checked(view)  # unless a runner indexes every resource
        self._note_code_system(view)
        document = self.resolver.document(view)
        if document is not self._conformance_document:
            self._conformance.clear()
            self._bundle_outcomes.clear()  # they hold the last document's Bundle scopes
            self._conformance_document = document
        findings: list[Finding] = []
        self.validate_resource(view, view.resource, (), findings)
        # The resolutions (and the context holding the resource) are this resource's only:
        # not kept while the next one is read (a parsed resource kept longer costs the
        # cyclic collector more than it saves).
        self._resolutions_context = None
        self._resolutions = {}
        return _dedupe(findings)

    # The only resource type prescan() looks at (a parallel first pass shows it no other).
    prescan_types = frozenset({"CodeSystem"})

    def prescan(self, view: ResourceView) -> None:
        self._note_code_system(view)

    def export_prescan(self) -> set[str]:
        """What the first pass learnt (CodeSystem urls read in the run), for workers."""
        return set(self._run_code_systems)

    def merge_prescan(self, code_systems: set[str]) -> None:
        self._run_code_systems.update(code_systems)

    def _note_code_system(self, view: ResourceView) -> None:
        if view.resource_type == "CodeSystem":
            url = view.resource.get("url")
            if isinstance(url, str):
                self._run_code_systems.add(url)

    def code_system_known(self, url: str) -> bool | None:
        """A loaded CodeSystem, or one read anywhere in this run (None when neither)."""
        if url in self._run_code_systems or self.registry.code_system(url) is not None:
            return True
        return None

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
        self.impure += 1
        key = f"{parsed.type}/{parsed.id}" if parsed.type and parsed.id else reference
        item = (key, parsed.base, walk.view.anchor.file or "")
        if self._resolved_by_claim(item, profiles):
            return  # already indexed (by the first pass, or read earlier): nothing to keep
        self.effects += 1
        group = self._deferred.setdefault(profiles, ([], []))
        group[0].append(item)
        examples = group[1]
        order = _order_key(walk.view, walk.rel_base + rel)
        if len(examples) >= DEFERRED_EXAMPLES and order >= examples[-1][0]:
            return  # only the examples first in input-independent order are kept
        names = ", ".join(_short(p) for p in profiles)
        where = pretty_path(str(walk.resource.get("resourceType")), rel)
        example = walk.view.finding(
            "FHIR-REF-004",
            f"{where}: {reference} is not in the input, or does not claim "
            f"{names}, so its conformance to {names} was not checked",
            walk.rel_base + rel,
            profile=walk.profile_label,
        )
        _keep_smallest(examples, (order, key, example))

    def _resolved_by_claim(
        self, item: tuple[str, str | None, str], profiles: tuple[str, ...]
    ) -> bool:
        """Whether exactly one resource of the run is ``key`` and it claims a profile."""
        key, base, near = item
        candidates = self.resolver.candidates(key, base, near)
        if len(candidates) != 1 or not candidates[0].claims:
            return False
        stub = {"meta": {"profile": list(candidates[0].claims)}}
        return any(self.claims(stub, p) for p in profiles)

    def finish(self) -> list[Finding]:
        """Summaries of the "not checked" information that would repeat on every resource."""
        for profiles, (keys, examples) in self._deferred.items():
            open_keys = [k[0] for k in keys if not self._resolved_by_claim(k, profiles)]
            if not open_keys:
                continue
            still_open = set(open_keys)
            example = next((f for _, k, f in examples if k in still_open), None)
            if example is None:
                names = ", ".join(_short(p) for p in profiles)
                example = Anchor(source=None, file=None).finding(
                    "FHIR-REF-004",
                    f"{open_keys[0]} is not in the input, so its conformance to {names} "
                    "was not checked",
                )
            self._summaries[("FHIR-REF-004", *profiles)] = (example, len(open_keys), _LAST)
        self._deferred.clear()
        out = []
        for first, count, _ in self._summaries.values():
            if count > 1:
                first = replace(
                    first,
                    message=f"{first.message} [{count} such findings in this run; "
                    "only the first is shown]",
                )
            out.append(first)
        self._summaries.clear()
        return out

    # -- parallel runs (pcocheck.parallel): the run-wide state, moved between processes --
    def export_state(self) -> EngineState:
        """Hand over (and forget) what this engine gathered for :meth:`finish`: the
        deferred reference conformance and the once-per-run summaries."""
        state = EngineState(self._deferred, self._summaries)
        self._deferred, self._summaries = {}, {}
        return state

    def merge_state(self, state: EngineState) -> None:
        """Add another process's state, as if its resources had been checked here next
        (merged in input order, the first example and the first summary stay first)."""
        for profiles, (keys, examples) in state.deferred.items():
            group = self._deferred.setdefault(profiles, ([], []))
            group[0].extend(keys)
            for example in examples:
                _keep_smallest(group[1], example)
        for key, (first, count, order) in state.summaries.items():
            known = self._summaries.get(key)
            if known is None:
                self._summaries[key] = (first, count, order)
            elif order < known[2]:
                self._summaries[key] = (first, known[1] + count, order)
            else:
                self._summaries[key] = (known[0], known[1] + count, known[2])

    def summarise(
        self, walk: Pass, code: str, rel: JsonPath, message: str, group: tuple[str, ...]
    ) -> None:
        """Report the first occurrence of a repetitive "could not check" finding and count
        the rest: on a bulk export the same information on every resource hides the
        findings that matter, yet a check that was not performed must stay visible."""
        self.impure += 1
        self.effects += 1
        key = (code, *group)
        known = self._summaries.get(key)
        order = _order_key(walk.view, walk.rel_base + rel)
        if known is not None and order >= known[2]:
            self._summaries[key] = (known[0], known[1] + 1, known[2])
            return
        where = pretty_path(str(walk.resource.get("resourceType")), rel)
        first = walk.view.finding(
            code, f"{where}: {message}", walk.rel_base + rel, profile=walk.profile_label
        )
        self._summaries[key] = (first, 1 if known is None else known[1] + 1, order)

    def _summarise_view(
        self, view: ResourceView, code: str, rel: JsonPath, message: str, group: tuple[str, ...]
    ) -> None:
        """:meth:`summarise` for findings made outside an element walk."""
        self.impure += 1
        self.effects += 1
        key = (code, *group)
        known = self._summaries.get(key)
        order = _order_key(view, view.anchor.base_path + rel)
        if known is not None and order >= known[2]:
            self._summaries[key] = (known[0], known[1] + 1, known[2])
        else:
            count = 1 if known is None else known[1] + 1
            self._summaries[key] = (view.finding(code, message, rel), count, order)

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
        resolve = self.resolver.context(view, rel_base)
        if sd is None:
            findings.append(
                view.finding(
                    "FHIR-STRUCT-015",
                    f"no definition for resource type {rtype!r}; not checked",
                    rel_base,
                )
            )
            return
        base_pass = self.pass_class(
            self, view, resource, rel_base, sd, BASE, None, sd.name, resolve
        )
        # The merged walk (engine/merged.py): the profiles are known first, and their
        # passes are fed by the base pass's one traversal. A profile on a slim Bundle
        # sees the whole tree (below): separate passes, as with pass_class CompiledPass.
        merged: list[list[Finding]] | None = None
        chosen: list[Finding] = []
        if isinstance(base_pass, MergedPass):
            # What the profiles and their choice add to the run-wide state is merged in
            # after the base pass's, as the separate passes would add it (hold).
            state = base_pass.state = EngineState(self._deferred, self._summaries)
            chosen_share = share_of(state)
            self.hold(chosen_share)
            try:
                required, advisory = self.profiles_for(view, resource, rel_base, chosen)
            finally:
                self.hold(state)
            passes: tuple[MergedPass, ...] = ()
            if (required or advisory) and not isinstance(resource, SlimBundle):
                # pass_class made base_pass, so these are MergedPasses too.
                passes = tuple(
                    cast(
                        MergedPass, self.profile_pass(view, resource, rel_base, profile_sd, resolve)
                    )
                    for profile_sd in (*required, *advisory)
                )
                base_pass.run_merged(passes)
                merged = [profile_pass.findings for profile_pass in passes]
            else:
                base_pass.run()
            if chosen_share.deferred or chosen_share.summaries:
                self.merge_state(chosen_share)
            for profile_pass in passes:
                if profile_pass.share is not None:
                    self.merge_state(profile_pass.share)
        else:
            base_pass.run()
        findings.extend(base_pass.findings)
        findings.extend(check_canonical_url(view, resource, rel_base, sd))
        findings.extend(duplicate_element_ids(view, resource, rel_base))
        if rtype == "Bundle":
            findings.extend(repeated_link_relations(view, resource, rel_base))
        elif rtype == "StructureDefinition":
            findings.extend(check_structure_definition(view, resource, rel_base, self.structure))
        elif rtype == "ValueSet":
            findings.extend(check_value_set(view, resource, rel_base, self.code_system_known))
        elif rtype == "CodeSystem":
            findings.extend(check_supplement(view, resource, rel_base, self.terminology))
        elif rtype == "CapabilityStatement":
            lookup = shipped_search_parameter(self.registry.core)
            findings.extend(check_capability_statement(view, resource, rel_base, lookup))
        if isinstance(base_pass, MergedPass):
            findings.extend(chosen)
        else:
            required, advisory = self.profiles_for(view, resource, rel_base, findings)
        profiled = resource
        if (required or advisory) and isinstance(resource, SlimBundle):
            # A profile on a large Bundle may slice or constrain its entries' resources,
            # which its slim root holds as stubs: the profile passes see the whole tree.
            profiled = resource.whole()
        reported: set[tuple[str, JsonPath | None]] = set()
        for number, profile_sd in enumerate(required):
            profile_findings = (
                merged[number]
                if merged is not None
                else self.run_profile(view, profiled, rel_base, profile_sd, resolve)
            )
            reported.update((f.code, f.json_path) for f in profile_findings)
            findings.extend(profile_findings)
        for number, profile_sd in enumerate(advisory, len(required)):
            # An inferred PCO profile is pcocheck's heuristic, not a claim: its violations
            # are warnings, and those a claimed profile already reported are not repeated.
            for finding in (
                merged[number]
                if merged is not None
                else self.run_profile(view, profiled, rel_base, profile_sd, resolve)
            ):
                if (finding.code, finding.json_path) in reported:
                    continue
                findings.append(_advisory(finding))
        if rtype == "Bundle":
            # Every Bundle at its own level: the document's, one in an entry, one in a
            # Parameters or an NDJSON record.
            scope = self.resolver.document(view).scope(resource, view.anchor.base_path + rel_base)
            findings.extend(check_bundle(view, resource, scope, rel_base))

    def run_profile(
        self,
        view: ResourceView,
        resource: dict[str, Any],
        rel_base: JsonPath,
        profile_sd: StructureDef,
        resolve: Any,
    ) -> list[Finding]:
        profile_pass = self.profile_pass(view, resource, rel_base, profile_sd, resolve)
        profile_pass.run()
        return profile_pass.findings

    def profile_pass(
        self,
        view: ResourceView,
        resource: dict[str, Any],
        rel_base: JsonPath,
        profile_sd: StructureDef,
        resolve: Any,
    ) -> Pass:
        """A reporting pass of ``resource`` against ``profile_sd`` (not yet run)."""
        return self.pass_class(
            self,
            view,
            resource,
            rel_base,
            profile_sd,
            PROFILE,
            profile_sd.canonical,
            profile_sd.id or profile_sd.name,
            resolve,
        )

    def hold(self, state: EngineState) -> None:
        """Make ``state`` the run-wide state checks add to. The merged walk
        (engine/merged.py) keeps each profile pass's share apart while the passes
        interleave, and merges the shares in the separate passes' order
        (:meth:`merge_state`) when the resource is done."""
        self._deferred, self._summaries = state.deferred, state.summaries

    def profiles_for(
        self,
        view: ResourceView,
        resource: dict[str, Any],
        rel_base: JsonPath,
        findings: list[Finding],
    ) -> tuple[list[StructureDef], list[StructureDef]]:
        """The profiles a resource must meet (claimed, requested, and the vital-signs
        profiles R4 mandates), and the PCO profiles inferred for it (advisory)."""
        rtype = str(resource.get("resourceType"))
        meta = resource.get("meta")
        claimed = meta.get("profile") if isinstance(meta, dict) else None
        claims = tuple(claimed) if type(claimed) is list else ()
        # The claimed, requested and global profiles depend on the type and the claims
        # alone (the definitions are fixed for the run): worked out once per pair of
        # them, unless a claim was reported (its finding is this resource's).
        key = (rtype, claims) if all(type(url) is str for url in claims) else None
        known = self._chosen.get(key) if key is not None else None
        implied = vital_sign_profile(resource)
        if known is not None and implied is None:
            # The usual case, all answered per pair: what the code below would conclude
            # from the same chosen profiles.
            required = list(known[1])
            if not self.infer_pco or known[2]:
                return required, []
            return required, self._advisory(view, resource, rtype, rel_base, findings)
        if known is not None:
            chosen = list(known[0])
        else:
            marks = (len(findings), self.effects)
            chosen = self._chosen_profiles(view, rtype, claims, rel_base, findings)
            if key is not None and (len(findings), self.effects) == marks:
                if len(self._chosen) >= CLAIM_ANSWERS_KEPT:
                    self._chosen.clear()
                self._chosen[key] = (
                    tuple(chosen),
                    tuple(self.without_ancestors(chosen)),
                    _claims_pco(chosen),
                )
        if implied is not None:
            url, reason = implied
            profile = self.structure(url)
            # A claimed profile built on the core vital-signs profiles (US Core's vital
            # signs) already carries R4's requirement: it is not applied a second time.
            if profile is not None and not any(
                p.url in (url, VITALSIGNS) or {url, VITALSIGNS} & set(self.ancestors(p))
                for p in chosen
            ):
                findings.append(
                    view.finding(
                        "FHIR-PROFILE-040",
                        f"{rtype} is a vital sign ({reason}): R4 requires it to conform to "
                        f"{profile.id or profile.name}; validated against {url}",
                        rel_base,
                    )
                )
                chosen.append(profile)
        required = self.without_ancestors(chosen)
        if not self.infer_pco or _claims_pco(chosen):
            return required, []
        return required, self._advisory(view, resource, rtype, rel_base, findings)

    def _advisory(
        self,
        view: ResourceView,
        resource: dict[str, Any],
        rtype: str,
        rel_base: JsonPath,
        findings: list[Finding],
    ) -> list[StructureDef]:
        """The PCO profiles inferred for a resource that chose none (profiles_for)."""
        advisory: list[StructureDef] = []
        for url, reason in infer_profiles(resource, self.terminology):
            profile = self.structure(url)
            if profile is None:
                continue
            findings.append(
                view.finding(
                    "FHIR-PROFILE-002",
                    f"{rtype} claims no PCO profile but {reason}; validated against "
                    f"{url} as well (its findings are warnings: if this is meant as "
                    "PCO content, claim the profile)",
                    rel_base,
                )
            )
            advisory.append(profile)
        return self.without_ancestors(advisory)

    def _chosen_profiles(
        self,
        view: ResourceView,
        rtype: str,
        claims: tuple[Any, ...],
        rel_base: JsonPath,
        findings: list[Finding],
    ) -> list[StructureDef]:
        """The claimed (usable ones), requested and global profiles of a resource."""
        chosen: list[StructureDef] = []
        for index, url in enumerate(claims):
            if not isinstance(url, str):
                continue
            rel = rel_base + ("meta", "profile", index)
            profile = self.structure(url)
            dependency = self.registry.unavailable_dependency(url) if profile is None else None
            if dependency is not None:
                self._summarise_view(
                    view,
                    "FHIR-PROFILE-030",
                    rel,
                    f"claimed profile {url} is defined in {dependency}, which US Core "
                    "depends on but pcocheck does not ship; the resource was not checked "
                    f"against it (not available offline; load it with --package {dependency})",
                    (url,),
                )
                continue
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
        chosen.extend(self._global_profiles(rtype))
        return chosen

    def _global_profiles(self, rtype: str) -> list[StructureDef]:
        """The loaded ImplementationGuide.global profiles for ``rtype`` (worked out once
        per type: the definitions are fixed for a run)."""
        found = self._globals_by_type.get(rtype)
        if found is None:
            found = []
            for url, _guide in self.registry.global_profiles(rtype):
                profile = self.structure(url)
                if profile is not None and profile.type == rtype:
                    found.append(profile)
            self._globals_by_type[rtype] = found
        return found

    def without_ancestors(self, profiles: list[StructureDef]) -> list[StructureDef]:
        """Drop a profile when another chosen one derives from it (its checks are included).
        Answered once per list of definitions (resources claim the same few)."""
        if not profiles:
            return []
        key = tuple(map(id, profiles))
        known = self._kept_profiles.get(key)
        if known is None:
            known = (tuple(profiles), self._without_ancestors(profiles))
            if len(self._kept_profiles) >= CLAIM_ANSWERS_KEPT:
                self._kept_profiles.clear()
            self._kept_profiles[key] = known
        return list(known[1])

    def _without_ancestors(self, profiles: list[StructureDef]) -> list[StructureDef]:
        unique: dict[str, StructureDef] = {}
        for profile in profiles:
            unique.setdefault(profile.url, profile)
        ancestors: set[str] = set()
        for profile in unique.values():
            ancestors.update(self.ancestors(profile))
        return [p for url, p in unique.items() if url not in ancestors]

    def ancestors(self, profile: StructureDef) -> list[str]:
        """The base definitions ``profile`` derives from (cached per definition; callers
        only read the list)."""
        cached = self._ancestors.get(id(profile))
        if cached is not None and cached[0] is profile:
            return cached[1]
        chain = self._ancestor_chain(profile)
        self._ancestors[id(profile)] = (profile, chain)
        return chain

    def _ancestor_chain(self, profile: StructureDef) -> list[str]:
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

    def compiled_scope(self, sd: StructureDef, scope: ElementDef) -> CompiledScope:
        """The compiled children of ``scope`` (cached like :meth:`children`)."""
        key = (sd.url, scope.id)
        found = self._compiled_scopes.get(key)
        if found is None:
            found = CompiledScope(self, sd, scope)
            self._compiled_scopes[key] = found
        return found

    def profile_scope(self, sd: StructureDef, scope: ElementDef) -> ProfileScope:
        """What a profile pass visits under ``scope`` (cached like :meth:`children`)."""
        key = (sd.url, scope.id)
        found = self._profile_scopes.get(key)
        if found is None:
            found = profile_scope(self, sd, scope)
            self._profile_scopes[key] = found
        return found

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
            # Not an element of this profile: its base plan (the same value, cached).
            found = self.plan_for(sd, element, BASE)
        return found

    def _finish_plan(self, plan: ElementPlan, element: ElementDef) -> ElementPlan:
        """``plan`` (just made by plan.py, not yet shared or hashed) with the element's
        cardinality, set in place: dataclasses.replace would copy it, several times the
        cost, for each of the few hundred plans a run makes."""
        _set_field(plan, "minimum", element.min)
        _set_field(plan, "maximum", element.max_count)
        _set_field(plan, "repeats", self.repeats(element))
        return plan

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
        fhir_type = fhir_primitive(type_code)
        problem: str | None = check_primitive(fhir_type, value)
        return problem or urn_problem(fhir_type, value)

    def evaluate_constraint(
        self,
        walk: Pass,
        constraint: Constraint,
        value: Any,
        rel: JsonPath,
        type_code: str,
        path: str | None = None,
    ) -> None:
        if reads_context(constraint):
            self.impure += 1  # not the value's alone (engine.memo)
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
            resolver=walk.resolve,
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
        detail = ""
        if constraint.key == "txt-1" and isinstance(value, str):
            # Say what is wrong with the narrative, not only that something is.
            detail = " (" + "; ".join(xhtml_markup_problems(value)[:3]) + ")"
        walk.report(code, rel, f"invariant {constraint.key} failed: {constraint.human}{detail}")

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

    def check_string_content(self, walk: Pass, type_code: str, value: str, rel: JsonPath) -> None:
        """Size, markup and example-url checks of a string-like primitive (base pass).
        Example urls: ``url`` (Attachment.url, endpoints) and ``canonical`` elements; an
        Extension.url is judged by the extension policy, a fullUrl or a reference never."""
        problem = size_problem(type_code, value)
        if problem is not None:
            walk.report("FHIR-STRUCT-045", rel, problem)
        if type_code == "string":
            tag = markup_in(value)
            if tag is not None:
                code = "FHIR-STRUCT-044" if self.security_checks else "FHIR-STRUCT-043"
                walk.report(
                    code,
                    rel,
                    f"the string contains HTML-like markup ({tag}); clients that render it "
                    "as HTML would run or display it (use the narrative or markdown for "
                    "formatted text)",
                )
        elif (
            type_code in ("url", "canonical")
            and not self.extension_policy.allow_example_urls
            and is_example_url(value)
            and self._looks_up(walk.resolve(value)) is None
        ):
            walk.report(
                "FHIR-STRUCT-048",
                rel,
                f"{value} is on an example domain and is not in the input; example urls "
                "are not allowed (--no-allow-example-urls)",
            )

    def _looks_up(self, found: Any) -> Any:
        """``found``, counted as a look beyond the value (engine.memo)."""
        self.impure += 1
        return found

    def check_attachment(self, walk: Pass, value: dict[str, Any], rel: JsonPath) -> None:
        for code, field_name, message in attachment_problems(value):
            walk.report(code, rel + (field_name,), message)

    def check_coding_syntax(self, walk: Pass, value: dict[str, Any], rel: JsonPath) -> None:
        system, code, display = value.get("system"), value.get("code"), value.get("display")
        if isinstance(system, str):
            known = self._supplement_problems
            if system in known:
                problem = known[system]
            else:
                problem = supplement_as_system(system, self.registry.code_system)
                if len(known) < SUPPLEMENT_SYSTEMS_KEPT:
                    known[system] = problem
            if problem is not None:
                walk.report("FHIR-BIND-130", rel + ("system",), problem)
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
    def check_reference_type(
        self, walk: Pass, element: ElementDef, value: dict[str, Any], rel: JsonPath
    ) -> None:
        """R4 Reference.type: the type of the target, which the element must allow and which
        SHALL agree with a FHIR-URL reference (as the reference validator checks both)."""
        ref_type = value.get("type")
        if not isinstance(ref_type, str) or not ref_type or ":" in ref_type:
            return  # absent, or an absolute URL of a logical model: nothing to compare
        type_rel = rel + ("type",)
        targets = tuple(p for t in element.types for p in t.target_profiles)
        allowed = {self.profile_type(p) for p in targets} - {""}
        if allowed and "Resource" not in allowed and ref_type not in allowed:
            walk.report(
                "FHIR-REF-050",
                type_rel,
                f"Reference.type {ref_type!r} is not a target this element allows "
                f"({', '.join(sorted(allowed))})",
            )
        reference = value.get("reference")
        if isinstance(reference, str):
            parsed = parse_reference(reference)
            if parsed.type is not None and parsed.type != ref_type:
                walk.report(
                    "FHIR-REF-051",
                    type_rel,
                    f"Reference.type {ref_type!r} disagrees with the reference {reference}, "
                    f"which names a {parsed.type}",
                )

    def check_reference(
        self,
        walk: Pass,
        element: ElementDef,
        plan: ElementPlan,
        value: dict[str, Any],
        rel: JsonPath,
    ) -> None:
        """The checks of one Reference value. One that resolves to a resource read
        elsewhere in the run (the usual NDJSON reference: ``Patient/123``), or to an entry
        of the same Bundle, gives the same outcome wherever it appears in that file (that
        Bundle, from the same server base), given the element, the pass and the
        reference's text and type: an outcome without findings or state changes is
        replayed (only its impurity, see pcocheck.engine.memo) instead of checked again."""
        context = walk.resolve
        reference = value.get("reference")
        if (
            type(context) is not ReferenceContext
            or type(reference) is not str
            or reference[:1] == "#"
            or (walk.mode != BASE and not plan.target_profiles)
            or self._depth
        ):
            # Inside a conformance probe the outcome also depends on the probe's depth
            # and the targets being probed (cycles): checked afresh.
            self._check_reference(walk, element, plan, value, rel)
            return
        index = self.resolver.index
        state = self._outcomes_index
        if state is None or state[0] is not index or state[1] != len(index):
            self._reference_outcomes.clear()
            self._bundle_outcomes.clear()
            self._outcomes_index = (index, len(index))
        bundle = context.bundle
        document = context.document
        # Where the reference resolves from: the referring file (another input of the
        # run), or the Bundle and the server base of the referring entry's fullUrl.
        place: object = (
            document.file if bundle is None else (id(bundle), restful_base(context.full_url))
        )
        ref_type = value.get("type")
        # Not the element itself: what a clean check of it read from its definition, its
        # target profiles (the allowed types and the profiles a target must meet) and its
        # path (the base element a profile's narrowing is compared with). The profiles of
        # one resource, and the slices and type slices of one element, repeat them.
        key = (
            self._reference_targets(element)[0],
            element.path,
            walk.mode == BASE,
            walk.quiet,
            reference,
            ref_type if type(ref_type) is str else None,
            place,
        )
        outcomes = self._reference_outcomes if bundle is None else self._bundle_outcomes
        known = outcomes.get(key)
        if known is not None and (
            known[0] is bundle
            if bundle is not None
            else isinstance(known[0], Identity) and not document.holds(known[0])
        ):
            self.impure += known[1]
            return
        before = (self.impure, self.effects, len(walk.findings), walk.errors, self._cuts)
        self._check_reference(walk, element, plan, value, rel)
        if (self.effects, len(walk.findings), walk.errors, self._cuts) != before[1:]:
            return
        resolution = (
            self._resolutions.get(reference) if context is self._resolutions_context else None
        )
        if resolution is None:
            return
        holder: Identity | BundleScope
        if bundle is None and resolution.status == "run" and resolution.identity is not None:
            holder = resolution.identity
        elif bundle is not None and resolution.status == "bundle":
            holder = bundle
        else:
            return
        if len(outcomes) >= REFERENCE_OUTCOMES_KEPT:
            outcomes.clear()
        outcomes[key] = (holder, self.impure - before[0])

    def _check_reference(
        self,
        walk: Pass,
        element: ElementDef,
        plan: ElementPlan,
        value: dict[str, Any],
        rel: JsonPath,
    ) -> None:
        reference = value.get("reference")
        base = walk.mode == BASE
        if base:
            self.check_reference_type(walk, element, value, rel)
        elif not plan.target_profiles:
            return  # the profile does not change the targets: the base pass checked them
        self.impure += 1  # resolved in the resource's context
        if not isinstance(reference, str):
            return
        parsed = parse_reference(reference)
        ref_rel = rel + ("reference",)
        if parsed.kind == "invalid":
            if base:
                walk.report(
                    "FHIR-REF-005",
                    ref_rel,
                    f"{reference!r} is not a valid reference (expected Type/id, an absolute "
                    "URL, urn:uuid:… or #contained-id)",
                )
            return
        context = walk.resolve
        resolution = self._resolution(context, reference)
        if base and resolution is not None:
            self.report_resolution(walk, ref_rel, resolution)
        if isinstance(context, ReferenceContext) and resolution is not None:
            target = context.target(resolution)
        else:
            target = walk.resolve(reference)
        if (
            target is None
            and base
            and not self.extension_policy.allow_example_urls
            and is_example_url(reference)
        ):
            walk.report(
                "FHIR-STRUCT-048",
                ref_rel,
                f"{reference} is on an example domain and is not in the input; example urls "
                "are not allowed (--no-allow-example-urls)",
            )
        if target is None and parsed.kind in ("contained", "urn"):
            return  # local references resolve only locally: reported above or by ref-1
        target_type = target.get("resourceType") if target is not None else parsed.type
        # Every allowed target, base types and profiles alike (US Core's derivedFrom allows
        # Observation and us-core-documentreference): the profile's full list, not its delta.
        targets, allowed_types, type_url_types, profiled_types = self._reference_targets(element)
        if not targets:
            return
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
                how = f" ({resolution.how()})" if resolution is not None and target else ""
                article = "an" if target_type[:1] in "AEIOU" else "a"
                walk.report(
                    "FHIR-REF-001",
                    ref_rel,
                    f"reference to {article} {target_type}{how}, but {walk.profile_name} "
                    f"allows only {', '.join(sorted(t for t in allowed_types if t))}",
                )
            return
        if base:
            return
        if isinstance(target_type, str) and (
            target_type in type_url_types or "Resource" in type_url_types
        ):
            return  # any resource of the target's type is allowed
        if isinstance(target_type, str):
            # Only the profiles for the target's own type can apply to it.
            profiled = [p for p, t in profiled_types if t in (target_type, "")]
        else:
            profiled = [p for p, _ in profiled_types]
        if not profiled:
            return
        if target is None or (
            isinstance(target, RemoteStub) and not self._claims_any(target, profiled)
        ):
            reported = resolution is not None and resolution.status in _REPORTED_UNRESOLVED
            if not walk.quiet and not reported:
                self.defer_reference(walk, ref_rel, reference, parsed, tuple(profiled))
            return
        where = resolution.path if resolution is not None else None
        results = [self.conforms(walk, target, p, where) for p in profiled]
        if any(r is True for r in results):
            return
        how = f" ({resolution.how()})" if resolution is not None else ""
        if all(r is False for r in results):
            walk.report(
                "FHIR-REF-002",
                ref_rel,
                f"{reference}{how} does not conform to "
                f"{' or '.join(_short(p) for p in profiled)} as {walk.profile_name} "
                "requires",
            )
        elif not walk.quiet:
            # Summarised per profile: a long chain would otherwise repeat it on every link.
            self.summarise(
                walk,
                "FHIR-REF-012",
                ref_rel,
                f"the conformance of {reference}{how} to "
                f"{' or '.join(_short(p) for p in profiled)} could not be determined (a "
                f"reference cycle, or a chain of references deeper than {MAX_TARGET_DEPTH})",
                tuple(profiled),
            )

    def _resolution(self, context: Any, reference: str) -> Resolution | None:
        """``context.resolve(reference)``, remembered for the resource being validated:
        its base and profile passes ask for the same references. Lifetime: one
        reference context (one resource); resolution is a pure lookup within it."""
        if not isinstance(context, ReferenceContext):
            return None
        if context is not self._resolutions_context:
            self._resolutions_context = context
            self._resolutions = {}
        found = self._resolutions.get(reference)
        if found is None:
            found = self._resolutions[reference] = context.resolve(reference)
        return found

    def _reference_targets(self, element: ElementDef) -> ReferenceTargets:
        """The target profiles of a Reference element; the types they name; the types
        named by plain type URLs; the other (profile) URLs with their types. Cached per
        element of the run's definitions (the element is kept with its entry)."""
        cached = self._targets.get(id(element))
        if cached is None or cached[0] is not element:
            targets = tuple(p for t in element.types for p in t.target_profiles)
            answer: ReferenceTargets = (
                targets,
                {self.profile_type(p) for p in targets},
                {self.profile_type(p) for p in targets if self.is_type_url(p)},
                tuple((p, self.profile_type(p)) for p in targets if not self.is_type_url(p)),
            )
            cached = (element, answer)
            self._targets[id(element)] = cached
        return cached[1]

    def report_resolution(self, walk: Pass, rel: JsonPath, resolution: Resolution) -> None:
        """Findings about how a reference resolved (base pass only: once per reference)."""
        status, reference = resolution.status, resolution.reference
        local = resolution.local
        if status == "urn-missing":
            where = (
                "the Bundle"
                if isinstance(walk.resolve, ReferenceContext) and (walk.resolve.bundle is not None)
                else "a Bundle (it is not inside one)"
            )
            walk.report(
                "FHIR-REF-006",
                rel,
                f"{reference} is not locally contained within {where}: no entry has that fullUrl",
            )
        elif status == "multiple" and local is not None:
            shown = ", ".join(f"entry {e.index}" for e in local.candidates)
            walk.report(
                "FHIR-REF-007",
                rel,
                f"found {len(local.candidates)} matches for {reference} in the Bundle "
                f"({shown}); a reference must identify one resource",
            )
        elif status == "version-mismatch" and local is not None:
            versions = ", ".join(
                f"entry {e.index} has versionId {e.version or '(none)'}" for e in local.candidates
            )
            walk.report(
                "FHIR-REF-008",
                rel,
                f"{reference} matches no entry of the Bundle: entries with that type and id "
                f"exist but not that version ({versions})",
            )
        elif status == "bundle-by-id" and local is not None and local.entry is not None:
            entry = local.entry
            if local.resolved_url is None:
                why = "the referring entry's fullUrl is not a RESTful URL to resolve against"
            else:
                why = f"the reference resolves to {local.resolved_url}"
            walk.report(
                "FHIR-REF-009",
                rel,
                f"entry {entry.index} matches {reference} by type and id, but its fullUrl "
                f"{entry.full_url or '(none)'} is not the URL the reference resolves to "
                f"({why}); that entry was used as the target",
            )
        elif status == "ambiguous":
            walk.report(
                "FHIR-REF-010",
                rel,
                f"{reference} is ambiguous: {resolution.how()[len('ambiguous: ') :]}; it was "
                "not resolved (validate them in separate runs, or use fullUrls)",
            )

    def check_canonical(self, walk: Pass, element: ElementDef, value: Any, rel: JsonPath) -> None:
        """A canonical that resolves to a loaded resource (shipped, --profiles/--package, or
        read from the input) of a type the element does not allow is an error."""
        if not isinstance(value, str) or walk.quiet:
            return
        allowed = self._canonical_targets(element)
        if not allowed or "Resource" in allowed or "" in allowed:
            return
        found = self.canonical_types(value)
        if not found or any(t in allowed for t in found):
            return
        what = " and ".join(sorted(found))
        article = "an" if what[:1] in "AEIOU" else "a"
        walk.report(
            "FHIR-REF-011",
            rel,
            f"{value} refers to {article} {what}, expected {' or '.join(allowed)}",
        )

    def _canonical_targets(self, element: ElementDef) -> tuple[str, ...]:
        """The resource types ``element``'s canonical target profiles name (sorted),
        worked out once per element (definitions are fixed for a run)."""
        cached = self._canonical_target_types.get(id(element))
        if cached is not None and cached[0] is element:
            return cached[1]
        allowed = tuple(
            sorted(
                {
                    self.profile_type(p)
                    for t in element.types
                    if t.code == "canonical"
                    for p in t.target_profiles
                }
            )
        )
        self._canonical_target_types[id(element)] = (element, allowed)
        return allowed

    def canonical_types(self, url: str) -> tuple[str, ...]:
        """The types of the loaded resources ``url`` names. Cached: key the canonical text,
        lifetime the run (definitions are fixed for a run; input resources are indexed by
        the first pass, which is complete before any check)."""
        cached = self._canonical_types.get(url)
        if cached is not None:
            return cached
        found: set[str] = set()
        for candidate in dict.fromkeys((url, url.split("|", 1)[0])):
            if self.structure(candidate) is not None and "/" in candidate:
                found.add("StructureDefinition")
            if self.registry.value_set(candidate) is not None:
                found.add("ValueSet")
            if self.registry.code_system(candidate) is not None:
                found.add("CodeSystem")
            if self.registry.questionnaire(candidate) is not None:
                found.add("Questionnaire")
            from_input = self.resolver.canonical_type(candidate)
            if from_input is not None:
                found.add(from_input)
        result = tuple(sorted(found))
        if len(self._canonical_types) < CANONICALS_KEPT:
            self._canonical_types[url] = result
        else:
            # Not remembered, so a later lookup may see more of the run's resources: the
            # canonical's verdict is not its value's alone (engine.memo). A remembered
            # answer is the run's answer for that url, memo or not.
            self.impure += 1
        return result

    def _claims_any(self, target: dict[str, Any], profiles: list[str]) -> bool:
        return any(self.claims(target, p) for p in profiles)

    def claims(self, resource: dict[str, Any], profile_url: str) -> bool:
        """Whether ``resource`` claims ``profile_url`` or a profile derived from it."""
        meta = resource.get("meta")
        claimed = meta.get("profile") if isinstance(meta, dict) else None
        if not isinstance(claimed, list):
            return False
        if not all(type(url) is str for url in claimed):
            return self._claims(claimed, profile_url)
        key = (tuple(claimed), profile_url)
        answer = self._claim_answers.get(key)
        if answer is None:
            answer = self._claims(claimed, profile_url)
            if len(self._claim_answers) >= CLAIM_ANSWERS_KEPT:
                self._claim_answers.clear()
            self._claim_answers[key] = answer
        return answer

    def _claims(self, claimed: list[Any], profile_url: str) -> bool:
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

    def is_type_url(self, url: str) -> bool:
        """``…/StructureDefinition/Observation`` (a type), not ``…/vitalsigns`` (a core
        profile that shares the base prefix)."""
        if not url.startswith(_BASE_PREFIX):
            return False
        name = url[len(_BASE_PREFIX) :].split("|", 1)[0]
        if name in R4_RESOURCE_TYPES or name in ("Resource", "DomainResource"):
            return True
        return name[:1].isupper() and "-" not in name  # datatypes; core profiles are lower case

    def profile_type(self, url: str) -> str:
        if self.is_type_url(url):
            return url[len(_BASE_PREFIX) :].split("|", 1)[0]
        sd = self.structure(url)
        return sd.type if sd is not None else ""

    def conforms(
        self,
        walk: Pass,
        target: dict[str, Any],
        profile_url: str,
        where: JsonPath | None = None,
    ) -> bool | None:
        """Whether ``target`` meets ``profile_url`` (no error-level finding).

        ``where`` is the target's JSON path in the current document: the cache key (with
        the profile) and the place its own references resolve from. Depth-bounded: a
        chain of references deeper than MAX_TARGET_DEPTH is "not determined" (None)."""
        self.impure += 1
        if self.claims(target, profile_url):
            # A target that claims the profile is validated against it where it stands;
            # repeating its errors at every reference would only bury the real finding.
            return True
        if isinstance(target, RemoteStub):
            return None  # read elsewhere in the run: only its identity and claims are kept
        key = (where, profile_url) if where is not None else None
        if key is not None and key in self._conformance:
            return self._conformance[key]
        if key is not None and key in self._in_progress:
            return None  # a reference cycle: do not recurse forever
        if self._depth >= MAX_TARGET_DEPTH:
            self._cuts += 1
            return None
        profile = self.structure(profile_url)
        rtype = target.get("resourceType")
        if profile is None:
            return None
        if profile.type != rtype:
            if key is not None:
                self._conformance[key] = False
            return False
        resolve: Any = walk.resolve
        if where is not None:
            resolve = self.resolver.context_in(walk.view, where)
        if key is not None:
            self._in_progress.add(key)
        self._depth += 1
        cuts_before = self._cuts
        try:
            errors = 0
            sd = self.structure(str(rtype))
            for definition, mode in ((sd, BASE), (profile, PROFILE)):
                if definition is None:
                    continue
                probe = self.pass_class(
                    self,
                    walk.view,
                    target,
                    (),
                    definition,
                    mode,
                    None,
                    definition.name,
                    resolve,
                    quiet=True,
                )
                probe.run()
                errors += probe.errors
        finally:
            self._depth -= 1
            if key is not None:
                self._in_progress.discard(key)
        result: bool | None = errors == 0
        if self._cuts != cuts_before:
            # The chain went deeper than MAX_TARGET_DEPTH below this target: no error seen
            # is not a pass. Not cached: the answer depends on where the probe started.
            return None if result else False
        if key is not None:
            self._conformance[key] = result
        return result

    # -- nested content -------------------------------------------------------------------
    def visit_inline_resource(
        self, walk: Pass, element: ElementDef, value: Any, rel: JsonPath
    ) -> None:
        self.impure += 1  # validated where it sits (Bundle entries, contained)
        if walk.mode != BASE or walk.quiet:
            return
        if not isinstance(value, dict):
            walk.report("FHIR-STRUCT-002", rel, "a resource must be a JSON object")
            return
        if (
            walk.rel_base == ()
            and walk.view.bundle is None
            and walk.resource.get("resourceType") == "Bundle"
            and (rel[:1] == ("entry",))
        ):
            # The entries of the Bundle that was read are validated as resources of their
            # own; those of a Bundle that is itself an entry are validated here.
            return
        rtype = value.get("resourceType")
        if not isinstance(rtype, str):
            walk.report("FHIR-JSON-005", rel, "an inline resource has no resourceType")
            return
        nested: list[Finding] = []
        self.validate_resource(walk.view, value, walk.rel_base + rel, nested)
        walk.findings.extend(nested)

    def check_extension(self, walk: Pass, value: dict[str, Any], rel: JsonPath) -> int:
        """Check an extension against its definition (by url). Returns the impurity
        (engine.memo) of the checks of its context, which :meth:`replay_extension`
        repeats for an extension remembered clean."""
        url = value.get("url")
        if not isinstance(url, str) or "/" not in url or walk.quiet:
            return 0
        definition = self.structure(url)
        if "|" in url:
            # Extension.url is the definition's canonical, which the definition fixes
            # without a version: name the mistake, then check against that definition.
            definition = definition or self.structure(url.split("|", 1)[0])
            if definition is not None:
                walk.report(
                    "FHIR-STRUCT-050",
                    rel,
                    f"extension url {url} must not contain a version: Extension.url is the "
                    f"canonical url {definition.url} (checked against that definition)",
                )
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
                code, message = self.extension_policy.unknown(url)
                walk.report(code, rel, message)
            return 0
        contextual = self.extension_context(walk, definition, value, rel)
        memo = self.extension_keys.memo_for(definition) if isinstance(walk, CompiledPass) else None
        if memo is not None and memo.worth_trying():
            # Remembered clean by what its definition's pass reads (engine.extension_keys).
            memo.tries += 1  # a value without a key counts as a miss
            found = self.extension_keys.key(cast(CompiledPass, walk), definition, value)
            if found is not None:
                key, chars = found
                if key in memo.clean:
                    memo.hits += 1
                    return contextual
                before = self.impure
                self.run_profile_on(walk, definition, value, rel)
                if self.impure == before:
                    memo.remember(key, chars)
                return contextual
        self.run_profile_on(walk, definition, value, rel)
        return contextual

    def extension_context(
        self, walk: Pass, definition: StructureDef, value: dict[str, Any], rel: JsonPath
    ) -> int:
        """The checks of an extension that depend on where it sits (the element it is on);
        returns their impurity (engine.memo)."""
        start = self.impure
        self.impure += 1  # its context: the element it sits on
        if self.check_extension_context(walk, definition, rel):
            self.check_context_invariants(walk, definition, value, rel)
        return self.impure - start

    def replay_extension(self, walk: Pass, value: dict[str, Any], rel: JsonPath) -> None:
        """:meth:`check_extension` of an extension remembered clean: the checks of its
        context only (the rest depends on the value alone, which was clean)."""
        url = value.get("url")
        if not isinstance(url, str) or "/" not in url or walk.quiet:
            return
        definition = self.structure(url)
        if definition is not None:  # clean, so its url has no version
            self.extension_context(walk, definition, value, rel)

    def check_extension_context(self, walk: Pass, definition: StructureDef, rel: JsonPath) -> bool:
        """The element an extension sits on must be one its definition's context allows
        (False when it does not)."""
        if definition.type != "Extension" or not definition.context or len(rel) < 2:
            return True
        host_rel = rel[:-2]
        steps = tuple(
            step[1:] if step.startswith("_") else step for step in host_rel if isinstance(step, str)
        )
        rtype = walk.resource.get("resourceType")
        host = self.host_contexts.of(rtype, steps) if isinstance(rtype, str) else None
        if host is None:
            return True  # the host element could not be followed: nothing reliable to say
        parent = _value_at(walk.resource, host_rel)
        parent_url = parent.get("url") if isinstance(parent, dict) else None
        contexts = effective_contexts(definition.url, definition.context)
        if context_allows(contexts, host, parent_url if isinstance(parent_url, str) else None):
            return True
        where = ".".join((rtype, *steps)) if isinstance(rtype, str) else "?"
        walk.report(
            "FHIR-STRUCT-042",
            rel,
            f"extension {definition.url} is not allowed on {where}: its definition allows it "
            f"only on {', '.join(contexts)}",
        )
        return False

    def check_context_invariants(
        self, walk: Pass, definition: StructureDef, value: dict[str, Any], rel: JsonPath
    ) -> None:
        """Each contextInvariant of the definition, on the element the extension sits on
        (pcocheck.engine.extensions)."""
        rtype = walk.resource.get("resourceType")
        if not definition.context_invariants or len(rel) < 2 or not isinstance(rtype, str):
            return
        host_rel = rel[:-2]
        value_rel = tuple(
            step[1:] if isinstance(step, str) and step.startswith("_") else step
            for step in host_rel
        )
        host = _value_at(walk.resource, value_rel)
        if host is None:  # a primitive with only its extensions: the `_x` element stands for it
            host = _value_at(walk.resource, host_rel)
        host_path = ".".join((rtype, *(s for s in value_rel if isinstance(s, str))))
        for code, message in context_invariant_problems(
            definition,
            self.invariants,
            host=host,
            host_path=host_path,
            extension=value,
            resource=walk.resource,
            root=walk.view.resource,
            resolver=walk.resolve,
        ):
            walk.report(code, rel, message)

    def apply_type_profile(self, walk: Pass, profile_url: str, value: Any, rel: JsonPath) -> None:
        definition = self.structure(profile_url)
        if definition is None or definition.type == "Extension":
            return  # extensions are checked against their definition by url in the base pass
        self.run_profile_on(walk, definition, value, rel)

    def run_profile_on(
        self, walk: Pass, definition: StructureDef, value: Any, rel: JsonPath
    ) -> None:
        """Validate an element value (an extension, a typed datatype) against a profile."""
        sub = self.pass_class(
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


@dataclass(slots=True)
class EngineState:
    """The part of a :class:`ProfileEngine` that :meth:`ProfileEngine.finish` reads."""

    deferred: dict[
        tuple[str, ...],
        tuple[list[tuple[str, str | None, str]], list[tuple[OrderKey, str, Finding]]],
    ]
    summaries: dict[tuple[str, ...], tuple[Finding, int, OrderKey]]


# Bundle.link relations that name one page of a result (R4 http.html#paging, bundle.html):
# each may appear at most once, as in the reference validator.
SINGLE_LINK_RELATIONS = frozenset({"self", "first", "previous", "prev", "next", "last"})


def repeated_link_relations(
    view: ResourceView, bundle: dict[str, Any], rel_base: JsonPath
) -> list[Finding]:
    seen: dict[str, int] = {}
    out: list[Finding] = []
    for index, link in enumerate(listed(bundle.get("link"))):
        relation = link.get("relation") if isinstance(link, dict) else None
        if not isinstance(relation, str) or relation not in SINGLE_LINK_RELATIONS:
            continue
        if relation in seen:
            out.append(
                view.finding(
                    "FHIR-CARD-040",
                    f"Bundle.link[{index}]: the relation '{relation}' appears again "
                    f"(first at link[{seen[relation]}]); a Bundle has at most one '{relation}' "
                    "link",
                    rel_base + ("link", index, "relation"),
                )
            )
        else:
            seen[relation] = index
    return out


def _value_at(root: Any, rel: JsonPath) -> Any:
    node = root
    for step in rel:
        if isinstance(step, int):
            node = node[step] if isinstance(node, list) and 0 <= step < len(node) else None
        else:
            node = node.get(step) if isinstance(node, dict) else None
    return node


def _advisory(finding: Finding) -> Finding:
    """A finding of an inferred (unclaimed) PCO profile: at most a warning."""
    if finding.severity < Severity.ERROR:
        return finding
    return replace(
        finding,
        severity=Severity.WARNING,
        message=f"{finding.message} (if this is meant as PCO content; "
        "the resource claims no PCO profile)",
    )


def _short(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


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
