"""The prompt for LLM generators: numbered passages with their labels, and short rules.

Reading the prompt is most of the time on a CPU (about 84 tokens/s with xllamacpp on two
cores), so it is kept short: few passages, each clipped to the sentences that best match the
question, and a handful of rules."""

from __future__ import annotations

import re

from rag_council.ingest.injection import EVIDENCE_RULE, fence
from rag_council.text import content_terms, sentence_spans, squash, stem, words
from rag_council.types import Hit

# The fixed sentence the model replies with when the passages do not answer the question.
DECLINE = "The documents do not say."

SYSTEM = (
    "You answer questions about a local council's records using only the numbered passages. "
    "Copy the passages' own words: every sentence you write must be said in a passage. " + EVIDENCE_RULE
)
# Put last, next to the question: the small model follows it more reliably there.
FORMAT = (
    "Answer in 1-3 sentences, in the passages' words. "
    "End every sentence with the number of its passage in square brackets, like [1]."
)


_ASKS_DECISION = re.compile(
    r"\b(decid|decision|resol|agree|recommend|approv|respon|answer|outcome|conclu|vote)", re.IGNORECASE
)
_DECISION = re.compile(
    r"\b(resolved|resolution|agreed|recommends?|approved|voted|decided|notes|response|answer)\b",
    re.IGNORECASE,
)


def clip(text: str, question: str, max_chars: int) -> str:
    """The sentences of `text` that best match the question, in their original order, within
    `max_chars` (the first sentence when nothing matches)."""
    text = text.strip()
    if len(text) <= max_chars:
        return squash(text)
    spans = sentence_spans(text) or [(0, len(text))]
    terms = set(content_terms(question))
    wants_decision = bool(_ASKS_DECISION.search(question))
    scored = []
    for i, (a, b) in enumerate(spans):
        if len(words(text[a:b])) < 3:
            continue  # a list number or a stray heading: no room for it
        unit = {stem(w) for w in words(text[a:b])}
        score = len(terms & unit) + (2.5 if wants_decision and _DECISION.search(text[a:b]) else 0.0)
        scored.append((score, -i, a, b))
    scored.sort(reverse=True)
    chosen: list[tuple[int, int]] = []
    used = 0
    for _, _, a, b in scored:
        length = b - a + 1
        if used + length > max_chars and chosen:
            continue
        chosen.append((a, min(b, a + max_chars)))
        used += length
        if used >= max_chars:
            break
    if not chosen:
        return squash(text[:max_chars])
    chosen.sort()
    out: list[str] = []
    last_end = None
    for a, b in chosen:
        if last_end is not None and a > last_end + 2:
            out.append("…")
        out.append(squash(text[a:b]))
        last_end = b
    return " ".join(out)


def format_passages(question: str, passages: list[Hit], max_chars: int) -> str:
    blocks = []
    for n, hit in enumerate(passages, start=1):
        budget = max_chars * 2 if n == 1 else max_chars  # the best passage is read more fully
        blocks.append(f"[{n}] ({hit.chunk.label})\n{clip(hit.chunk.text, question, budget)}")
    return "\n\n".join(blocks)


def messages(question: str, passages: list[Hit], max_chars: int = 700) -> list[dict[str, str]]:
    user = (
        f"Passages:\n\n{fence(format_passages(question, passages, max_chars))}\n\n"
        f"Question: {squash(question)}\n{FORMAT}"
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


_DECLINE_RE = re.compile(
    r"^\W*(the\s+)?(documents|passages)\s+(do|does)\s+not\s+(say|answer|mention|contain)", re.IGNORECASE
)


def is_decline(text: str) -> bool:
    """Whether a model's reply is (or starts with) the fixed 'do not say' sentence."""
    return bool(_DECLINE_RE.match(text.strip()))
