"""Code syntax for the large external code systems pcocheck cannot ship.

Everything here is pure computation on the code string: no definitions, no I/O.

LOINC
    Codes are ``NNNNN-N``: a number and a mod-10 check digit (the Luhn scheme: from the
    right, every other digit starting with the last one is doubled and its digits
    summed; the check digit brings the total to a multiple of ten). Answer codes
    ``LAnnnnn-n``, part codes ``LPnnnnn-n``, answer-list ids ``LLnnnn-n`` and group ids
    ``LGnnnn-n`` use the same shape with a prefix. For answer codes the prefix adds a
    fixed amount to the sum that depends only on whether the number has an even or odd
    count of digits (5 and 8); this reproduces every published LA code pcocheck knows
    (LA33-6 "Yes", LA6568-5, LA34479-8, LA21254-0 ...). Part, answer-list and group ids
    are recognised but their check digits are not verified.

SNOMED CT
    An SCTID is 6 to 18 digits without a leading zero. The last digit is a Verhoeff check
    digit; the two digits before it are the partition identifier, whose second digit says
    what the id names (0 concept, 1 description, 2 relationship) and whose first digit
    says short (0) or long, namespaced (1) format. Only concept ids are codes.

UCUM
    A grammar, not a list: any syntactically plausible expression is accepted. Only
    definite mistakes are reported (whitespace, non-ASCII, unbalanced brackets, dangling
    operators, and a few unit spellings that are common but not UCUM).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Final

# --------------------------------------------------------------------------- LOINC

_LOINC = re.compile(r"(LA|LP|LL|LG)?(\d{1,8})-(\d)\Z", re.IGNORECASE)
_LOINC_NO_CHECK = re.compile(r"(LA|LP|LL|LG)?(\d{1,8})\Z", re.IGNORECASE)


class LoincKind(Enum):
    CODE = "LOINC code"
    ANSWER = "LOINC answer code"
    PART = "LOINC part code"
    ANSWER_LIST = "LOINC answer-list id"
    GROUP = "LOINC group id"


_PREFIX_KIND: Final = {
    "": LoincKind.CODE,
    "LA": LoincKind.ANSWER,
    "LP": LoincKind.PART,
    "LL": LoincKind.ANSWER_LIST,
    "LG": LoincKind.GROUP,
}

# Fixed addition to the Luhn sum contributed by a letter prefix, by the parity of the
# digit count (even, odd). None = not verified for this prefix.
_PREFIX_OFFSET: Final[dict[str, tuple[int, int] | None]] = {
    "": (0, 0),
    "LA": (5, 8),
    "LP": None,
    "LL": None,
    "LG": None,
}


@dataclass(frozen=True, slots=True)
class LoincSyntax:
    """The parsed shape of a LOINC identifier."""

    kind: LoincKind
    prefix: str
    number: str
    check_digit: int
    expected_check_digit: int | None  # None when not verifiable for this kind

    @property
    def check_digit_ok(self) -> bool:
        return self.expected_check_digit is None or self.check_digit == self.expected_check_digit

    @property
    def corrected(self) -> str | None:
        """The same identifier with the check digit that fits its number."""
        if self.expected_check_digit is None:
            return None
        return f"{self.prefix}{self.number}-{self.expected_check_digit}"


_DOUBLED: Final = {str(d): (2 * d) % 9 if d != 9 else 9 for d in range(10)}
_PLAIN: Final = {str(d): d for d in range(10)}


def luhn_sum(digits: str) -> int:
    """Sum of the Luhn scheme: from the right, every other digit (the last one first) is
    doubled, subtracting 9 when that gives two digits."""
    backwards = digits[::-1]
    return sum(map(_DOUBLED.__getitem__, backwards[0::2])) + sum(
        map(_PLAIN.__getitem__, backwards[1::2])
    )


def loinc_check_digit(digits: str, prefix: str = "") -> int | None:
    """The mod-10 check digit for a LOINC number, or None when the prefix is unverified."""
    offsets = _PREFIX_OFFSET.get(prefix.upper())
    if offsets is None:
        return None
    offset = offsets[len(digits) % 2]
    return (10 - (luhn_sum(digits) + offset) % 10) % 10


def parse_loinc(code: str) -> LoincSyntax | None:
    """Parse ``code``; None when it is not shaped like any LOINC identifier."""
    match = _LOINC.match(code)
    if match is None:
        return None
    prefix = (match.group(1) or "").upper()
    number = match.group(2)
    return LoincSyntax(
        kind=_PREFIX_KIND[prefix],
        prefix=prefix,
        number=number,
        check_digit=int(match.group(3)),
        expected_check_digit=loinc_check_digit(number, prefix),
    )


def loinc_missing_check_digit(code: str) -> str | None:
    """For ``44261`` or ``LA6568`` (no check digit): the complete code, when computable."""
    match = _LOINC_NO_CHECK.match(code)
    if match is None:
        return None
    prefix = (match.group(1) or "").upper()
    digit = loinc_check_digit(match.group(2), prefix)
    return None if digit is None else f"{prefix}{match.group(2)}-{digit}"


# --------------------------------------------------------------------------- SNOMED CT

_VERHOEFF_D: Final = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_VERHOEFF_P: Final = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
_VERHOEFF_INV: Final = (0, 4, 3, 2, 1, 5, 6, 7, 8, 9)


def verhoeff_valid(digits: str) -> bool:
    """True when the last digit of ``digits`` is its Verhoeff check digit."""
    check = 0
    for position, char in enumerate(reversed(digits)):
        check = _VERHOEFF_D[check][_VERHOEFF_P[position % 8][ord(char) - 48]]
    return check == 0


def verhoeff_digit(digits: str) -> int:
    """The Verhoeff check digit to append to ``digits``."""
    check = 0
    for position, char in enumerate(reversed(digits)):
        check = _VERHOEFF_D[check][_VERHOEFF_P[(position + 1) % 8][ord(char) - 48]]
    return _VERHOEFF_INV[check]


class SctProblem(Enum):
    OK = "ok"
    EXPRESSION = "a post-coordinated expression"
    MALFORMED = "not an SCTID (6 to 18 digits, no leading zero)"
    BAD_PARTITION = "an unknown partition identifier"
    NOT_CONCEPT = "not a concept id"
    CHECK_DIGIT = "a wrong Verhoeff check digit"


_SCT_ID = re.compile(r"[1-9]\d{5,17}\Z")
_SCT_EXPRESSION = re.compile(r"[\d\s|:{}=,+().A-Za-z'\-\[\]<>*^#\"]+\Z")
_PARTITION_MEANING: Final = {
    "00": "concept",
    "01": "description",
    "02": "relationship",
    "10": "concept",
    "11": "description",
    "12": "relationship",
}


@dataclass(frozen=True, slots=True)
class SctSyntax:
    problem: SctProblem
    partition: str | None = None
    meaning: str | None = None  # concept | description | relationship
    corrected: str | None = None  # id with the check digit that fits (CHECK_DIGIT only)


def parse_sctid(code: str) -> SctSyntax:
    """Classify a SNOMED CT code: a valid concept id, an expression, or what is wrong."""
    if not _SCT_ID.match(code):
        if any(c in code for c in ":=+{|") and _SCT_EXPRESSION.match(code):
            return SctSyntax(SctProblem.EXPRESSION)
        return SctSyntax(SctProblem.MALFORMED)
    partition = code[-3:-1]
    meaning = _PARTITION_MEANING.get(partition)
    if meaning is None:
        return SctSyntax(SctProblem.BAD_PARTITION, partition)
    if meaning != "concept":
        return SctSyntax(SctProblem.NOT_CONCEPT, partition, meaning)
    if not verhoeff_valid(code):
        fixed = code[:-1] + str(verhoeff_digit(code[:-1]))
        return SctSyntax(SctProblem.CHECK_DIGIT, partition, meaning, fixed)
    return SctSyntax(SctProblem.OK, partition, meaning)


# --------------------------------------------------------------------------- UCUM

# Spellings seen in practice that are not UCUM, with the UCUM code meant.
UCUM_MISSPELLINGS: Final = {
    "score": "1 (or the annotation {score})",
    "mmHg": "mm[Hg]",
    "lb": "[lb_av]",
    "lbs": "[lb_av]",
    "bpm": "/min",
    "hr": "h",
    "hrs": "h",
    "sec": "s",
    "secs": "s",
    "yr": "a",
    "yrs": "a",
    "years": "a",
    "mins": "min",
}

_BRACKETS: Final = {")": "(", "]": "[", "}": "{"}


def ucum_problem(code: str) -> str | None:
    """What makes ``code`` certainly not UCUM, or None when it is plausible."""
    if not code:
        return "it is empty"
    if code in UCUM_MISSPELLINGS:
        return f"'{code}' is not a UCUM unit; use {UCUM_MISSPELLINGS[code]}"
    stack: list[str] = []
    previous = ""
    for char in code:
        in_annotation = bool(stack) and stack[-1] == "{"
        if not char.isascii() or (not char.isprintable()):
            return f"it contains the character {char!r} (UCUM is printable ASCII)"
        if char.isspace() and not in_annotation:
            return "it contains whitespace"
        if in_annotation:
            if char == "{":
                return "annotations ({...}) cannot nest"
            if char == "}":
                stack.pop()
            previous = char
            continue
        if char in "([{":
            stack.append(char)
        elif char in ")]}":
            if not stack or stack[-1] != _BRACKETS[char]:
                return f"the bracket {char!r} is not balanced"
            stack.pop()
        elif char in "./" and previous in (".", "/"):
            return "two operators follow each other"
        previous = char
    if stack:
        return f"the bracket {stack[-1]!r} is not closed"
    if code[-1] in "./":
        return "it ends with an operator"
    if code[0] == ".":
        return "it starts with '.'"
    return None


# --------------------------------------------------------------------------- others

_BCP47 = re.compile(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*\Z")
_ISO3166 = re.compile(r"([A-Za-z]{2,3}|\d{3})\Z")
_ISO3166_2 = re.compile(r"[A-Za-z]{2}-[A-Za-z0-9]{1,3}\Z")
_RXNORM = re.compile(r"[1-9]\d{0,8}\Z")


_MIME = re.compile(r"[A-Za-z0-9][\w.+!#$&^-]*/[A-Za-z0-9][\w.+!#$&^-]*(\s*;.*)?\Z")


def mime_plausible(code: str) -> bool:
    """A BCP-13 media type: ``type/subtype`` with optional parameters."""
    return _MIME.match(code) is not None


def bcp47_plausible(code: str) -> bool:
    return _BCP47.match(code) is not None


def iso3166_plausible(code: str) -> bool:
    return _ISO3166.match(code) is not None


def iso3166_2_plausible(code: str) -> bool:
    return _ISO3166_2.match(code) is not None


def rxnorm_plausible(code: str) -> bool:
    return _RXNORM.match(code) is not None
