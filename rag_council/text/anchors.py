"""Anchors: the specific things a question asks about (years, quarters, months, numbers and
names) that an answer or a passage must mention; and names in text.

* `question_anchors` / `anchor_present` (reranking and extractive answers);
* `names` (support checking: capitalised names of a claim, stemmed);
* `name_phrases` (evaluation key facts: runs of capitalised words, as written)."""

from __future__ import annotations

import re

from rag_council.text.dates import MONTHS
from rag_council.text.tokens import STOPWORDS, stem

# Capitalised words that name nothing specific in council questions.
_GENERIC_CAPS = STOPWORDS | {
    "i", "i'm", "i've", "cabinet", "committee", "scrutiny", "board", "strategy", "children", "young", "people",
    "service", "services", "plan", "report", "meeting", "minutes", "agenda", "councillor", "cllr", "mr", "mrs",
    "ms", "dr", "director", "member", "members", "officer", "officers", "public", "question", "questions",
    "chair", "chairman", "chairperson", "england", "uk", "local", "authority", "social", "care", "corporate",
    "parenting", "early", "help", "annual", "improvement", "panel", "team", "group", "fund", "policy",
}  # fmt: skip


def question_anchors(question: str) -> list[str]:
    """The specific things a question asks about that an answer must mention: years, quarters,
    months, numbers and names (capitalised words after the first). Lower case, possessives off."""
    anchors: dict[str, None] = {}
    for m in re.finditer(r"\b(?:19|20)\d\d\b", question):
        anchors.setdefault(m.group(0), None)
    for m in re.finditer(r"\bq(?:uarter\s*)?([1-4])\b", question, re.IGNORECASE):
        anchors.setdefault(f"q{m.group(1)}", None)
    for m in re.finditer(r"(?<![\w/.-])\d[\d,]*(?:\.\d+)?(?![\w/])", question):
        if not re.fullmatch(r"(?:19|20)\d\d", m.group(0)):
            anchors.setdefault(m.group(0).replace(",", ""), None)
    tokens = re.findall(r"[A-Za-z][A-Za-z'’-]*", question)
    for i, token in enumerate(tokens):
        word = re.sub(r"['’]s$", "", token).strip("'’-").lower()
        if re.fullmatch(r"[A-Z]{2,}s", token):
            word = word.removesuffix("s")  # KPIs ~ KPI, EHCPs ~ EHCP
        if word in MONTHS or (i > 0 and token[0].isupper() and word not in _GENERIC_CAPS and len(word) > 2):
            anchors.setdefault(word, None)
    return list(anchors)


def anchor_present(anchor: str, haystack: str) -> bool:
    """`haystack` is lower case. Quarters also match 'quarter 3'; numbers match with separators."""
    if anchor.startswith("q") and anchor[1:].isdigit():
        return re.search(rf"\b(?:q|quarter\s*){anchor[1:]}\b", haystack) is not None
    if anchor.isdigit() and len(anchor) > 3 and not re.fullmatch(r"(?:19|20)\d\d", anchor):
        pattern = r"[,\s]?".join(anchor)  # 10000 ~ 10,000
        return re.search(rf"(?<!\d){pattern}(?!\d)", haystack) is not None
    if anchor[0].isdigit():
        return re.search(rf"(?<![\d.]){re.escape(anchor)}(?![\d])", haystack) is not None
    return re.search(rf"\b{re.escape(anchor)}", haystack) is not None


# --- names -----------------------------------------------------------------------------------

_CAPITALISED = re.compile(r"\b[A-Z][A-Za-z’'&-]*[a-z][A-Za-z’'-]*\b|\b[A-Z]{2,}s?\b")
# Capitalised words that are titles, roles or sentence furniture rather than names.
NOT_NAMES = frozenset(
    [
        "the",
        "a",
        "an",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "there",
        "their",
        "in",
        "on",
        "at",
        "of",
        "for",
        "to",
        "by",
        "with",
        "from",
        "as",
        "and",
        "or",
        "but",
        "if",
        "when",
        "while",
        "after",
        "before",
        "during",
        "since",
        "until",
        "councillor",
        "cllr",
        "mr",
        "mrs",
        "ms",
        "dr",
        "professor",
        "chair",
        "chairperson",
        "chairman",
        "vice",
        "cabinet",
        "member",
        "members",
        "committee",
        "council",
        "herefordshire",
        "he",
        "she",
        "they",
        "we",
        "our",
        "his",
        "her",
        "resolved",
        "resolution",
        "agreed",
        "noted",
        "item",
        "minutes",
        "minute",
        "recommendation",
        "recommendations",
        "response",
        "question",
        "answer",
        "supplementary",
        "director",
        "officer",
        "lead",
        "service",
        "services",
        "report",
        "appendix",
    ]
)


def names(text: str) -> set[str]:
    """Stems of the capitalised words that are not at the start of a sentence and are not
    titles or roles: 'Councillor Ben Proctor' -> {'ben', 'proctor'}."""
    out: set[str] = set()
    for m in _CAPITALISED.finditer(text):
        before = text[: m.start()].rstrip()
        if not before or before[-1] in '.!?:;\n"“(•-' or re.search(r"(^|\n)\s*[-•*]?\s*$", text[: m.start()]):
            continue  # start of a sentence, line or bullet: capitalised anyway
        word = m.group(0).lower().replace("’", "'").removesuffix("'s")
        for part in word.split("-"):
            if len(part) < 2 or part in NOT_NAMES or part in STOPWORDS or part in MONTHS:
                continue
            out.add(stem(part))
    return out


# Runs of capitalised words: 'Councillor Ben Proctor', 'Hannah Currie', 'Ross-on-Wye'.
NAME_PHRASE = re.compile(
    r"\b(?:[A-Z][a-z]+(?:[-’'][A-Z]?[a-z]+)?)(?:\s+(?:[A-Z]\.?\s+)*[A-Z][a-z]+(?:[-’'][A-Z]?[a-z]+)?)+"
)
# Capitalised words that start names of roles, bodies and sentences rather than people or places.
NAME_NOISE = frozenset(
    [
        "The",
        "A",
        "An",
        "This",
        "That",
        "These",
        "Those",
        "It",
        "In",
        "On",
        "At",
        "Of",
        "For",
        "To",
        "By",
        "With",
        "From",
        "As",
        "And",
        "Or",
        "But",
        "If",
        "When",
        "While",
        "After",
        "Before",
        "During",
        "Since",
        "Until",
        "He",
        "She",
        "They",
        "We",
        "Our",
        "His",
        "Her",
        "Their",
        "There",
        "Yes",
        "No",
        "Not",
        "Apologies",
        "Councillor",
        "Council",
        "Councillors",
        "Cllr",
        "Cabinet",
        "Committee",
        "Chair",
        "Chairperson",
        "Members",
        "Member",
        "Resolved",
        "Recommendation",
        "Director",
    ]
)


def name_phrases(text: str) -> list[str]:
    """The names of `text` as written, lower case, roles, titles and months left out:
    'Councillor Ben Proctor said' -> ['ben proctor']."""
    out: list[str] = []
    for m in NAME_PHRASE.finditer(text):
        parts = [
            re.sub(r"['’]s$", "", p.rstrip("."))
            for p in m.group(0).split()
            if p.rstrip(".") not in NAME_NOISE and len(p.rstrip(".")) > 1
        ]
        parts = [p for p in parts if p.lower() not in STOPWORDS and p.lower() not in MONTHS]
        if parts:
            out.append(" ".join(parts).lower().replace("’", "'"))
    return out
