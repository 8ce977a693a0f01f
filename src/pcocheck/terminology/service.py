"""The terminology service the profile engine and the PCO rules call.

Offline first: membership comes from value sets and code systems the registry holds
(plus the LOINC answer lists pcocheck carries itself), syntax and check digits from
:mod:`pcocheck.terminology.syntax`, displays from code systems and
:mod:`pcocheck.terminology.known_codes`. What cannot be decided offline is reported as
information (or, with ``tx``, asked of a terminology server); nothing is passed
silently.

Reporting rules
    * required binding, code not in the value set: error; extensible: warning;
      preferred and example: nothing from the binding.
    * a code that is malformed for its system is reported whatever the binding.
    * a value set whose membership is unconfirmed never yields an error for a code that
      could still belong to it.
    * a display that differs from every display pcocheck knows for the code: warning
      (only where the known display is authoritative: a local code system or LOINC's own
      name; IG-authored displays and SNOMED CT terms are accepted but never demanded).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from pcocheck.terminology import issue as codes
from pcocheck.terminology import known_codes as kc
from pcocheck.terminology.codesystem import CodeSystemIndex
from pcocheck.terminology.issue import TermIssue
from pcocheck.terminology.syntax import (
    LoincKind,
    SctProblem,
    bcp47_plausible,
    iso3166_2_plausible,
    iso3166_plausible,
    loinc_missing_check_digit,
    mime_plausible,
    parse_loinc,
    parse_sctid,
    rxnorm_plausible,
    ucum_problem,
)
from pcocheck.terminology.valueset import (
    CompiledValueSet,
    Expansion,
    ValueSetCompiler,
    Verdict,
)

if TYPE_CHECKING:  # the client is imported only by runs with --tx
    from pcocheck.terminology.tx import TxClient, TxResult

Coding = tuple[str | None, str | None, str | None]  # (system, code, display)

_SNOMED_EDITION = re.compile(r"https?://snomed\.info/sct/\d+(/version/\d+)?\Z")
_LIST_LIMIT = 8
_MEMO_LIMIT = 200_000
_ENFORCED = frozenset({"required", "extensible"})


class DefinitionSource(Protocol):
    """What the service needs from the definition registry."""

    def value_set(self, url: str) -> Mapping[str, Any] | None: ...

    def code_system(self, url: str) -> Mapping[str, Any] | None: ...


def normalize_display(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass(frozen=True, slots=True)
class _Facts:
    """What pcocheck knows about one system|code, independent of any binding."""

    system: str  # the system after correcting a misspelt well-known URI
    code: str
    issues: tuple[TermIssue, ...]  # syntax problems
    exists: bool | None  # known to exist / known not to / cannot tell offline
    possible: bool | None  # could it be a valid code of the system at all?
    not_checked: TermIssue | None  # what to say when nothing else decides
    checked: tuple[str, ...]  # authoritative displays (a mismatch is reported)
    accepted: frozenset[str]  # every accepted display, normalised
    preferred: str | None


@dataclass(slots=True)
class _Eval:
    index: int | None
    system: str | None
    code: str
    display: str | None
    version: str | None
    facts: _Facts | None
    verdict: Verdict


class TerminologyService:
    """Bindings, code syntax, displays and membership for one run (caches included)."""

    def __init__(
        self,
        registry: DefinitionSource,
        *,
        display_check: bool = True,
        tx: TxClient | None = None,
    ) -> None:
        self._registry = registry
        self.display_check = display_check
        self.tx = tx
        self._code_systems: dict[str, CodeSystemIndex | None] = {}
        self._facts_cache: dict[tuple[str, str], _Facts] = {}
        self._memo: dict[tuple[Any, ...], tuple[TermIssue, ...]] = {}
        self._compiler = ValueSetCompiler(
            self._value_set_resource, self.code_system, self._possible
        )

    # ------------------------------------------------------------------ public API

    def check_binding(
        self,
        *,
        value_set: str,
        strength: str,
        system: str | None,
        code: str | None,
        display: str | None = None,
        version: str | None = None,
    ) -> list[TermIssue]:
        """Issues for one Coding (or ``code`` value) bound to ``value_set``.

        ``system`` None means an element of type ``code``, whose system the value set
        implies. Values that are not strings (malformed JSON) are treated as absent.
        """
        key = ("b", value_set, strength, system, code, display, version)
        cached = self._lookup(key)
        if cached is None:
            system, code, display, version = _s(system), _s(code), _s(display), _s(version)
            if not code:
                return []
            cached = tuple(
                self._check(
                    value_set,
                    strength.lower(),
                    [(system, code, display)],
                    None,
                    version,
                    single=True,
                )
            )
            self._remember(key, cached)
        return list(cached)

    def check_codeable_concept(
        self,
        *,
        value_set: str,
        strength: str,
        codings: Sequence[Coding],
        text: str | None,
    ) -> list[TermIssue]:
        """Issues for a CodeableConcept: it passes when any coding is a member.

        Binding-level issues have ``coding_index`` None; a coding's own problems (syntax,
        check digits, display) carry its index in ``codings``.
        """
        key = ("c", value_set, strength, tuple(codings), text)
        cached = self._lookup(key)
        if cached is None:
            clean = tuple((_s(c[0]), _s(c[1]), _s(c[2])) for c in codings)
            cached = tuple(
                self._check(value_set, strength.lower(), clean, _s(text), None, single=False)
            )
            self._remember(key, cached)
        return list(cached)

    def check_code_syntax(
        self,
        system: str | None,
        code: str | None,
        display: str | None,
    ) -> list[TermIssue]:
        """Issues for a coding with no binding: syntax, check digits, known displays."""
        key = ("s", system, code, display)
        cached = self._lookup(key)
        if cached is None:
            system, code, display = _s(system), _s(code), _s(display)
            if not system or not code:
                return []
            facts = self._facts(system, code)
            found = list(facts.issues)
            shown = self._display_issue(facts, display, (), None)
            if shown is not None:
                found.append(shown)
            if facts.exists is None:
                found.extend(self._existence(facts, display, None))
            cached = tuple(found)
            self._remember(key, cached)
        return list(cached)

    def is_member(self, value_set: str, system: str, code: str) -> bool | None:
        """True/False, or None when it cannot be told offline."""
        compiled = self._compiler.get(value_set)
        if compiled is None:
            return None
        verdict = compiled.verdict(system, code)
        if verdict is Verdict.MEMBER:
            return True
        if verdict is Verdict.NOT_MEMBER:
            return False
        return None

    def verdict(
        self, value_set: str, system: str | None, code: str, version: str | None = None
    ) -> Verdict | None:
        """The four-valued membership verdict; None when the value set is unknown."""
        compiled = self._compiler.get(value_set)
        return None if compiled is None else compiled.verdict(system, code, version)

    def expand(self, value_set: str) -> Expansion | None:
        """The enumerable content of a value set, or None when it is not enumerable.

        An :class:`Expansion` with ``complete=False`` lists the members pcocheck knows
        of a value set whose full membership is unconfirmed.
        """
        compiled = self._compiler.get(value_set)
        return None if compiled is None else compiled.expansion()

    def display_of(self, system: str, code: str) -> str | None:
        return self._facts(system, code).preferred

    def code_system(self, url: str) -> CodeSystemIndex | None:
        """The indexed CodeSystem for ``url`` (bare or ``url|version``), if loaded."""
        bare = url.split("|", 1)[0]
        if bare in self._code_systems:
            return self._code_systems[bare]
        resource = self._registry.code_system(bare)
        index = CodeSystemIndex(resource) if resource is not None else None
        if index is not None and not index.usable:
            index = None
        self._code_systems[bare] = index
        return index

    # ------------------------------------------------------------------ binding checks

    def _check(
        self,
        vs_url: str,
        strength: str,
        codings: Sequence[Coding],
        text: str | None,
        version: str | None,
        *,
        single: bool,
    ) -> list[TermIssue]:
        compiled = self._compiler.get(vs_url)
        found: list[TermIssue] = []
        evals: list[_Eval] = []
        for position, (system, code, display) in enumerate(codings):
            if not code:
                continue
            index = None if single else position
            facts = self._facts(system, code) if system else None
            if compiled is None:
                verdict = Verdict.UNKNOWN
            elif system is None and not single:
                verdict = Verdict.NOT_MEMBER  # a Coding without a system means nothing
            else:
                verdict = compiled.verdict(system, code, version)
            if facts is not None:
                if facts.issues:
                    found.extend(i.at(index) for i in facts.issues)
                if display and facts.checked and self.display_check:
                    member = verdict is Verdict.MEMBER
                    extra = _vs_displays(compiled, system, code) if member else ()
                    shown = self._display_issue(facts, display, extra, index)
                    if shown is not None:
                        found.append(shown)
            evals.append(_Eval(index, system, code, display, version, facts, verdict))

        member = any(e.verdict is Verdict.MEMBER for e in evals)
        covered = False  # did a binding-level issue speak for the non-member codings?
        if not member and strength in _ENFORCED:
            undecided = [e for e in evals if e.verdict in (Verdict.UNKNOWN, Verdict.UNCONFIRMED)]
            if undecided and self.tx is not None:
                member, tx_issues = self._ask_tx_value_set(
                    self.tx, vs_url, strength, undecided, single
                )
                found.extend(tx_issues)
                covered = True
            elif undecided:
                found.append(self._undecided_issue(compiled, vs_url, strength, undecided, single))
                covered = True
            elif evals or (strength == "required" and (text or codings)):
                found.append(
                    self._not_member_issue(compiled, vs_url, strength, evals, text, single)
                )
                covered = True
        if not covered:
            for item in evals:
                if (
                    item.verdict is not Verdict.MEMBER
                    and item.facts is not None
                    and (item.facts.exists is None)
                ):
                    found.extend(self._existence(item.facts, item.display, item.index))
        return found

    def _not_member_issue(
        self,
        compiled: CompiledValueSet | None,
        vs_url: str,
        strength: str,
        evals: list[_Eval],
        text: str | None,
        single: bool,
    ) -> TermIssue:
        code = _not_member_code(strength)
        binding = f"value set {vs_url} ({strength} binding)"
        if not evals:
            given = f"text only: {text!r}" if text else "no coding has a code"
            message = f"no coded value is given ({given}); {binding} needs a code from it"
            return TermIssue(code, message + _expected(compiled))
        if len(evals) == 1:
            message = f"{_show(evals[0].system, evals[0].code)} is not in {binding}"
        else:
            shown = ", ".join(_show(e.system, e.code) for e in evals)
            message = f"none of the codings ({shown}) is in {binding}"
        hints = [h for e in evals for h in _hints(compiled, vs_url, e)]
        if hints:
            message += "; " + "; ".join(hints)
        return TermIssue(code, message + _expected(compiled), None, "code" if single else None)

    def _undecided_issue(
        self,
        compiled: CompiledValueSet | None,
        vs_url: str,
        strength: str,
        undecided: list[_Eval],
        single: bool,
    ) -> TermIssue:
        shown = ", ".join(_show(e.system, e.code) for e in undecided)
        binding = f"value set {vs_url} ({strength} binding)"
        field = "code" if single else None
        if compiled is None:
            # A value set of a package the shipped US Core depends on (VSAC, THO ...)
            # says which package would provide it.
            dependency = getattr(self._registry, "unavailable_dependency", lambda _: None)(vs_url)
            source = f" (it is in {dependency}, which pcocheck does not ship)" if dependency else ""
            return TermIssue(
                codes.VALUE_SET_UNKNOWN,
                f"{binding} is not available offline{source}, so {shown} was not checked "
                "against it; load the package that defines it (--package, --profiles) or use "
                "--tx",
                None,
                field,
            )
        if compiled.unconfirmed is not None and all(
            e.verdict is Verdict.UNCONFIRMED for e in undecided
        ):
            known = len(compiled.concepts())
            note = (
                f"{shown} is not among the {known} codes pcocheck knows for {binding}, "
                f"whose full membership is unconfirmed: {compiled.unconfirmed}"
            )
            hints = [h for e in undecided for h in _hints(compiled, vs_url, e)]
            if hints:
                note += "; " + "; ".join(hints)
            if strength == "required":
                return TermIssue(
                    codes.REQUIRED_UNCONFIRMED, note + _expected(compiled), None, field
                )
            return TermIssue(
                codes.BINDING_NOT_CHECKED, note + "; use --tx to check it", None, field
            )
        reasons = "; ".join(compiled.reasons) or "its content is not enumerable offline"
        return TermIssue(
            codes.BINDING_NOT_CHECKED,
            f"membership of {shown} in {binding} cannot be decided offline: {reasons}; "
            "use --tx to check it",
            None,
            field,
        )

    def _ask_tx_value_set(
        self,
        tx: TxClient,
        vs_url: str,
        strength: str,
        undecided: list[_Eval],
        single: bool,
    ) -> tuple[bool, list[TermIssue]]:
        binding = f"value set {vs_url} ({strength} binding)"
        invalid: list[tuple[_Eval, TxResult]] = []
        failures: list[TermIssue] = []
        for item in undecided:
            result = tx.validate_value_set(
                vs_url, item.system, item.code, item.display, item.version
            )
            if result.valid:
                found = [self._tx_display_issue(item, result)] if result.message else []
                return True, [i for i in found if i is not None]
            if result.status == "invalid":
                invalid.append((item, result))
            else:
                failures.append(
                    TermIssue(
                        codes.TX_UNREACHABLE if result.unreachable else codes.TX_ERROR,
                        f"{_show(item.system, item.code)} could not be checked against {binding}: "
                        f"{result.message}",
                        item.index,
                        None,
                    )
                )
        if failures:
            return False, failures
        code = _not_member_code(strength)
        shown = ", ".join(_show(e.system, e.code) for e, _ in invalid)
        said = "; ".join(r.message for _, r in invalid if r.message)
        message = f"{shown} is not in {binding} according to terminology server {tx.base_url}" + (
            f": {said}" if said else ""
        )
        return False, [TermIssue(code, message, None, "code" if single else None)]

    def _tx_display_issue(self, item: _Eval, result: TxResult) -> TermIssue | None:
        if not self.display_check or not item.display or "display" not in result.message.lower():
            return None
        if item.facts is not None and item.facts.checked:
            return None  # pcocheck knows this display itself and has already checked it
        return TermIssue(
            codes.DISPLAY_MISMATCH,
            f"display {item.display!r} for {_show(item.system, item.code)}: terminology server "
            f"says {result.message}",
            item.index,
            "display",
        )

    # ------------------------------------------------------------------ existence

    def _existence(
        self,
        facts: _Facts,
        display: str | None,
        index: int | None,
    ) -> list[TermIssue]:
        """For a code whose existence is unknown offline: ask tx, or say it was not checked."""
        if facts.not_checked is None:
            return []
        unknown_system = facts.not_checked.code == codes.SYSTEM_UNKNOWN
        if self.tx is None or unknown_system:
            return [facts.not_checked.at(index)]
        result = self.tx.validate_code_system(facts.system, facts.code, display)
        shown = _show(facts.system, facts.code)
        if result.valid:
            item = _Eval(index, facts.system, facts.code, display, None, facts, Verdict.MEMBER)
            found = self._tx_display_issue(item, result) if result.message else None
            return [found] if found is not None else []
        if result.status == "invalid":
            return [
                TermIssue(
                    codes.CODE_NOT_IN_SYSTEM,
                    f"{shown} is not a valid code according to terminology server "
                    f"{self.tx.base_url}" + (f": {result.message}" if result.message else ""),
                    index,
                    "code",
                )
            ]
        return [
            TermIssue(
                codes.TX_UNREACHABLE if result.unreachable else codes.TX_ERROR,
                f"{shown} could not be checked against its code system: {result.message}",
                index,
                None,
            )
        ]

    # ------------------------------------------------------------------ displays

    def _display_issue(
        self,
        facts: _Facts,
        display: str | None,
        extra: tuple[str, ...],
        index: int | None,
    ) -> TermIssue | None:
        if not self.display_check or not display or not facts.checked:
            return None
        given = normalize_display(display)
        if given in facts.accepted or (extra and given in _normalized(extra)):
            return None
        choices = _unique((*facts.checked, *extra))
        expected = " or ".join(repr(d) for d in choices[:4])
        message = (
            f"display {display!r} for {_show(facts.system, facts.code)} does not match "
            f"the known display {expected}"
        )
        old = kc.STALE_DISPLAYS.get((facts.system, facts.code), ())
        if any(normalize_display(o) == given for o in old):
            message += " (it is the display of a pre-STU1 draft)"
        return TermIssue(codes.DISPLAY_MISMATCH, message, index, "display")

    # ------------------------------------------------------------------ code facts

    def _facts(self, system: str, code: str) -> _Facts:
        key = (system, code)
        facts = self._facts_cache.get(key)
        if facts is None:
            facts = self._compute_facts(system, code)
            self._facts_cache[key] = facts
        return facts

    def _possible(self, system: str, code: str) -> bool | None:
        return self._facts(system, code).possible

    def _compute_facts(self, system: str, code: str) -> _Facts:
        issues: list[TermIssue] = []
        canonical = kc.SYSTEM_ALIASES.get(system)
        if canonical is None and _SNOMED_EDITION.match(system):
            canonical = kc.SNOMED
            issues.append(
                TermIssue(
                    codes.SYSTEM_MISSPELT,
                    f"system {system!r} is a SNOMED CT edition URI; Coding.system must be "
                    f"{kc.SNOMED} and the edition goes in Coding.version",
                    None,
                    "system",
                )
            )
        elif canonical is not None:
            name = kc.SYSTEM_NAMES.get(canonical, canonical)
            issues.append(
                TermIssue(
                    codes.SYSTEM_MISSPELT,
                    f"system {system!r} is not the URI FHIR defines for {name}; use {canonical}",
                    None,
                    "system",
                )
            )
        else:
            canonical = system
        if canonical == kc.LOINC:
            return self._loinc_facts(canonical, code, issues)
        if canonical == kc.SNOMED:
            return self._snomed_facts(canonical, code, issues)
        grammar = _GRAMMARS.get(canonical)
        if grammar is not None:
            problem = grammar(code)
            if problem is not None:
                issues.append(
                    TermIssue(
                        codes.CODE_MALFORMED,
                        f"{_show(canonical, code)} is not a valid "
                        f"{kc.SYSTEM_NAMES.get(canonical, canonical)} code: {problem}",
                        None,
                        "code",
                    )
                )
                return _simple(canonical, code, issues, exists=False, possible=False)
            if canonical in kc.GRAMMAR_SYSTEMS:
                return _simple(canonical, code, issues, exists=True, possible=True)
        if canonical in kc.LARGE_SYSTEMS:
            return _simple(
                canonical,
                code,
                issues,
                exists=None,
                possible=None,
                not_checked=_not_checked(canonical, code),
            )
        cs = self.code_system(canonical)
        if cs is not None:
            return self._local_facts(cs, canonical, code, issues)
        stale = kc.STALE_SYSTEMS.get(canonical)
        message = (
            f"code system {canonical} is unknown to pcocheck, so "
            f"{_show(canonical, code)} was not checked"
        )
        if stale:
            message += f"; it is a pre-STU1 PCO code system: {stale}"
        else:
            message += "; load its definition (--package, --profiles) or use --tx"
        return _simple(
            canonical,
            code,
            issues,
            exists=None,
            possible=None,
            not_checked=TermIssue(codes.SYSTEM_UNKNOWN, message, None, "system"),
        )

    def _loinc_facts(self, system: str, code: str, issues: list[TermIssue]) -> _Facts:
        parsed = parse_loinc(code)
        shown = _show(system, code)
        if parsed is None:
            completed = loinc_missing_check_digit(code.strip())
            stale = kc.STALE_CODES.get((system, code))
            hint = f"; did you mean {completed}?" if completed else ""
            if stale:
                hint = f"; it is pre-STU1 content: {stale}"
            issues.append(
                TermIssue(
                    codes.LOINC_MALFORMED,
                    f"{shown} is not a LOINC code: LOINC codes are digits, a hyphen and a check "
                    f"digit (44261-6), answer codes LA…-n, part codes LP…-n{hint}",
                    None,
                    "code",
                )
            )
            return _simple(system, code, issues, exists=False, possible=False)
        if parsed.kind in (LoincKind.ANSWER_LIST, LoincKind.GROUP):
            advice = (
                f"the answer list is the value set http://loinc.org/vs/{code.upper()}"
                if parsed.kind is LoincKind.ANSWER_LIST
                else "use one of its member codes"
            )
            issues.append(
                TermIssue(
                    codes.LOINC_NOT_A_CODE,
                    f"{shown} is a {parsed.kind.value}, not a code; {advice}",
                    None,
                    "code",
                )
            )
            return _simple(system, code, issues, exists=False, possible=False)
        upper = code.upper()
        if not parsed.check_digit_ok:
            issues.append(
                TermIssue(
                    codes.LOINC_CHECK_DIGIT,
                    f"{shown} has a wrong check digit ({parsed.check_digit}; "
                    f"{parsed.prefix}{parsed.number} needs {parsed.expected_check_digit})"
                    + _likely_loinc(upper, parsed.corrected),
                    None,
                    "code",
                )
            )
            return _simple(system, code, issues, exists=False, possible=None)
        checked = kc.LOINC_DISPLAYS.get(upper, ())
        authored = kc.IG_AUTHORED_LOINC_DISPLAYS.get(upper)
        if checked or authored or upper in kc.KNOWN_LOINC:
            accepted = {normalize_display(d) for d in checked}
            if authored:
                accepted.add(normalize_display(authored))
            return _Facts(
                system,
                code,
                tuple(issues),
                True,
                True,
                None,
                checked,
                frozenset(accepted),
                checked[0] if checked else authored,
            )
        return _simple(
            system, code, issues, exists=None, possible=None, not_checked=_not_checked(system, code)
        )

    def _snomed_facts(self, system: str, code: str, issues: list[TermIssue]) -> _Facts:
        parsed = parse_sctid(code)
        shown = _show(system, code)
        problem = parsed.problem
        if problem is SctProblem.EXPRESSION:
            return _simple(
                system,
                code,
                issues,
                exists=None,
                possible=None,
                not_checked=TermIssue(
                    codes.CODE_NOT_CHECKED,
                    f"{shown} is a post-coordinated SNOMED CT expression; "
                    "expressions are not checked offline (use --tx)",
                    None,
                    "code",
                ),
            )
        if problem in (SctProblem.MALFORMED, SctProblem.BAD_PARTITION, SctProblem.NOT_CONCEPT):
            detail = {
                SctProblem.MALFORMED: "a SNOMED CT concept id is 6 to 18 digits with no "
                "leading zero",
                SctProblem.BAD_PARTITION: f"its partition identifier {parsed.partition!r} "
                "(the two digits before the check digit) is not defined",
                SctProblem.NOT_CONCEPT: f"its partition identifier {parsed.partition!r} "
                f"marks a {parsed.meaning} id, not a concept id",
            }[problem]
            issues.append(
                TermIssue(
                    codes.SNOMED_MALFORMED,
                    f"{shown} is not a SNOMED CT concept id: {detail}",
                    None,
                    "code",
                )
            )
            return _simple(system, code, issues, exists=False, possible=False)
        if problem is SctProblem.CHECK_DIGIT:
            likely = ""
            if parsed.corrected in kc.KNOWN_SNOMED:
                likely = (
                    f"; probably {parsed.corrected} ({kc.KNOWN_SNOMED[parsed.corrected]}) was meant"
                )
            issues.append(
                TermIssue(
                    codes.SNOMED_CHECK_DIGIT,
                    f"{shown} fails the SNOMED CT Verhoeff check digit (a digit is mistyped or "
                    f"two are swapped; with this prefix the id would end in "
                    f"{parsed.corrected[-1] if parsed.corrected else '?'}){likely}",
                    None,
                    "code",
                )
            )
            return _simple(system, code, issues, exists=False, possible=None)
        known = kc.KNOWN_SNOMED.get(code)
        if known is not None:
            return _Facts(
                system,
                code,
                tuple(issues),
                True,
                True,
                None,
                (),
                frozenset({normalize_display(known)}),
                known,
            )
        return _simple(
            system, code, issues, exists=None, possible=None, not_checked=_not_checked(system, code)
        )

    def _local_facts(
        self, cs: CodeSystemIndex, system: str, code: str, issues: list[TermIssue]
    ) -> _Facts:
        entry = cs.get(code)
        if entry is not None:
            checked = entry.displays
            return _Facts(
                system,
                code,
                tuple(issues),
                True,
                True,
                None,
                checked,
                frozenset(normalize_display(d) for d in checked),
                entry.display,
            )
        shown = _show(system, code)
        if not cs.complete:
            return _simple(
                system,
                code,
                issues,
                exists=None,
                possible=None,
                not_checked=TermIssue(
                    codes.CODE_NOT_CHECKED,
                    f"{shown} is not among the codes pcocheck has for {system} "
                    f"(its CodeSystem content is {cs.content!r}); not checked",
                    None,
                    "code",
                ),
            )
        message = f"{shown} is not defined in code system {system} ({cs.name})"
        variant = cs.get_any_case(code)
        if variant is not None:
            message += f"; did you mean {variant.code!r}? its codes are case-sensitive"
        stale = kc.STALE_CODES.get((system, code))
        if stale:
            message += f"; it is pre-STU1 content: {stale}"
        elif len(cs) <= _LIST_LIMIT:
            message += "; the code system defines " + ", ".join(repr(e.code) for e in cs)
        issues.append(TermIssue(codes.CODE_NOT_IN_SYSTEM, message, None, "code"))
        return _simple(system, code, issues, exists=False, possible=False)

    # ------------------------------------------------------------------ plumbing

    def _value_set_resource(self, url: str) -> Mapping[str, Any] | None:
        return self._registry.value_set(url)

    def _lookup(self, key: tuple[Any, ...]) -> tuple[TermIssue, ...] | None:
        try:
            return self._memo.get(key)
        except TypeError:  # an unhashable value from malformed JSON: no memo
            return None

    def _remember(self, key: tuple[Any, ...], value: tuple[TermIssue, ...]) -> None:
        if len(self._memo) < _MEMO_LIMIT:
            try:
                self._memo[key] = value
            except TypeError:
                return


# ---------------------------------------------------------------------- helpers


def _s(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _not_member_code(strength: str) -> str:
    return codes.REQUIRED_NOT_MEMBER if strength == "required" else codes.EXTENSIBLE_NOT_MEMBER


def _iso3166(code: str) -> str | None:
    return None if iso3166_plausible(code) else "expected a 2- or 3-letter or 3-digit code"


def _iso3166_2(code: str) -> str | None:
    return None if iso3166_2_plausible(code) else "expected a subdivision code like US-CA"


def _mime(code: str) -> str | None:
    return None if mime_plausible(code) else "expected a media type like text/plain"


def _bcp47(code: str) -> str | None:
    return None if bcp47_plausible(code) else "expected a language tag like en or en-US"


def _rxnorm(code: str) -> str | None:
    return None if rxnorm_plausible(code) else "an RxNorm RXCUI is a number"


_GRAMMARS = {
    kc.UCUM: ucum_problem,
    kc.BCP47: _bcp47,
    kc.BCP13: _mime,
    kc.ISO3166: _iso3166,
    kc.ISO3166_2: _iso3166_2,
    kc.RXNORM: _rxnorm,
}


def _simple(
    system: str,
    code: str,
    issues: list[TermIssue],
    *,
    exists: bool | None,
    possible: bool | None,
    not_checked: TermIssue | None = None,
) -> _Facts:
    return _Facts(system, code, tuple(issues), exists, possible, not_checked, (), frozenset(), None)


def _not_checked(system: str, code: str) -> TermIssue:
    name = kc.SYSTEM_NAMES.get(system, system)
    return TermIssue(
        codes.CODE_NOT_CHECKED,
        f"{_show(system, code)} was not checked: pcocheck ships no {name} content beyond "
        "the codes PCO uses (its syntax was checked); use --tx to check it",
        None,
        "code",
    )


def _show(system: str | None, code: str) -> str:
    return f"{system}|{code}" if system else repr(code)


def _unique(items: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        norm = normalize_display(item)
        if norm not in seen:
            seen.add(norm)
            out.append(item)
    return out


@lru_cache(maxsize=4096)
def _normalized(displays: tuple[str, ...]) -> frozenset[str]:
    return frozenset(normalize_display(d) for d in displays)


def _vs_displays(
    compiled: CompiledValueSet | None, system: str | None, code: str
) -> tuple[str, ...]:
    if compiled is None or system is None:
        return ()
    return compiled.displays.get((system, compiled.norm(system, code)), ())


def _likely_loinc(code: str, corrected: str | None) -> str:
    """Name the code probably meant, when pcocheck knows one."""
    candidates: list[str] = []
    if corrected and corrected in kc.KNOWN_LOINC:
        candidates.append(corrected)
    for known in sorted(kc.KNOWN_LOINC):
        if known not in candidates and _one_slip(code, known):
            candidates.append(known)
    if not candidates:
        return ""
    named = [f"{c} ({_loinc_name(c)})" if _loinc_name(c) else c for c in candidates[:3]]
    return "; probably " + " or ".join(named) + " was meant"


def _loinc_name(code: str) -> str | None:
    checked = kc.LOINC_DISPLAYS.get(code)
    return checked[0] if checked else kc.IG_AUTHORED_LOINC_DISPLAYS.get(code)


def _one_slip(a: str, b: str) -> bool:
    """True when b differs from a by one swapped pair of adjacent characters."""
    if len(a) != len(b) or a == b:
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and a[diff[0]] == b[diff[1]]
        and (a[diff[1]] == b[diff[0]])
    )


def _hints(compiled: CompiledValueSet | None, vs_url: str, item: _Eval) -> list[str]:
    """Why a code is not a member, when pcocheck can tell."""
    hints: list[str] = []
    system, code = item.system, item.code
    if system is None and item.index is not None:
        return [f"coding {item.index} has no system, so its code has no defined meaning"]
    if compiled is not None:
        if system is not None:
            key = (system, compiled.norm(system, code))
            allowed = compiled.versions.get(key) if compiled.versions else None
            if key in compiled.members and allowed and item.version not in allowed:
                hints.append(
                    f"the value set includes it only in version "
                    f"{', '.join(sorted(allowed))}, not {item.version}"
                )
        variant = compiled.case_variant(system, code)
        if variant is not None and variant.code != code:
            hints.append(
                f"did you mean {variant.code!r}? codes of {variant.system} are case-sensitive"
            )
        elif system is not None:
            same = compiled.by_code.get(code)
            if same is not None and same.system != system:
                hints.append(f"{code!r} is in the value set under system {same.system}")
            elif system not in compiled.systems and not compiled.any_system and (compiled.systems):
                hints.append(
                    "the value set draws its codes from " + ", ".join(sorted(compiled.systems))
                )
    if system is not None:
        real = kc.SYSTEM_ALIASES.get(system)
        if real is not None:
            hints.append(f"{system!r} is not the URI of {kc.SYSTEM_NAMES.get(real, real)}")
        stale = kc.STALE_IN_VALUE_SET.get((vs_url.split("|", 1)[0], system, code)) or (
            kc.STALE_CODES.get((system, code))
        )
        if stale:
            hints.append(f"pre-STU1 content: {stale}")
        elif system in kc.STALE_SYSTEMS:
            hints.append(f"{system} is a pre-STU1 code system: {kc.STALE_SYSTEMS[system]}")
    return hints


def _expected(compiled: CompiledValueSet | None) -> str:
    if compiled is None:
        return ""
    note = compiled.notes.get("expected")
    if note is None:
        note = compiled.notes["expected"] = _describe_expected(compiled)
    return note


def _describe_expected(compiled: CompiledValueSet) -> str:
    concepts = compiled.concepts()
    if not concepts:
        return ""
    if not compiled.enumerable or len(concepts) > _LIST_LIMIT:
        if compiled.enumerable:
            return f" (expected one of its {len(concepts)} codes)"
        return ""
    listed = ", ".join(f"{c.code} ({c.display})" if c.display else c.code for c in concepts)
    return f"; expected one of: {listed}"
