"""Does an answer give the kind of thing its question asks for?

"How much did the pilot get?" is not answered by a sentence about the pilot that names no sum,
however relevant it reads; "When was the training held?" is not answered without a date. Such
near misses are most of the unanswerable questions the answerers used to answer. `missing_kind`
names what the question asks for (an amount, a number, a percentage, a date) when the answer
holds none, and the engine then declines with the nearest sources.

The rules look only at how the question opens, so a question that does not open with one of
these forms is never affected."""

from __future__ import annotations

import re

_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    r"hundred|thousand|million|billion|half|quarter|third|dozen|none|no|single|both|all"
)
_NUMBER = re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b", re.I)
_AMOUNT = re.compile(r"£\s?\d|\d\s?(?:k|m|bn|million|billion|pounds?|pence|p)\b|\bfree\b|\bno cost\b", re.I)
_PERCENT = re.compile(rf"\d\s?%|\bper\s?cent\b|\b(?:{_NUMBER_WORDS})\b|\d", re.I)
_DATE = re.compile(
    r"\b(?:19|20)\d\d\b|\b(?:january|february|march|april|may|june|july|august|september|october|"
    r"november|december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b"
    r"|\b(?:yesterday|today|tomorrow|weekly|monthly|annually|quarterly|every)\b",
    re.I,
)
_MONEY_WORDS = re.compile(
    r"£|\b(?:money|fund(?:s|ed|ing)?|grants?|budgets?|costs?|cost(?:ed|ing)|spen[dt]|spending|overspen[dt]|"
    r"pa(?:y|id|yments?)|bonus(?:es)?|allowances?|contracts?|values?|prices?|fees?|savings?|income)\b",
    re.I,
)

# (how the question opens, what it asks for, what the answer must hold)
_RULES: list[tuple[re.Pattern[str], str, re.Pattern[str]]] = [
    (re.compile(r"^\s*(?:by\s+)?how\s+many\s+pounds\b", re.I), "an amount", _AMOUNT),
    (re.compile(r"^\s*what\s+percentage\b|^\s*what\s+proportion\b", re.I), "a percentage", _PERCENT),
    (re.compile(r"^\s*(?:by\s+)?how\s+many\b", re.I), "a number", _NUMBER),
    (
        re.compile(
            # past and present only: "when will the council...?" asks for a plan, which the
            # records may state without a date
            r"^\s*(?:when\s+(?:was|were|did|is|does|do|has|have)\b|(?:on\s+)?what\s+date\b"
            r"|in\s+(?:what|which)\s+(?:year|month)\b)",
            re.I,
        ),
        "a date",
        _DATE,
    ),
]
_HOW_MUCH = re.compile(
    r"^\s*(?:by\s+)?how\s+much\b|^\s*what\s+(?:is|was|were|are)\s+the\s+(?:value|cost|price|amount)\b", re.I
)


def asked_kind(question: str) -> tuple[str, re.Pattern[str]] | None:
    """What the question's opening asks for, and the pattern an answer must match."""
    if _HOW_MUCH.search(question):
        # money when the question speaks of money; otherwise "how much has it risen": a number
        return ("an amount", _AMOUNT) if _MONEY_WORDS.search(question) else ("a figure", _NUMBER)
    for opening, kind, pattern in _RULES:
        if opening.search(question):
            return kind, pattern
    return None


def missing_kind(question: str, answer: str) -> str | None:
    """'an amount', 'a number', 'a percentage', 'a date' or 'a figure' when the question asks
    for one and the answer (markers aside) holds none; else None."""
    asked = asked_kind(question)
    if asked is None:
        return None
    kind, pattern = asked
    text = re.sub(r"\[\d+(?:\s*,\s*\d+)*\]", " ", answer)
    return None if pattern.search(text) else kind
