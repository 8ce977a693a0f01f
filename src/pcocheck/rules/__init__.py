"""PCO clinical rules: what StructureDefinitions cannot say.

Goal Attainment Scaling scales and scores, PHQ-9 / GAD-7 scoring and score consistency,
PROM goal targets, QuestionnaireResponses against their Questionnaires, and pre-STU1
content. :meth:`PcoRules.check` runs per resource as the input streams by and keeps
compact facts (:mod:`pcocheck.rules.facts`); :meth:`PcoRules.finish` runs the
cross-resource checks over every input of the run, following references through the run's
one resolver (:mod:`pcocheck.resolution`, :mod:`pcocheck.rules.references`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from pcocheck.finding import Finding
from pcocheck.jsonutil import listed
from pcocheck.resolution import Resolver, ResourceKey
from pcocheck.rules import parts as _parts
from pcocheck.rules.access import as_str, canonical_base
from pcocheck.rules.facts import Link, Subject, forget_shared
from pcocheck.rules.forms import Form, prepare
from pcocheck.rules.gas import gas_score
from pcocheck.rules.goals import goal_fact
from pcocheck.rules.prom import prom_observation
from pcocheck.rules.questionnaire import check_response
from pcocheck.rules.references import Scope, Target
from pcocheck.rules.responses import response_total
from pcocheck.rules.stale import check_stale, may_be_stale
from pcocheck.rules.store import FactLog, fact_logs
from pcocheck.view import ResourceView

QuestionnaireLookup = Callable[[str], dict[str, Any] | None]
LOCAL_QUESTIONNAIRES_KEPT = 1000  # Questionnaires read from the input itself, at most
FORMS_KEPT = 1000  # prepared Questionnaires (and misses) remembered, at most


class PcoRules:
    """The PCO business rules, as a checker of the run (``check`` per resource, then
    ``finish`` once after all inputs)."""

    def __init__(
        self, *, questionnaires: QuestionnaireLookup, resolver: Resolver | None = None
    ) -> None:
        self._lookup = questionnaires
        self.resolver = resolver if resolver is not None else Resolver()
        forget_shared()  # what an earlier run's facts shared
        self._local: dict[str, dict[str, Any]] = {}
        self._forms: dict[str, Form | None] = {}
        self._text_checked: tuple[object, bool] = (None, True)
        # A text judged ahead (see judge_text) and its verdict; lifetime: until finish.
        self._judged: tuple[str | None, bool] = (None, True)
        # How the cross-resource phase may spread its tasks (set by a parallel run for its
        # finish, see pcocheck.runner.Run.finish); None: here, one after the other.
        self.fan_out: _parts.Mapper | None = None
        # Facts for the cross-resource checks (goals, items and responses keyed by where
        # each resource was read: file, NDJSON line, entry, contained id), compact
        # (see pcocheck.rules.store); lifetime: the run.
        self._new_logs()

    def _new_logs(self) -> None:
        logs = fact_logs()
        self.goals = logs["goals"]
        self.gas_scores = logs["gas_scores"]
        self.prom_scores = logs["prom_scores"]
        self.panels = logs["panels"]
        self.items = logs["items"]
        self.responses = logs["responses"]

    # -- per resource --------------------------------------------------------------------
    # The only resource type prescan() looks at (a parallel first pass shows it no other).
    prescan_types = frozenset({"Questionnaire"})

    def prescan(self, view: ResourceView) -> None:
        """The runner's first pass: Questionnaires read from the input are known before any
        QuestionnaireResponse is checked, whatever the order of the inputs."""
        if view.resource_type == "Questionnaire":
            self._remember(view.resource)

    def check(self, view: ResourceView) -> Iterator[Finding]:
        self.resolver.add_checked(view)  # unless a runner indexes every resource
        rtype = view.resource_type
        if not rtype or rtype == "Bundle":  # a Bundle's entries come as views of their own
            return iter(())
        out: list[Finding] = []
        resolver = self.resolver
        anchor = view.anchor
        base_path = anchor.base_path
        referable = bool(view.id or view.full_url)
        if view.bundle is None and not base_path:
            # A whole document (an NDJSON record, a one-resource file): its key needs no
            # walk, and no reference in it resolves in a Bundle (the context is built only
            # for ``#id`` references and contained resources).
            source = anchor.source
            line = source.first_line if source is not None and source.record else None
            key: ResourceKey = (sys.intern(anchor.file or ""), line, None, None)
            scope = Scope(lambda: resolver.context(view), key, referable, bundled=False)
        else:
            context = resolver.context(view)
            key = context.document.key_of(base_path)
            scope = Scope(lambda: context, key, referable)
        subject = Subject(view, view.resource, (), scope)
        check_stale(subject, out, codes=self._may_be_stale(view))
        self._dispatch(subject, out)
        contained_list = view.resource.get("contained")
        if contained_list:
            for index, inner in enumerate(listed(contained_list)):
                if not isinstance(inner, dict) or not isinstance(inner.get("id"), str):
                    continue
                document = scope.context.document
                inner_key = document.key_of((*base_path, "contained", index))
                contained = Subject(view, inner, ("contained", index), scope.contained(inner_key))
                check_stale(contained, out, codes=False)
                self._dispatch(contained, out)
        return iter(out)

    def _may_be_stale(self, view: ResourceView) -> bool:
        """Whether the Coding walk can find anything, judged from the JSON text: an NDJSON
        record's or a single-resource file's own text, a Bundle file's once for all its
        entries."""
        source = view.anchor.source
        if source is None or not source.text:
            return True
        if source is not self._text_checked[0]:
            text = source.text
            judged, verdict = self._judged
            if judged is not text:
                verdict = may_be_stale(text)
            self._text_checked = (source, verdict)
        return self._text_checked[1]

    def judge_text(self, text: str) -> None:
        """Judge ahead the text of a document about to be checked (:func:`may_be_stale`
        for its resources, see :meth:`_may_be_stale`): a parallel run's one large Bundle
        is judged once, in the parent while helpers scan pieces of it (see
        :class:`pcocheck.parallel.scan.ForkedPieces`), not by every process of its checks
        (a 9 MB Bundle: about 60 ms of CPU each); they are forked later and inherit the verdict."""
        self._judged = (text, may_be_stale(text))

    def _dispatch(self, subject: Subject, out: list[Finding]) -> None:
        rtype = subject.resource_type
        key = subject.scope.key
        if rtype == "Goal":
            self.goals[key] = goal_fact(subject, out)
        elif rtype == "Observation":
            gas = gas_score(subject, out)
            found = prom_observation(subject, out)
            if gas is not None:
                self.gas_scores.append(gas)
            if found.score is not None:
                self.prom_scores.append(found.score)
            if found.panel is not None:
                self.panels.append(found.panel)
            if found.item is not None:
                self.items[key] = found.item
        elif rtype == "QuestionnaireResponse":
            self._response(subject, out)
        elif rtype == "Questionnaire":
            self._remember(subject.resource)

    def _response(self, subject: Subject, out: list[Finding]) -> None:
        canonical = as_str(subject.resource.get("questionnaire"))
        if canonical is None or not canonical.strip():
            return
        canonical = canonical.strip()
        form = self._form(canonical)
        if form is None:
            out.append(
                subject.finding(
                    "PCO-QR-001",
                    f"Questionnaire {canonical} is not loaded, so the answers were not checked "
                    "against it (load it with --profiles DIR or --package)",
                    ("questionnaire",),
                )
            )
        else:
            check_response(subject, form, out)
        total = response_total(subject, canonical, form, out)
        if total is not None:
            self.responses[subject.scope.key] = total

    def _form(self, canonical: str) -> Form | None:
        """The Questionnaire ``canonical`` names (exact, then without ``|version``),
        prepared once per canonical."""
        if canonical in self._forms:
            return self._forms[canonical]
        form = None
        for key in dict.fromkeys((canonical, canonical_base(canonical))):
            found = self._lookup(key)
            if found is None:
                found = self._local.get(key)
            if isinstance(found, dict):
                form = prepare(found)
                break
        if len(self._forms) < FORMS_KEPT:
            self._forms[canonical] = form
        return form

    def _remember(self, questionnaire: dict[str, Any]) -> None:
        url = as_str(questionnaire.get("url"))
        if url is None or len(self._local) >= LOCAL_QUESTIONNAIRES_KEPT:
            return
        self._local.setdefault(url, questionnaire)
        for canonical in [c for c, form in self._forms.items() if form is None]:
            del self._forms[canonical]  # a miss may now be found
        version = as_str(questionnaire.get("version"))
        if version is not None:
            self._local.setdefault(f"{url}|{version}", questionnaire)

    # -- parallel runs (pcocheck.parallel) ----------------------------------------------
    def export_prescan(self) -> dict[str, dict[str, Any]]:
        """What the first pass learnt (the input's Questionnaires), for workers that did
        not see it."""
        return dict(self._local)

    def merge_prescan(self, questionnaires: dict[str, dict[str, Any]]) -> None:
        for url, questionnaire in questionnaires.items():
            self._local.setdefault(url, questionnaire)
        self._forms.clear()  # a miss may now be found

    def export_state(self) -> RulesState:
        """Hand over (and forget) the facts gathered for :meth:`finish`."""
        state = RulesState(
            self.goals, self.gas_scores, self.prom_scores, self.panels, self.items, self.responses
        )
        self._new_logs()
        return state

    def merge_state(self, state: RulesState) -> None:
        """Add another process's facts, as if its resources had been checked here next."""
        self.goals.update(state.goals)
        self.gas_scores.extend(state.gas_scores)
        self.prom_scores.extend(state.prom_scores)
        self.panels.extend(state.panels)
        self.items.update(state.items)
        self.responses.update(state.responses)

    # -- after all inputs ---------------------------------------------------------------
    def finish(self) -> Iterator[Finding]:
        """The cross-resource findings of the run. Its tasks run through :attr:`fan_out`
        when a parallel run set one (in processes forked from this one, see
        :mod:`pcocheck.rules.parts`), else here; the findings are the same either way."""
        lookups = _parts.Lookups(self.resolver)

        def settled(link: Link) -> Target:
            target = link.target
            if not isinstance(target, str) and target.pending is None:
                return target  # settled where it was written
            return lookups.settle(target, *link.place.referrer)

        out = _parts.finish_facts(self, settled, self.fan_out)
        self._judged = (None, True)  # the text judged ahead is let go with the run
        forget_shared()  # the facts stay valid; only the sharing tables go
        return iter(out)


@dataclass(slots=True)
class RulesState:
    """The facts :meth:`PcoRules.finish` reads (see :meth:`PcoRules.export_state`)."""

    goals: FactLog  # (key, GoalFact)
    gas_scores: FactLog  # GasScore
    prom_scores: FactLog  # PromScore
    panels: FactLog  # Panel
    items: FactLog  # (key, ItemValue)
    responses: FactLog  # (key, ResponseTotal)


__all__ = ["PcoRules", "QuestionnaireLookup", "RulesState"]
