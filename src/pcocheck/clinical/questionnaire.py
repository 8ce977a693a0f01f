"""QuestionnaireResponse against its Questionnaire (linkIds, answer types, answer
options, repeats, required items, nesting, enableWhen), and PHQ-9 / GAD-7 scoring."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pcocheck.clinical.facts import number
from pcocheck.clinical.instruments import ANSWER_SCORES, BY_PANEL_CODE, BY_QUESTIONNAIRE, Instrument
from pcocheck.finding import Finding, JsonPath
from pcocheck.jsonutil import listed
from pcocheck.view import ResourceView

Lookup = Callable[[str], dict[str, Any] | None]

# Questionnaire item type -> the answer value[x] forms it accepts.
ANSWER_TYPES: dict[str, tuple[str, ...]] = {
    "boolean": ("valueBoolean",),
    "decimal": ("valueDecimal",),
    "integer": ("valueInteger",),
    "date": ("valueDate",),
    "dateTime": ("valueDateTime",),
    "time": ("valueTime",),
    "string": ("valueString",),
    "text": ("valueString",),
    "url": ("valueUri",),
    "choice": ("valueCoding",),
    "open-choice": ("valueCoding", "valueString"),
    "attachment": ("valueAttachment",),
    "reference": ("valueReference",),
    "quantity": ("valueQuantity",),
}
ORDINAL_URLS = (
    "http://hl7.org/fhir/StructureDefinition/ordinalValue",
    "http://hl7.org/fhir/StructureDefinition/itemWeight",
)


@dataclass(slots=True)
class Scoring:
    instrument: Instrument
    computed: float | None  # None: some scored item unanswered or unscorable
    given: float | None


def check_response(view: ResourceView, lookup: Lookup, findings: list[Finding]) -> Scoring | None:
    response = view.resource
    canonical = response.get("questionnaire")
    if not isinstance(canonical, str):
        return None
    questionnaire = lookup(canonical) or lookup(canonical.split("|", 1)[0])
    if questionnaire is None:
        findings.append(
            view.finding(
                "PCO-QR-001",
                f"Questionnaire {canonical} is not loaded, so the answers were not checked against "
                "it (load it with --profiles or --package)",
                ("questionnaire",),
            )
        )
        return None
    answers = _answers_by_link(response.get("item"))
    completed = response.get("status") in ("completed", "amended")
    _check_items(
        view,
        questionnaire.get("item"),
        response.get("item"),
        ("item",),
        answers,
        completed,
        findings,
    )
    instrument = _instrument_of(canonical, questionnaire)
    if instrument is None:
        return None
    return _score(view, instrument, questionnaire, response, findings)


def _instrument_of(canonical: str, questionnaire: dict[str, Any]) -> Instrument | None:
    found = BY_QUESTIONNAIRE.get(canonical.split("|", 1)[0])
    if found is not None:
        return found
    for coding in listed(questionnaire.get("code")):
        if isinstance(coding, dict) and coding.get("system") == "http://loinc.org":
            match = BY_PANEL_CODE.get(str(coding.get("code")))
            if match is not None:
                return match
    return None


def _answers_by_link(items: Any) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}

    def walk(nodes: Any) -> None:
        for item in nodes if isinstance(nodes, list) else []:
            if not isinstance(item, dict):
                continue
            for answer in listed(item.get("answer")):
                if isinstance(answer, dict):
                    found.setdefault(str(item.get("linkId")), []).append(answer)
                    walk(answer.get("item"))
            walk(item.get("item"))

    walk(items)
    return found


def _value(answer: dict[str, Any]) -> tuple[str | None, Any]:
    for key, value in answer.items():
        if key.startswith("value"):
            return key, value
    return None, None


def _enabled(question: dict[str, Any], answers: dict[str, list[Any]]) -> bool:
    conditions = [c for c in listed(question.get("enableWhen")) if isinstance(c, dict)]
    if not conditions:
        return True
    results = [_condition(c, answers.get(str(c.get("question")), [])) for c in conditions]
    if question.get("enableBehavior") == "any":
        return any(results)
    return all(results)


def _condition(condition: dict[str, Any], given: list[Any]) -> bool:
    operator = str(condition.get("operator"))
    _, expected = _value(
        {k.replace("answer", "value", 1): v for k, v in condition.items() if k.startswith("answer")}
    )
    if operator == "exists":
        return bool(given) == bool(expected)
    values = [_value(a)[1] for a in given]
    if not values:
        return operator == "!="
    return any(_holds(operator, value, expected) for value in values)


def _holds(operator: str, value: Any, expected: Any) -> bool:
    if isinstance(expected, dict) and isinstance(value, dict):
        same = expected.get("code") == value.get("code") and (
            expected.get("system") in (None, value.get("system"))
        )
        return same if operator == "=" else (not same if operator == "!=" else False)
    if operator == "=":
        return bool(value == expected)
    if operator == "!=":
        return bool(value != expected)
    numbers = (int, float)
    if isinstance(value, numbers) and isinstance(expected, numbers):
        pair: tuple[Any, Any] = (float(value), float(expected))
    elif isinstance(value, str) and isinstance(expected, str):
        pair = (value, expected)  # dates and times compare as ISO strings
    else:
        return False
    left, right = pair
    outcome: bool = {
        ">": left > right,
        "<": left < right,
        ">=": left >= right,
        "<=": left <= right,
    }.get(operator, False)
    return outcome


def _check_items(
    view: ResourceView,
    questions: Any,
    items: Any,
    rel: JsonPath,
    answers: dict[str, list[Any]],
    completed: bool,
    findings: list[Finding],
) -> None:
    by_link = (
        {str(q.get("linkId")): q for q in questions if isinstance(q, dict)}
        if isinstance(questions, list)
        else {}
    )
    present: set[str] = set()
    for index, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict):
            continue
        link = str(item.get("linkId"))
        here: JsonPath = (*rel, index)
        question = by_link.get(link)
        if question is None:
            findings.append(
                view.finding(
                    "PCO-QR-002",
                    f"linkId {link!r} is not an item of the Questionnaire at this level",
                    (*here, "linkId"),
                )
            )
            continue
        present.add(link)
        _check_item(view, question, item, here, answers, completed, findings)
    if not completed:
        return
    for link, question in by_link.items():
        if question.get("required") is True and link not in present and _enabled(question, answers):
            findings.append(
                view.finding(
                    "PCO-QR-007",
                    f"required item {link!r} ({_label(question)}) has no answer in a "
                    f"{view.resource.get('status')} response",
                    rel if items else rel[:-1],
                )
            )


def _check_item(
    view: ResourceView,
    question: dict[str, Any],
    item: dict[str, Any],
    here: JsonPath,
    answers: dict[str, list[Any]],
    completed: bool,
    findings: list[Finding],
) -> None:
    qtype = question.get("type")
    given = [a for a in listed(item.get("answer")) if isinstance(a, dict)]
    if qtype in ("group", "display"):
        if given:
            findings.append(
                view.finding(
                    "PCO-QR-006",
                    f"item {item.get('linkId')!r} is a {qtype} and cannot have answers",
                    (*here, "answer"),
                )
            )
        _check_items(
            view,
            question.get("item"),
            item.get("item"),
            (*here, "item"),
            answers,
            completed,
            findings,
        )
        return
    if item.get("item") and not question.get("item"):
        findings.append(
            view.finding(
                "PCO-QR-006",
                f"item {item.get('linkId')!r} has nested items but its question defines none",
                (*here, "item"),
            )
        )
    if given and not _enabled(question, answers):
        findings.append(
            view.finding(
                "PCO-QR-008",
                f"item {item.get('linkId')!r} is answered although its enableWhen conditions "
                "disable it",
                (*here, "answer"),
            )
        )
    if len(given) > 1 and question.get("repeats") is not True:
        findings.append(
            view.finding(
                "PCO-QR-005",
                f"item {item.get('linkId')!r} has {len(given)} answers but does not repeat",
                (*here, "answer", 1),
            )
        )
    allowed = ANSWER_TYPES.get(str(qtype), ())
    options = [o for o in listed(question.get("answerOption")) if isinstance(o, dict)]
    for position, answer in enumerate(given):
        key, value = _value(answer)
        at: JsonPath = (*here, "answer", position)
        if key is None:
            continue
        if allowed and key not in allowed:
            findings.append(
                view.finding(
                    "PCO-QR-003",
                    f"item {item.get('linkId')!r} is of type {qtype}; {key} is not a valid answer "
                    f"(expected {' or '.join(allowed)})",
                    (*at, key),
                )
            )
            continue
        if options and key == "valueCoding" and not _in_options(value, options):
            codes = ", ".join(
                str(o["valueCoding"].get("code"))
                for o in options
                if isinstance(o.get("valueCoding"), dict)
            )
            findings.append(
                view.finding(
                    "PCO-QR-004",
                    f"answer {_describe(value)} to item {item.get('linkId')!r} is not one of its "
                    f"answer options ({codes})",
                    (*at, key),
                )
            )
        nested = answer.get("item")
        if nested:
            _check_items(
                view, question.get("item"), nested, (*at, "item"), answers, completed, findings
            )


def _in_options(value: Any, options: list[dict[str, Any]]) -> bool:
    if not isinstance(value, dict):
        return False
    for option in options:
        wanted = option.get("valueCoding")
        if (
            isinstance(wanted, dict)
            and wanted.get("code") == value.get("code")
            and (wanted.get("system") in (None, value.get("system")))
        ):
            return True
    return False


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return f"{value.get('system', '')}|{value.get('code', '')}".lstrip("|")
    return repr(value)


def _label(question: dict[str, Any]) -> str:
    text = question.get("text") or question.get("prefix") or ""
    text = str(text)
    return text if len(text) <= 60 else text[:57] + "..."


def _weights(questionnaire: dict[str, Any]) -> dict[tuple[str, str], float]:
    """(linkId, answer code) -> score from ordinalValue/itemWeight extensions, if any."""
    found: dict[tuple[str, str], float] = {}

    def walk(items: Any) -> None:
        for question in items if isinstance(items, list) else []:
            if not isinstance(question, dict):
                continue
            for option in listed(question.get("answerOption")):
                coding = option.get("valueCoding") if isinstance(option, dict) else None
                if not isinstance(coding, dict):
                    continue
                for holder in (option, coding):
                    for ext in listed(holder.get("extension")):
                        if isinstance(ext, dict) and ext.get("url") in ORDINAL_URLS:
                            weight = number(ext.get("valueDecimal", ext.get("valueInteger")))
                            if weight is not None:
                                found[(str(question.get("linkId")), str(coding.get("code")))] = (
                                    weight
                                )
            walk(question.get("item"))

    walk(questionnaire.get("item"))
    return found


def _score(
    view: ResourceView,
    instrument: Instrument,
    questionnaire: dict[str, Any],
    response: dict[str, Any],
    findings: list[Finding],
) -> Scoring:
    weights = _weights(questionnaire)
    flat: dict[str, tuple[JsonPath, dict[str, Any]]] = {}

    def walk(items: Any, rel: JsonPath) -> None:
        for index, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict):
                flat.setdefault(str(item.get("linkId")), ((*rel, index), item))
                walk(item.get("item"), (*rel, index, "item"))

    walk(response.get("item"), ("item",))
    total_entry = flat.get(instrument.total_link_id)
    given: float | None = None
    total_rel: JsonPath = ()
    if total_entry is not None:
        answer = next(iter(listed(total_entry[1].get("answer"))), None)
        if isinstance(answer, dict):
            key, value = _value(answer)
            given = number(value.get("value") if isinstance(value, dict) else value)
            total_rel = (*total_entry[0], "answer", 0, key or "valueDecimal")
    computed: float | None = 0.0
    unanswered: list[str] = []
    for link in instrument.items:
        entry = flat.get(link)
        answer = next(iter(listed(entry[1].get("answer"))), None) if entry else None
        coding = answer.get("valueCoding") if isinstance(answer, dict) else None
        code = coding.get("code") if isinstance(coding, dict) else None
        score = weights.get((link, str(code))) if code else None
        if score is None and isinstance(code, str):
            score = ANSWER_SCORES.get(code)
        if score is None:
            unanswered.append(link)
        elif computed is not None:
            computed += score
    if unanswered:
        computed = None
    if given is not None:
        if not 0 <= given <= instrument.maximum:
            findings.append(
                view.finding(
                    "PCO-PROM-003",
                    f"{instrument.name} total {given:g} is outside the instrument's range "
                    f"0-{instrument.maximum}",
                    total_rel,
                )
            )
        elif computed is None:
            findings.append(
                view.finding(
                    "PCO-PROM-002",
                    f"{instrument.name} total {given:g} cannot be verified: scored item(s) "
                    f"{', '.join(unanswered)} have no scorable answer",
                    total_rel,
                )
            )
        elif computed != given:
            findings.append(
                view.finding(
                    "PCO-PROM-001",
                    f"{instrument.name} total is {given:g} but the item answers add up to "
                    f"{computed:g}",
                    total_rel,
                )
            )
    return Scoring(instrument, computed, given)
