"""Sentences and spans: the one home of where a sentence ends.

* `sentence_spans`: sentence-like units of a passage with their offsets (answering, citing,
  support checking, drafting);
* `split_sentences`: answer text split into its sentences (claims keep their [n] markers);
* `ends_sentence`: does a piece of text end a sentence;
* `find_span`: where a quote stands in a passage, whitespace-insensitively."""

from __future__ import annotations

import re

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


# Answer text (with [n] markers) breaks after . ! ? or a marker's ']' before a capital, a quote
# or a bracket.
_ANSWER_SENTENCE_END = re.compile(r"(?<=[.!?\]])\s+(?=[A-Z\"“(])")
_ENDS_SENTENCE = re.compile(r"[.!?][\"'”’)]?$")


def split_sentences(line: str) -> list[str]:
    """One line of answer text cut into its sentences (markers stay with their sentence)."""
    return _ANSWER_SENTENCE_END.split(line)


def ends_sentence(text: str) -> bool:
    """Does `text` end with a sentence end (. ! ?, perhaps inside a closing quote or bracket)?"""
    return _ENDS_SENTENCE.search(text) is not None


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
