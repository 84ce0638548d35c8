"""Does an answer give the kind of thing its question asks for?

"How much did the pilot get?" is not answered by a sentence about the pilot that names no sum,
however relevant it reads; "When was the training held?" is not answered without a date. Such
near misses are most of the unanswerable questions the answerers used to answer. `missing_kind`
names what the question asks for (an amount, a number, a percentage, a date) when the answer
holds none, and the engine then declines with the nearest sources.

The rules look only at how the question opens, so a question that does not open with one of
these forms is never affected. What counts as a number, an amount or a date is
rag_council.text.numbers and rag_council.text.dates."""

from __future__ import annotations

import re

from rag_council.text.dates import DATE_MENTION
from rag_council.text.numbers import AMOUNT_MENTION, MONEY_WORDS, NUMBER_MENTION, PERCENT_MENTION

# a date, or how often ("reviewed on an annual basis", "every two years")
_WHEN = re.compile(
    DATE_MENTION.pattern
    + r"|\bannual(?:ly)?\b|\b(?:each|every|per|a)\s+(?:year|month|quarter|week)\b|\bbiennial\w*",
    re.I,
)

# (how the question opens, what it asks for, what the answer must hold)
_RULES: list[tuple[re.Pattern[str], str, re.Pattern[str]]] = [
    (re.compile(r"^\s*(?:by\s+)?how\s+many\s+pounds\b", re.I), "an amount", AMOUNT_MENTION),
    (re.compile(r"^\s*what\s+percentage\b|^\s*what\s+proportion\b", re.I), "a percentage", PERCENT_MENTION),
    (re.compile(r"^\s*(?:by\s+)?how\s+many\b", re.I), "a number", NUMBER_MENTION),
    (
        re.compile(
            # past and present only: "when will the council...?" asks for a plan, which the
            # records may state without a date
            r"^\s*(?:when\s+(?:was|were|did|is|does|do|has|have)\b|(?:on\s+)?what\s+date\b"
            r"|in\s+(?:what|which)\s+(?:year|month)\b)",
            re.I,
        ),
        "a date",
        _WHEN,
    ),
]
_HOW_MUCH = re.compile(
    r"^\s*(?:by\s+)?how\s+much\b|^\s*what\s+(?:is|was|were|are)\s+the\s+(?:value|cost|price|amount)\b", re.I
)


# "What was the adoption service budget for 2017/18?", "What is the weekly allowance rate?",
# "What has the attendance rate been since August, as a percentage?": a figure named by its noun
_WHAT_THE = r"^\s*what\s+(?:is|was|were|are|has|have|had|will)\s+(?:been\s+|be\s+)?(?:the\s+)?(?:(?!(?:of|in|for|on|about|with|to|from|by|at)\b)[\w'’/-]+\s+){0,7}?"
# the figure's noun ends its phrase: "the budget for 2017/18", not "the budget position"
_END = (
    r"(?=\s+(?:for|in|of|on|at|from|to|by|paid|received|since|during|per|given|was|is|were|are|been|"
    r"when|after|before|last|this|that|now|each|every|across|between|as)\b|\s*[?,.;]|\s*$)"
)
_MONEY_NOUNS = (
    r"(?:budget|budgets|cost|costs|spend|spending|overspend|underspend|funding|grant|allowance|"
    r"allowances|fee|fees|price|value|salary|savings|income|payment|contribution|contributions|charge|charges)"
)
_WHAT_AMOUNT = re.compile(
    _WHAT_THE
    + _MONEY_NOUNS
    + _END
    # "What annual financial contribution did the council agree to pay?"
    + r"|^\s*what\s+(?:[\w'’/-]+\s+){0,3}?"
    + _MONEY_NOUNS
    + r"\s+(?:did|does|do|has|have|had|will|would|was|were|is|are)\b"
    # ... paid or received (not "what budget did the committee approve?", which asks which)
    + r"(?=.*\b(?:pay|paid|receive|received|get|got|cost|spend|spent|allocat\w*|award\w*|contribut\w*)\b)",
    re.I,
)
_WHAT_FIGURE = re.compile(
    _WHAT_THE + r"(?:(?:rate|rates|number|total|percentage|proportion|ratio|caseload|caseloads|count|"
    r"score|figure)" + _END + r"|(?:average|mean|median)\b)",
    re.I,
)
_CHANGE = re.compile(
    r"\b(?:ris(?:e|en|ing)|rose|f[ae]ll(?:en|ing)?|increas\w*|decreas\w*|gr[eo]wn?|grow\w*|reduc\w*|"
    r"dropp?\w*|chang\w*|cut|more|less|fewer|higher|lower|over|under)\b",
    re.I,
)
# "How busy is the phone line?", "How big is the caseload?": a size, which a number gives
_HOW_BUSY = re.compile(r"^\s*how\s+(?:busy|big|large|popular|well[\s-]used|widespread)\b", re.I)
_AS_PERCENTAGE = re.compile(r"\bas\s+a\s+percentage\b|\bin\s+per\s*cent\b", re.I)


def asked_kind(question: str) -> tuple[str, re.Pattern[str]] | None:
    """What the question's opening asks for, and the pattern an answer must match."""
    if _HOW_MUCH.search(question):
        # money when the question speaks of money; "how much has it risen": a number; "how much
        # consultation went into it" asks how extensive, which words answer
        if MONEY_WORDS.search(question):
            return "an amount", AMOUNT_MENTION
        return ("a figure", NUMBER_MENTION) if _CHANGE.search(question) else None
    for opening, kind, pattern in _RULES:
        if opening.search(question):
            return kind, pattern
    if _HOW_BUSY.search(question):
        return "a figure", NUMBER_MENTION
    if _AS_PERCENTAGE.search(question):
        return "a percentage", PERCENT_MENTION
    if _WHAT_AMOUNT.search(question):
        return "an amount", AMOUNT_MENTION
    if _WHAT_FIGURE.search(question):
        return "a figure", NUMBER_MENTION
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
