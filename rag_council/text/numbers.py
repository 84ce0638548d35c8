"""Numbers and amounts in text: the one home of number words, scales ('£1.5m') and what a
number's value is.

* `number_value`: digits and a scale word -> the normalised value ('1.5', 'm' -> '1.5e+06');
* `numbers`, `numbers_loose`, `number_contexts` (support checking: every number of a claim
  must be in the passage, bound to the same words);
* `MONEY`, `PERCENT`, `BARE_NUMBER` (evaluation key facts);
* `NUMBER_MENTION`, `AMOUNT_MENTION`, `PERCENT_MENTION`, `MONEY_WORDS` (answer kinds: does a
  question ask for, and an answer give, a number, an amount, a percentage).
"""

from __future__ import annotations

import re

from rag_council.text.tokens import terms, words

SCALE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "bn": 1e9, "billion": 1e9}
_SCALE_WORDS = "k|m|bn|million|billion|thousand"

# Number words with a value.
NUMBER_WORD_VALUES = {
    "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13",
    "fourteen": "14", "fifteen": "15", "sixteen": "16", "seventeen": "17", "eighteen": "18",
    "nineteen": "19", "twenty": "20", "thirty": "30", "forty": "40", "fifty": "50", "sixty": "60",
    "hundred": "100",
}  # fmt: skip
# Words that state a count or a share, with or without a value ('none', 'both', 'a third').
COUNT_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    r"hundred|thousand|million|billion|half|quarter|third|dozen|none|no|single|both|all"
)

# A number with its currency and scale or ordinal suffix: '£1.5m', '20,500', '3rd'.
NUMBER = re.compile(
    r"(?<![\w.])[£$]?\s?(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?!\d|,\d)\s?(k|m|bn|thousand|million|billion|st|nd|rd|th)?(?![a-z])",
    re.IGNORECASE,
)
# Key facts of an answer: an amount of money, a percentage, any other number.
MONEY = re.compile(rf"£\s?(\d[\d,]*(?:\.\d+)?)\s?({_SCALE_WORDS})?\b", re.IGNORECASE)
PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s?(?:%|per\s?cent\b)", re.IGNORECASE)
BARE_NUMBER = re.compile(r"(?<![\w.£/])(\d[\d,]*(?:\.\d+)?)(?![\w%])")
# Does a text give a number, an amount, a percentage at all.
NUMBER_MENTION = re.compile(rf"\d|\b(?:{COUNT_WORDS})\b", re.I)
AMOUNT_MENTION = re.compile(
    r"£\s?\d|\d\s?(?:k|m|bn|million|billion|pounds?|pence|p)\b|\bfree\b|\bno cost\b", re.I
)
PERCENT_MENTION = re.compile(rf"\d\s?%|\bper\s?cent\b|\b(?:{COUNT_WORDS})\b|\d", re.I)
# Words of a question that speak of money.
MONEY_WORDS = re.compile(
    r"£|\b(?:money|fund(?:s|ed|ing)?|grants?|budgets?|costs?|cost(?:ed|ing)|spen[dt]|spending|overspen[dt]|"
    r"pa(?:y|id|yments?)|bonus(?:es)?|allowances?|contracts?|values?|prices?|fees?|savings?|income)\b",
    re.I,
)


def number_value(digits: str, scale: str | None = None) -> str:
    """'20,500' -> '20500'; '1.5', 'm' -> '1.5e+06' (a scale that is no scale, such as an
    ordinal suffix, is ignored)."""
    value = float(digits.replace(",", ""))
    if scale and scale.lower() in SCALE:
        value *= SCALE[scale.lower()]
    return f"{value:.6g}" if value < 1e15 else str(value)


def numbers(text: str) -> set[str]:
    """Every number of the text, normalised: '£1.5m' -> '1.5e+06', '20,500' -> '20500',
    'twelve' -> '12'. Years and day numbers are numbers too."""
    found = {number_value(d, s) for d, s in NUMBER.findall(text)}
    for w in words(text):
        if w in NUMBER_WORD_VALUES:
            found.add(NUMBER_WORD_VALUES[w])
    return found


def numbers_loose(text: str) -> set[str]:
    """Numbers with and without their scale, so that '£1.5m' in a claim matches '£1.5 million'
    and '1.5' in a passage table column headed '£m'."""
    out = numbers(text)
    out |= {number_value(d, None) for d, _ in NUMBER.findall(text)}
    return out


def number_contexts(text: str, reach: int) -> dict[str, set[str]]:
    """Each number of the text -> the content-word stems within `reach` characters of it, so
    that '£128k grant and £477k payment' binds 128000 to 'grant', not to 'payment'."""
    out: dict[str, set[str]] = {}
    for m in NUMBER.finditer(text):
        near = terms(text[max(0, m.start() - reach) : m.start()] + " " + text[m.end() : m.end() + reach])
        out.setdefault(number_value(m.group(1), m.group(2)), set()).update(near)
    return out
