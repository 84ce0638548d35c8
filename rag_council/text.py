"""Small text helpers shared by answering, citing and evaluating: sentence units with offsets,
content words, whitespace-insensitive span search."""

from __future__ import annotations

import re

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have having
    he her here hers herself him himself his how i if in into is it its itself just me more most my myself no
    nor not of off on once only or other our ours ourselves out over own same she should so some such than that
    the their theirs them themselves then there these they this those through to too under until up very was we
    were what when where which while who whom why will with would you your yours yourself yourselves
    also may might must shall us within upon per via etc tell say said says know please give given get got
    council councils herefordshire""".split()
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


def content_terms(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for w in words(text):
        if w not in STOPWORDS and (len(w) > 2 or w.isdigit()):
            seen.setdefault(stem(w), None)
    return list(seen)


# A sentence ends at . ! ? followed by space and an upper-case letter, digit, quote or bracket.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]?\s+(?=[A-Z0-9\"“‘(•\-])")


def sentence_spans(text: str, min_chars: int = 25) -> list[tuple[int, int]]:
    """Sentence-like units of `text` as (start, end) offsets: split at line breaks and sentence
    ends; a short unit (a heading such as 'Resolved:') is joined to the one after it."""
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
        if b - a < min_chars and not re.search(r"[.!?]$", text[a:b]):
            carry = (a, b)
            continue
        merged.append((a, b))
    if carry is not None:
        if merged:
            merged[-1] = (merged[-1][0], carry[1])
        else:
            merged.append(carry)
    return merged


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
