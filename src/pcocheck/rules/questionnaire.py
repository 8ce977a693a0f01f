"""A QuestionnaireResponse against its Questionnaire, the way the HL7 validator's
questionnaire mode checks it: linkIds, nesting, answer types, answer options, repeats,
required items and enableWhen."""

from __future__ import annotations

from typing import Any

from pcocheck.finding import Finding, JsonPath
from pcocheck.jsonutil import listed
from pcocheck.rules.access import as_dict, as_number, as_str
from pcocheck.rules.facts import Subject
from pcocheck.rules.forms import Form
from pcocheck.rules.scoring import walk_items

# The answer value[x] each R4 item type takes (choice/open-choice: see _allowed).
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
COMPLETE = ("completed", "amended")


def _value_key(holder: dict[str, Any], prefix: str = "value") -> str | None:
    return next((k for k in holder if k.startswith(prefix) and len(k) > len(prefix)), None)


class ResponseCheck:
    """One QuestionnaireResponse checked against one Questionnaire."""

    def __init__(self, subject: Subject, form: Form, out: list[Finding]):
        self.subject = subject
        self.out = out
        self.form = form
        self.name = form.name
        self.complete = subject.resource.get("status") in COMPLETE
        self.answers: dict[str, list[dict[str, Any]]] = {}
        for item in walk_items(subject.resource.get("item")):
            link = item.get("linkId")
            if isinstance(link, str):
                given = [a for a in listed(item.get("answer")) if isinstance(a, dict)]
                self.answers.setdefault(link, []).extend(given)

    def run(self) -> None:
        self._level(listed(self.form.resource.get("item")), self.subject.resource, ())

    def _report(self, code: str, message: str, rel: JsonPath) -> None:
        self.out.append(self.subject.finding(code, message, rel))

    # -- one level of items -------------------------------------------------------------
    def _level(self, questions: list[Any], holder: dict[str, Any], path: JsonPath) -> None:
        """Check ``holder.item`` (at ``path``) against the Questionnaire items ``questions``."""
        by_link = {
            q["linkId"]: q
            for q in questions
            if isinstance(q, dict) and isinstance(q.get("linkId"), str)
        }
        items = listed(holder.get("item"))
        seen: dict[str, list[int]] = {}
        for index, item in enumerate(items):
            if not isinstance(item, dict) or not isinstance(item.get("linkId"), str):
                continue
            link = item["linkId"]
            rel = (*path, "item", index)
            question = by_link.get(link)
            if question is None:
                elsewhere = " (it is defined at another level)" if link in self.form.links else ""
                where = "at the top level" if not path else "under this item"
                self._report(
                    "PCO-QR-002",
                    f"linkId {link!r} is not an item {where} of {self.name}{elsewhere}",
                    (*rel, "linkId"),
                )
                continue
            seen.setdefault(link, []).append(index)
            self._item(question, item, rel)
        for link, indexes in seen.items():
            if len(indexes) > 1 and by_link[link].get("repeats") is not True:
                self._report(
                    "PCO-QR-005",
                    f"item {link!r} appears {len(indexes)} times but does not repeat in "
                    f"{self.name}",
                    (*path, "item", indexes[1]),
                )
        if self.complete:
            self._required(by_link, items, path)

    def _required(self, by_link: dict[str, Any], items: list[Any], path: JsonPath) -> None:
        present = {
            item["linkId"]
            for item in items
            if isinstance(item, dict) and isinstance(item.get("linkId"), str) and _has_content(item)
        }
        where = (*path, "item") if items else path
        for link, question in by_link.items():
            if question.get("required") is not True or question.get("type") == "display":
                continue
            if link in present or not self._enabled(question):
                continue
            text = as_str(question.get("text"))
            about = f" ({_short(text)})" if text else ""
            self._report(
                "PCO-QR-007",
                f"required item {link!r}{about} has no answer in this "
                f"{self.subject.resource.get('status')} response",
                where,
            )

    # -- one item ---------------------------------------------------------------------
    def _item(self, question: dict[str, Any], item: dict[str, Any], rel: JsonPath) -> None:
        link = item["linkId"]
        kind = question.get("type")
        answers = listed(item.get("answer"))
        children = listed(question.get("item"))
        if kind in ("group", "display"):
            if answers:
                self._report(
                    "PCO-QR-006",
                    f"{kind} item {link!r} has answers; only questions are answered",
                    (*rel, "answer"),
                )
            if kind == "group":
                self._level(children, item, rel)
            elif listed(item.get("item")):
                self._report(
                    "PCO-QR-006", f"display item {link!r} has nested items", (*rel, "item")
                )
            return
        if answers and not self._enabled(question):
            self._report(
                "PCO-QR-008",
                f"item {link!r} is answered although its enableWhen "
                f"({self._describe(question)}) leaves it disabled",
                (*rel, "answer"),
            )
        if len(answers) > 1 and question.get("repeats") is not True:
            self._report(
                "PCO-QR-005",
                f"item {link!r} has {len(answers)} answers but does not repeat",
                (*rel, "answer", 1),
            )
        allowed = _allowed(question)
        for a_index, answer in enumerate(answers):
            if not isinstance(answer, dict):
                continue
            a_rel = (*rel, "answer", a_index)
            key = _value_key(answer)
            if key is not None and allowed and key not in allowed:
                self._report(
                    "PCO-QR-003",
                    f"the answer to {link!r} ({kind}) is {key}; expected {' or '.join(allowed)}",
                    (*a_rel, key),
                )
            elif key is not None and kind == "choice":
                self._option(question, link, answer, key, (*a_rel, key))
            if listed(answer.get("item")):
                if children:
                    self._level(children, answer, a_rel)
                else:
                    self._report(
                        "PCO-QR-006",
                        f"an answer to {link!r} has nested items, but the question has none",
                        (*a_rel, "item"),
                    )
        if listed(item.get("item")):
            if children:  # tolerated: children beside the answers instead of under them
                self._level(children, item, rel)
            else:
                self._report(
                    "PCO-QR-006",
                    f"question {link!r} has nested items, but the Questionnaire defines none "
                    "under it",
                    (*rel, "item"),
                )

    def _option(
        self, question: dict[str, Any], link: str, answer: dict[str, Any], key: str, rel: JsonPath
    ) -> None:
        options = [as_dict(o) for o in listed(question.get("answerOption"))]
        if not options:
            return  # answerValueSet (or nothing): not checked offline
        given = answer[key]
        if any(_same(given, option.get(key), key) for option in options if key in option):
            return
        shown = _show(given, key)
        listing = ", ".join(
            _show(option.get(k), k) for option in options if (k := _value_key(option)) is not None
        )
        self._report(
            "PCO-QR-004",
            f"answer {shown} to {link!r} is not one of its answer options ({listing})",
            rel,
        )

    # -- enableWhen ----------------------------------------------------------------------
    def _enabled(self, question: dict[str, Any]) -> bool:
        conditions = [as_dict(c) for c in listed(question.get("enableWhen"))]
        if not conditions:
            return True
        results = [self._condition(c) for c in conditions]
        if question.get("enableBehavior") == "any":
            return any(results)
        return all(results)

    def _condition(self, condition: dict[str, Any]) -> bool:
        answers = self.answers.get(str(condition.get("question")), [])
        operator = condition.get("operator")
        key = _value_key(condition, "answer")
        if key is None:
            return False
        expected = condition[key]
        if operator == "exists":
            return bool(answers) == (expected is True)
        value_key = "value" + key[len("answer") :]
        values = [a[value_key] for a in answers if value_key in a]
        if operator == "=":
            return any(_same(v, expected, value_key) for v in values)
        if operator == "!=":
            return any(not _same(v, expected, value_key) for v in values)
        if operator in ("<", "<=", ">", ">="):
            return any(_ordered(v, expected, operator, value_key) for v in values)
        return False

    def _describe(self, question: dict[str, Any]) -> str:
        parts = []
        for condition in listed(question.get("enableWhen")):
            condition = as_dict(condition)
            key = _value_key(condition, "answer")
            shown = _show(condition.get(key), key) if key else "?"
            parts.append(f"{condition.get('question')} {condition.get('operator')} {shown}")
        joiner = " or " if question.get("enableBehavior") == "any" else " and "
        return joiner.join(parts)


