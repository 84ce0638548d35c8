"""The offline default answerer: no LLM. It picks the sentences of the retrieved passages that
answer the question, in the passages' own words, each followed by its passage's marker.

A sentence's relevance mixes its embedding similarity to the question, how many of the
question's content words it contains, and how well its passage was retrieved. Below
`min_sentence_score` nothing is said."""

from __future__ import annotations

import re
from collections.abc import Iterator

from rag_council.answer.base import NO_ANSWER
from rag_council.embedding import Embedder
from rag_council.ingest.injection import flagged  # instructions in documents are never answers
from rag_council.settings import AnswerSettings
from rag_council.text import (
    anchor_present,
    content_terms,
    question_anchors,
    sentence_spans,
    squash,
    stem,
    words,
)
from rag_council.types import Hit

_BULLET = re.compile(r"^\s*(?:[-•*·o▪]|\d{1,2}[.)])\s+")


def missing_anchors(question: str, passages: list[Hit]) -> list[str]:
    """Specific things the question names (a year, a quarter, a number, a name) that none
    of `passages` mentions, in its text or its metadata."""
    haystack = " ".join(
        f"{h.chunk.text} {h.chunk.label} {' '.join(str(v) for v in h.chunk.meta.values())}" for h in passages
    ).lower()
    return [a for a in question_anchors(question) if not anchor_present(a, haystack)]


def anchors_decline(question: str, passages: list[Hit]) -> str | None:
    """The NO_ANSWER reply for a question that names something no passage mentions, else None."""
    missing = missing_anchors(question, passages)
    if not missing:
        return None
    return f"{NO_ANSWER}: the passages closest to your question do not mention " + ", ".join(
        f"“{m}”" for m in missing
    )


class ExtractiveGenerator:
    name = "extractive"

    def __init__(self, embedder: Embedder, settings: AnswerSettings) -> None:
        self.embedder = embedder
        self.settings = settings

    def select(self, question: str, passages: list[Hit]) -> list[tuple[int, int, int, float]]:
        """(passage number, start, end, score) of the chosen sentences, in answer order."""
        units: list[tuple[int, int, int]] = []
        for number, hit in enumerate(passages, start=1):
            for a, b in sentence_spans(hit.chunk.text):
                if len(words(hit.chunk.text[a:b])) >= 4 and not flagged(hit.chunk, a, b):
                    units.append((number, a, b))
        if not units:
            return []
        texts = [squash(passages[n - 1].chunk.text[a:b]) for n, a, b in units]
        q_vec = self.embedder.embed_query(question)
        vecs = self.embedder.embed(texts)
        cos = vecs @ q_vec
        terms = content_terms(question)
        best_hit = max(h.score for h in passages) or 1.0
        scored: list[tuple[float, int, int, int]] = []
        asks_about_questions = re.search(
            r"\b(ask|asked|asking|question|questions|enquir\w*|quer\w*)\b", question, re.I
        )
        for i, (number, a, b) in enumerate(units):
            unit_terms = {stem(w) for w in words(texts[i])}
            coverage = sum(t in unit_terms for t in terms) / len(terms) if terms else 0.0
            prior = passages[number - 1].score / best_hit
            score = 0.55 * float(cos[i]) + 0.30 * coverage + 0.15 * prior
            if texts[i].rstrip("\"'”’)").endswith("?") and not asks_about_questions:
                continue  # a question in the records (a public question, say) answers nothing
            scored.append((score, number, a, b))
        scored.sort(key=lambda s: -s[0])
        chosen: list[tuple[int, int, int, float]] = []
        seen: list[set[str]] = []
        for score, number, a, b in scored:
            if score < self.settings.min_sentence_score or len(chosen) >= self.settings.max_sentences:
                break
            bag = set(words(passages[number - 1].chunk.text[a:b]))
            if any(len(bag & other) / max(1, len(bag | other)) > 0.8 for other in seen):
                continue  # the same sentence again (chunk overlap, duplicated documents)
            if chosen and score < chosen[0][3] - 0.2:
                break  # much weaker than the best: leave it out
            seen.append(bag)
            chosen.append((number, a, b, score))
        order = {n: i for i, n in enumerate(dict.fromkeys(n for n, *_ in chosen))}
        chosen.sort(key=lambda c: (order[c[0]], c[1]))
        return chosen

    def missing_anchors(self, question: str, passages: list[Hit]) -> list[str]:
        return missing_anchors(question, passages)

    def generate(self, question: str, passages: list[Hit]) -> str:
        # Relevant-looking text about another year, quarter or person is no answer. (Checking
        # only the passages an answer would cite declined 13 of 138 answerable gold questions
        # to catch 4 of 28 unanswerable ones; checking all retrieved passages: 5 and 3.)
        declined = anchors_decline(question, passages)
        if declined:
            return declined
        chosen = self.select(question, passages)
        if not chosen:
            return NO_ANSWER
        lines: list[str] = []
        current = -1
        for number, a, b, _ in chosen:
            text = passages[number - 1].chunk.text[a:b]
            text = _BULLET.sub("", text, count=1)  # a list item's bullet is not part of the claim
            if number != current and lines:
                lines.append("")  # a new passage starts a new paragraph
            lines.append(f"{squash(text)} [{number}]")
            current = number
        return "\n".join(lines)

    def stream(self, question: str, passages: list[Hit]) -> Iterator[str]:
        yield self.generate(question, passages)
