"""Answer text with [n] markers -> claims and citations with exact quotes.

Markers in generator output number the passages given to it (1 = best hit). Here they are
renumbered in order of first use, and each citation gets a quote: the exact span of its
chunk that the citing sentences stand on (found verbatim, or whitespace-insensitively)."""

from __future__ import annotations

import re

from rag_council.text import content_terms, find_span, sentence_spans, squash, stem, words
from rag_council.text.sentences import ends_sentence, split_sentences
from rag_council.types import Citation, Claim, Hit

_MARKERS = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")


def strip_markers(text: str) -> str:
    """`text` without its citation markers ("[1]", "[2, 3]") and the space before them."""
    return _MARKERS.sub("", text)


def parse_claims(text: str) -> list[Claim]:
    """Split answer text into sentences (at line breaks and sentence ends); each keeps the
    markers that follow it."""
    claims: list[Claim] = []
    for line in text.strip().splitlines():
        line_start = len(claims)
        for sentence in split_sentences(line.strip()):
            sentence = sentence.strip()
            if not sentence:
                continue
            markers = [int(n) for group in _MARKERS.findall(sentence) for n in re.split(r"\s*,\s*", group)]
            bare = squash(strip_markers(sentence))
            if bare:
                claims.append(Claim(bare, list(dict.fromkeys(markers))))
            elif claims and markers:  # a marker standing alone after a sentence
                claims[-1].markers.extend(m for m in markers if m not in claims[-1].markers)
        # "A. B. [1]": sentences of a line without a marker take the next marker of the line.
        following: list[int] = []
        for claim in reversed(claims[line_start:]):
            if claim.markers:
                following = claim.markers
            elif following:
                claim.markers = list(following)
    return claims


def best_span(chunk_text: str, claim: str) -> tuple[int, int]:
    """The sentence of the chunk that shares most content words with the claim."""
    terms = set(content_terms(claim))
    best, best_score = (0, min(len(chunk_text), 300)), -1.0
    for a, b in sentence_spans(chunk_text):
        unit = {stem(w) for w in words(chunk_text[a:b])}
        score = len(terms & unit) / (len(terms) or 1)
        if score > best_score:
            best, best_score = (a, b), score
    return best


def cite(claims: list[Claim], passages: list[Hit]) -> tuple[str, list[Claim], list[Citation]]:
    """Build one citation per contiguous quote: each claim's marker is resolved to the span of
    its passage that it stands on (verbatim where possible), spans of one passage that touch
    (adjacent sentences) are merged, and citations are numbered in order of first use.
    Markers that point at no passage are dropped."""
    located: list[list[tuple[int, tuple[int, int]]]] = []  # per claim: (passage, span)
    for claim in claims:
        spots = []
        for marker in claim.markers:
            if 1 <= marker <= len(passages):
                chunk_text = passages[marker - 1].chunk.text
                spots.append((marker, find_span(chunk_text, claim.text) or best_span(chunk_text, claim.text)))
        located.append(spots)
    groups: dict[int, list[tuple[int, int]]] = {}  # passage -> merged spans
    for spots in located:
        for passage, span in spots:
            groups.setdefault(passage, []).append(span)
    for passage, spans in groups.items():
        text = passages[passage - 1].chunk.text
        merged: list[tuple[int, int]] = []
        for a, b in sorted(spans):
            gap = text[merged[-1][1] : a] if merged else ""
            if merged and len(gap.lstrip()) <= 1:  # overlapping, or only spaces (and one stray mark) between
                merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
            else:
                merged.append((a, b))
        groups[passage] = merged
    numbers: dict[tuple[int, int, int], int] = {}
    out_claims: list[Claim] = []
    for claim, spots in zip(claims, located, strict=True):
        kept: list[int] = []
        for passage, (a, _) in spots:
            span = next(m for m in groups[passage] if m[0] <= a < m[1] or m[0] == a)
            marker = numbers.setdefault((passage, *span), len(numbers) + 1)
            if marker not in kept:
                kept.append(marker)
        out_claims.append(Claim(claim.text, kept, claim.supported, claim.check))
    citations = [
        Citation(marker=n, chunk=passages[p - 1].chunk, quote=passages[p - 1].chunk.text[a:b], quote_start=a)
        for (p, a, b), n in sorted(numbers.items(), key=lambda kv: kv[1])
    ]
    return render(out_claims), out_claims, citations


def render(claims: list[Claim]) -> str:
    """Claims back to text. Consecutive claims citing the same passages share a paragraph; a
    claim that does not end a sentence (a list item, a table row) keeps a line of its own, so
    that `parse_claims(render(claims))` gives the same claims back."""
    paragraphs: list[str] = []
    last: list[int] | None = None
    for claim in claims:
        sentence = claim.text + "".join(f" [{m}]" for m in claim.markers)
        if paragraphs and claim.markers == last:
            joiner = " " if ends_sentence(paragraphs[-1].rsplit(" [", 1)[0]) else "\n"
            paragraphs[-1] += joiner + sentence
        elif paragraphs and strip_markers(paragraphs[-1]).rstrip().endswith(":"):
            paragraphs[-1] += "\n" + sentence  # what a lead-in ("At the ... meeting of ...:") introduces
        else:
            paragraphs.append(sentence)
        last = claim.markers
    return "\n\n".join(paragraphs)