def check_response(subject: Subject, form: Form, out: list[Finding]) -> None:
    ResponseCheck(subject, form, out).run()


def _has_content(item: dict[str, Any]) -> bool:
    return bool(listed(item.get("answer")) or listed(item.get("item")))


def _allowed(question: dict[str, Any]) -> tuple[str, ...]:
    kind = question.get("type")
    if kind in ("choice", "open-choice"):
        option_keys = {
            k for o in listed(question.get("answerOption")) if (k := _value_key(as_dict(o)))
        }
        if option_keys:
            extra = {"valueString"} if kind == "open-choice" else set()
            return tuple(sorted(option_keys | extra))
    return ANSWER_TYPES.get(kind, ()) if isinstance(kind, str) else ()


def _same(given: Any, expected: Any, key: str) -> bool:
    if key.endswith("Coding"):
        a, b = as_dict(given), as_dict(expected)
        if a.get("code") != b.get("code") or a.get("code") is None:
            return False
        return (
            a.get("system") is None or b.get("system") is None or a.get("system") == b.get("system")
        )
    if key.endswith("Quantity"):
        return as_number(as_dict(given).get("value")) == as_number(as_dict(expected).get("value"))
    if key.endswith("Reference"):
        return as_dict(given).get("reference") == as_dict(expected).get("reference")
    return bool(given == expected)


def _ordered(given: Any, expected: Any, operator: str, key: str) -> bool:
    if key.endswith("Quantity"):
        given, expected = as_dict(given).get("value"), as_dict(expected).get("value")
    a, b = as_number(given), as_number(expected)
    left: Any
    right: Any
    if a is not None and b is not None:
        left, right = a, b
    elif isinstance(given, str) and isinstance(expected, str):
        left, right = given, expected  # dates and times in ISO form order as text
    else:
        return False
    return bool(
        {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[operator]
    )


def _show(value: Any, key: str | None) -> str:
    if key is not None and key.endswith("Coding"):
        coding = as_dict(value)
        return str(coding.get("code"))
    return repr(value) if isinstance(value, str) else str(value)


def _short(text: str, limit: int = 50) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
