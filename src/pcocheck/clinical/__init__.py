"""PCO clinical rules: what StructureDefinitions cannot say.

Goal Attainment Scaling scales and scores, PHQ-9 / GAD-7 scoring and score consistency,
PROM goal targets, QuestionnaireResponses against their Questionnaires, and pre-STU1
content. Per-resource checks run as resources stream by and keep only compact facts
(with the anchor to report at); cross-resource checks run in :meth:`PcoRules.finish`,
over every input of the run, keyed by reference.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pcocheck.clinical.facts import view_keys
from pcocheck.clinical.gas import GasScore, GoalFact, finish_gas, gas_score, goal_fact
from pcocheck.clinical.prom import (
    ItemScore,
    Panel,
    PromScore,
    check_goal_target,
    finish_prom,
    prom_observation,
)
from pcocheck.clinical.questionnaire import Scoring, check_response
from pcocheck.clinical.stale import check_stale
from pcocheck.finding import Finding
from pcocheck.view import ResourceView

QuestionnaireLookup = Callable[[str], dict[str, Any] | None]


class PcoRules:
    """A checker (see :mod:`pcocheck.runner`) for the PCO business rules."""

    def __init__(self, *, questionnaires: QuestionnaireLookup) -> None:
        self.questionnaires = questionnaires
        self.goals: dict[str, GoalFact] = {}
        self.gas_scores: list[GasScore] = []
        self.prom_scores: list[PromScore] = []
        self.panels: list[Panel] = []
        self.items: dict[str, ItemScore] = {}
        self.responses: dict[str, Scoring] = {}
        self.recorded: set[str] = set()

    def check(self, view: ResourceView) -> Iterable[Finding]:
        findings: list[Finding] = []
        rtype = view.resource_type
        keys = view_keys(view)
        # The same resource read twice (a file and a Bundle holding it) is one fact.
        repeated = bool(keys) and keys[0] in self.recorded
        self.recorded.update(keys)
        if rtype != "Bundle":  # entries are resources of their own, checked one by one
            check_stale(view, findings)
        if rtype == "Goal":
            fact = goal_fact(view, findings)
            check_goal_target(view, fact, findings)
            for key in view_keys(view):
                self.goals[key] = fact
        elif rtype == "Observation":
            score = gas_score(view, findings)
            if score is not None and not repeated:
                self.gas_scores.append(score)
            prom, panel, item = prom_observation(view, findings)
            if prom is not None and not repeated:
                self.prom_scores.append(prom)
            if panel is not None and panel.members and not repeated:
                self.panels.append(panel)
            if item is not None:
                for key in view_keys(view):
                    self.items[key] = item
        elif rtype == "QuestionnaireResponse":
            scoring = check_response(view, self.questionnaires, findings)
            if scoring is not None:
                for key in view_keys(view):
                    self.responses[key] = scoring
        return findings

    def finish(self) -> Iterable[Finding]:
        findings = finish_gas(self.goals, self.gas_scores)
        findings.extend(
            finish_prom(self.goals, self.prom_scores, self.panels, self.items, self.responses)
        )
        return findings
