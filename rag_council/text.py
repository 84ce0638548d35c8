"""Small text helpers shared by answering, citing and evaluating: sentence units with offsets,
content words, whitespace-insensitive span search."""

from __future__ import annotations

import re

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "also",
        "may",
        "might",
        "must",
        "shall",
        "us",
        "within",
        "upon",
        "per",
        "via",
        "etc",
        "tell",
        "say",
        "said",
        "says",
        "know",
        "please",
        "give",
        "given",
        "get",
        "got",
        "council",
        "councils",
        "herefordshire",
    ]
)

_WORD = re.compile(r"[A-Za-z0-9£$%][A-Za-z0-9£$%'’.,-]*[A-Za-z0-9%]|[A-Za-z0-9£%]")


def words(text: str) -> list[str]:
    return [w.lower().replace("’", "'").rstrip(".,") for w in _WORD.findall(text)]


def stem(word: str) -> str:
    """A light suffix stripper: enough to match 'adopted'/'adoption'/'adopters' loosely."""
    word = word.lower().removesuffix("'s")
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ied", "ers", "er", "ed", "es", "s", "ly"):
        if len(word) - len(suffix) >= 4 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> list[str]:
    """The stemmed content words of `text` in order, repeats kept (stopwords and words of
    one or two letters, numbers aside, left out)."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and (len(w) > 2 or w.isdigit())]


def content_terms(text: str) -> list[str]:
    """The distinct stemmed content words of `text`, in order of first use."""
    return list(dict.fromkeys(content_words(text)))


# A sentence ends at . ! ? followed by space and an upper-case letter, digit, quote or bracket.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]?\s+(?=[A-Z0-9\"“‘(•\-])")


def sentence_spans(text: str, min_chars: int = 25) -> list[tuple[int, int]]:
    """Sentence-like units of `text` as (start, end) offsets: split at line breaks and sentence
    ends. A heading (a short unit such as 'Resolved:', or a line in capitals) is joined to the
    unit after it; a heading with nothing after it stays a unit of its own, so that it never
    glues itself to the end of the sentence before it."""
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text):
        start = line.start()
        pieces = [m.end() for m in _SENTENCE_END.finditer(line.group(0))]
        for cut in [*pieces, len(line.group(0))]:
            a, b = start, line.start() + cut
            seg = text[a:b]
            lead = len(seg) - len(seg.lstrip())
            trail = len(seg) - len(seg.rstrip())
            if b - trail > a + lead:
                spans.append((a + lead, b - trail))
            start = b
    merged: list[tuple[int, int]] = []
    carry: tuple[int, int] | None = None
    for a, b in spans:
        if carry is not None:
            a = carry[0]
            carry = None
        unit = text[a:b]
        if not re.search(r"[.!?]$", unit) and (b - a < min_chars or _is_caps_heading(unit)):
            carry = (a, b)
            continue
        merged.append((a, b))
    if carry is not None:
        merged.append(carry)
    return merged


def _is_caps_heading(unit: str) -> bool:
    letters = [c for c in unit if c.isalpha()]
    return len(letters) >= 4 and all(c.isupper() for c in letters) and "\n" not in unit


def squash(text: str) -> str:
    return " ".join(text.split())


def find_span(haystack: str, needle: str) -> tuple[int, int] | None:
    """Where `needle` occurs in `haystack`, exactly or ignoring differences of whitespace."""
    needle = needle.strip()
    if not needle:
        return None
    at = haystack.find(needle)
    if at >= 0:
        return at, at + len(needle)
    parts = needle.split()
    pattern = r"\s+".join(re.escape(p) for p in parts)
    match = re.search(pattern, haystack)
    return (match.start(), match.end()) if match else None


MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december")  # fmt: skip
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
