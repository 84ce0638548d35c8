"""Answer text with [n] markers -> claims and citations with exact quotes.

Markers in generator output number the passages given to it (1 = best hit). Here they are
renumbered in order of first use, and each citation gets a quote: the exact span of its
chunk that the citing sentences stand on (found verbatim, or whitespace-insensitively)."""

from __future__ import annotations

import re

from .text import content_terms, find_span, sentence_spans, squash, stem, words
from .types import Citation, Claim, Hit

_MARKERS = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")
_SENTENCE = re.compile(r"(?<=[.!?\]])\s+(?=[A-Z\"“(])")


def parse_claims(text: str) -> list[Claim]:
    """Split answer text into sentences; each keeps the markers that follow it."""
    claims: list[Claim] = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        for sentence in _SENTENCE.split(paragraph.strip()):
            sentence = sentence.strip()
            if not sentence:
                continue
            markers = [int(n) for group in _MARKERS.findall(sentence) for n in re.split(r"\s*,\s*", group)]
            bare = squash(_MARKERS.sub("", sentence))
            if bare:
                claims.append(Claim(bare, list(dict.fromkeys(markers))))
            elif claims and markers:  # a marker standing alone after a sentence
                claims[-1].markers.extend(m for m in markers if m not in claims[-1].markers)
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
    """Renumber markers in order of use, drop markers that point at no passage, and build
    one citation per cited passage whose quote covers the spans its claims stand on."""
    renumber: dict[int, int] = {}
    spans: dict[int, list[tuple[int, int]]] = {}
    out_claims: list[Claim] = []
    for claim in claims:
        kept: list[int] = []
        for marker in claim.markers:
            if not 1 <= marker <= len(passages):
                continue  # a marker that points at no passage is dropped
            chunk_text = passages[marker - 1].chunk.text
            span = find_span(chunk_text, claim.text)
            if span is None:
                span = best_span(chunk_text, claim.text)
            new = renumber.setdefault(marker, len(renumber) + 1)
            spans.setdefault(new, []).append(span)
            kept.append(new)
        out_claims.append(Claim(claim.text, kept, claim.supported, claim.check))
    citations: list[Citation] = []
    for old, new in sorted(renumber.items(), key=lambda kv: kv[1]):
        chunk = passages[old - 1].chunk
        a = min(s for s, _ in spans[new])
        b = max(e for _, e in spans[new])
        citations.append(Citation(marker=new, chunk=chunk, quote=chunk.text[a:b], quote_start=a))
    text = render(out_claims)
    return text, out_claims, citations


def render(claims: list[Claim]) -> str:
    """Claims back to text; consecutive claims citing the same single passage share a paragraph."""
    paragraphs: list[list[str]] = []
    last: list[int] | None = None
    for claim in claims:
        marks = "".join(f" [{m}]" for m in claim.markers)
        sentence = f"{claim.text}{marks}"
        if paragraphs and claim.markers == last:
            paragraphs[-1].append(sentence)
        else:
            paragraphs.append([sentence])
        last = claim.markers
    return "\n\n".join(" ".join(p) for p in paragraphs)
