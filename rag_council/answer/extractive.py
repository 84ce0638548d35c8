"""The offline default answerer: no LLM. It picks the sentences of the retrieved passages that
answer the question, in the passages' own words, each followed by its passage's marker.

A sentence's relevance mixes its embedding similarity to the question, how many of the
question's content words it contains, and how well its passage was retrieved. Below
`min_sentence_score` nothing is said."""

from __future__ import annotations

import re
from collections.abc import Iterator

from rag_council.answer.base import NO_ANSWER, GenerationResult, Generator
from rag_council.answer.decide import anchors_decline, missing_anchors
from rag_council.embedding import Embedder
from rag_council.ingest.injection import flagged  # instructions in documents are never answers
from rag_council.settings import AnswerSettings
from rag_council.text import (
    content_terms,
    sentence_spans,
    squash,
    stem,
    words,
)
from rag_council.types import Hit

__all__ = ["ExtractiveGenerator", "anchors_decline", "missing_anchors"]

# Weight of the question's words a sentence adds to those already said (see select).
NOVELTY = 0.0

_BULLET = re.compile(r"^\s*(?:[-•*·o▪]|\d{1,2}[.)])\s+")


_VERB = re.compile(
    r"\b(?:is|are|was|were|be|been|being|has|have|had|do|does|did|will|would|shall|should|can|"
    r"could|may|might|must|\w+(?:ed|es|ing))\b|\b\w{3,}s\b",
    re.I,
)
_DANGLING_END = re.compile(
    r"(?:[:;,\-–—]|\b(?:and|or|the|of|to|for|with|by|a|an|in|on|that|which))\s*$", re.I
)


_CAPS_PREFIX = re.compile(
    r"^\s*(?:\d{1,3}[.)]?\s+)?(?:[A-Z0-9][A-Z0-9'’&/,()-]*\s+){1,12}?(?=[A-Z][a-z])"
    r"|^\s*#+\s*[^\n]*\n\s*"
)


def _heading_prefix(text: str) -> int:
    """Length of a heading in capitals ("CO-OPTED MEMBER RECRUITMENT UPDATE ") that starts a
    unit before its first sentence, else 0."""
    m = _CAPS_PREFIX.match(text)
    if not m:
        return 0
    letters = [c for c in m.group(0) if c.isalpha()]
    if len(letters) < 6 or not all(c.isupper() for c in letters if not m.group(0).lstrip().startswith("#")):
        return 0
    rest = text[m.end() :]
    return m.end() if len(words(rest)) >= 4 else 0


def not_a_sentence(text: str) -> str | None:
    """Why `text` cannot stand as an answer sentence (a heading, a table fragment, a dangling
    clause), else None."""
    t = squash(text)
    ws = words(t)
    if "\t" in text or t.count("|") >= 2:
        return "table fragment"
    letters = sum(c.isalpha() for c in t)
    if letters < 0.5 * max(1, len(t.replace(" ", ""))):
        return "table fragment"
    if re.match(r"^[A-Z][\w '’/-]{2,40}:\s*\S.*\d", t) and len(ws) <= 12:
        return None  # a record's field and its value: "Review Date: September 2024"
    if _DANGLING_END.search(t.rstrip(".")) and not t.endswith("."):
        return "dangling clause"
    if t[:1].islower() and not re.match(r"^[a-z]\)|^[ivx]+\)", t):
        return "dangling clause"  # starts mid-sentence (a chunk edge)
    if not re.search(r"[.!?)\]”\"']\s*$", t):
        capitalised = sum(w[:1].isupper() for w in t.split() if w[:1].isalpha())
        alpha = sum(1 for w in t.split() if w[:1].isalpha())
        if len(ws) <= 12 and (capitalised >= 0.6 * max(1, alpha) or not _VERB.search(t)):
            return "heading"
    if len(ws) <= 8 and not _VERB.search(t):
        return "heading"
    return None


class ExtractiveGenerator(Generator):
    name = "extractive"
    description = "the passages' own sentences, no LLM (the offline default)"
    incremental = False  # the whole answer at once

    def __init__(self, embedder: Embedder, settings: AnswerSettings) -> None:
        self.embedder = embedder
        self.settings = settings

    def select(self, question: str, passages: list[Hit]) -> list[tuple[int, int, int, float]]:
        """(passage number, start, end, score) of the chosen sentences, in answer order."""
        units: list[tuple[int, int, int]] = []
        for number, hit in enumerate(passages, start=1):
            for a, b in sentence_spans(hit.chunk.text):
                a += _heading_prefix(hit.chunk.text[a:b])
                text = hit.chunk.text[a:b]
                if (
                    len(words(text)) >= 4
                    and not_a_sentence(_BULLET.sub("", text, count=1)) is None
                    and not flagged(hit.chunk, a, b)
                ):
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
        budget = getattr(self.settings, "max_answer_words", 80)
        used = 0
        said: set[str] = set()
        pool = scored[:60]
        while pool and len(chosen) < self.settings.max_sentences:
            # what the chosen sentences have not said yet counts for more (the question's subject,
            # constraints and the thing asked, together rather than the same words again)
            gains = [
                c[0] + (NOVELTY * self._new_terms(passages, c, terms, said) if chosen else 0.0) for c in pool
            ]
            best = pool[max(range(len(pool)), key=gains.__getitem__)]
            pool.remove(best)
            score, number, a, b = best
            if score < self.settings.min_sentence_score:
                if chosen:
                    continue
                break
            length = len(words(passages[number - 1].chunk.text[a:b]))
            if chosen and used + length > budget:
                continue  # over the length budget: a shorter sentence may still fit
            bag = set(words(passages[number - 1].chunk.text[a:b]))
            if any(len(bag & other) / max(1, len(bag | other)) > 0.8 for other in seen):
                continue  # the same sentence again (chunk overlap, duplicated documents)
            if chosen and score < chosen[0][3] - 0.2:
                continue  # much weaker than the best: leave it out
            seen.append(bag)
            chosen.append((number, a, b, score))
            said |= {stem(w) for w in bag}
            used += length
        order = {n: i for i, n in enumerate(dict.fromkeys(n for n, *_ in chosen))}
        chosen.sort(key=lambda c: (order[c[0]], c[1]))
        return chosen

    @staticmethod
    def _new_terms(
        passages: list[Hit], candidate: tuple[float, int, int, int], terms: list[str], said: set[str]
    ) -> float:
        """Share of the question's terms the candidate sentence says that no chosen one has."""
        if not terms:
            return 0.0
        _, number, a, b = candidate
        bag = {stem(w) for w in words(passages[number - 1].chunk.text[a:b])}
        return sum(t in bag and t not in said for t in terms) / len(terms)

    def missing_anchors(self, question: str, passages: list[Hit]) -> list[str]:
        return missing_anchors(question, passages)

    def answer_text(self, question: str, passages: list[Hit]) -> str:
        """The answer (or a NO_ANSWER reply), all at once."""
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

    def write(self, question: str, passages: list[Hit], result: GenerationResult) -> Iterator[str]:
        text = self.answer_text(question, passages)
        if text.startswith(NO_ANSWER):
            result.outcome = "declined"
            result.reason = text[len(NO_ANSWER) :].strip(" :")
        yield text
