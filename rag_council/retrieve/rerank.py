"""Reranking: a second look at the best fused candidates, with the whole question in view.

The contract is one method, `rerank(question, hits) -> hits` (best first), and a `name`.
Implementations (registered by name in rag_council.registry, with plugins from the
`rag_council.rerankers` entry point group):

* `LexicalReranker` (the default): rescoring by the exact overlap of the question with each
  passage (and its label): the share of the question's words it holds, weighted by how rare
  they are in the index; the question's two-word phrases found as phrases; and the specific
  things the question names (numbers, amounts, years, months, names). Council questions are
  full of exact terms that embeddings blur and BM25 counts one word at a time.
* `CrossEncoderReranker`: a sentence-transformers CrossEncoder loaded from a local folder
  (`retrieval.rerank_model`). None ships on PyPI, so none is installed: point it at one you
  have (e.g. a copy of cross-encoder/ms-marco-MiniLM-L-6-v2).
* `NoReranker`: keeps the fused order.

Rerankers mix their own score with the fused one (`weight`), so a passage the first stage
was sure of is not thrown out on a word count alone.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from rag_council.errors import ConfigError
from rag_council.text import anchor_present, content_words, question_anchors
from rag_council.types import Hit

Stats = Callable[[], tuple[Mapping[str, int], int]]  # () -> (document frequency, chunks)


class Reranker(Protocol):
    name: str

    def rerank(self, question: str, hits: list[Hit]) -> list[Hit]: ...


def _ordered(hits: list[Hit], scores: list[float]) -> list[Hit]:
    order = sorted(range(len(hits)), key=lambda i: (-scores[i], hits[i].rank))
    return [replace(hits[i], score=scores[i], rank=n) for n, i in enumerate(order, start=1)]


def _normalised(hits: list[Hit]) -> list[float]:
    top = max((h.score for h in hits), default=0.0)
    return [h.score / top if top > 0 else 0.0 for h in hits]


class NoReranker:
    name = "none"

    def rerank(self, question: str, hits: list[Hit]) -> list[Hit]:
        return list(hits)


@dataclass(frozen=True)
class _Question:
    """What the lexical reranker compares every passage with, read once per question."""

    terms: list[str]  # distinct content words
    pairs: list[tuple[str, str]]  # distinct two-word phrases of content words
    anchors: list[str]  # numbers, years, months, names (text.question_anchors)

    @classmethod
    def of(cls, question: str) -> _Question:
        seq = content_words(question)
        return cls(
            list(dict.fromkeys(seq)), list(dict.fromkeys(itertools.pairwise(seq))), question_anchors(question)
        )


def _remembered(idf: Callable[[str], float]) -> Callable[[str], float]:
    """`idf`, each term's weight computed once (the same value every time after)."""
    known: dict[str, float] = {}

    def weight(term: str) -> float:
        value = known.get(term)
        if value is None:
            value = known[term] = idf(term)
        return value

    return weight


class LexicalReranker:
    """score = fused score (scaled to the best = 1) + weight * lexical overlap (0..1)."""

    name = "lexical"

    def __init__(self, stats: Stats | None = None, weight: float = 1.0) -> None:
        self.stats = stats
        self.weight = weight

    def _idf(self) -> Callable[[str], float]:
        if self.stats is None:
            return lambda term: 1.0
        df, n = self.stats()
        return lambda term: math.log((n + 1) / (df.get(term, 0) + 0.5))

    def overlap(self, question: str, text: str, idf: Callable[[str], float] | None = None) -> float:
        """How much of the question `text` holds exactly, from 0 to 1."""
        return self._overlap(_Question.of(question), text, idf or self._idf())

    def _overlap(self, q: _Question, text: str, idf: Callable[[str], float]) -> float:
        if not q.terms:
            return 0.0
        t_terms = content_words(text)
        bag = set(t_terms)
        total = sum(idf(t) for t in q.terms) or 1.0
        coverage = sum(idf(t) for t in q.terms if t in bag) / total
        parts, weights = coverage, 1.0
        if q.pairs:
            t_pairs = set(itertools.pairwise(t_terms))
            pair_total = sum(idf(a) + idf(b) for a, b in q.pairs) or 1.0
            parts += 0.5 * sum(idf(a) + idf(b) for a, b in q.pairs if (a, b) in t_pairs) / pair_total
            weights += 0.5
        if q.anchors:
            haystack = text.lower()
            parts += 0.5 * sum(anchor_present(a, haystack) for a in q.anchors) / len(q.anchors)
            weights += 0.5
        return parts / weights

    def rerank(self, question: str, hits: list[Hit]) -> list[Hit]:
        if not hits:
            return []
        idf = _remembered(self._idf())  # the question's few terms, weighed once for all passages
        q = _Question.of(question)
        fused = _normalised(hits)
        scores = [
            f + self.weight * self._overlap(q, f"{h.chunk.label}\n{h.chunk.text}", idf)
            for f, h in zip(fused, hits, strict=True)
        ]
        return _ordered(hits, scores)


class CrossEncoderReranker:
    """A cross-encoder from a local folder; its scores (on 0..1) are mixed with the fused
    score like the lexical reranker's."""

    name = "cross-encoder"

    def __init__(self, path: str, weight: float = 1.0) -> None:
        folder = Path(path).expanduser()
        if not path or not (folder / "config.json").is_file():
            raise ConfigError(
                f"No cross-encoder model at '{path}'.",
                "Set retrieval.rerank_model to a local folder holding a sentence-transformers "
                "CrossEncoder (config.json and weights), or use retrieval.rerank = 'lexical'.",
            )
        from sentence_transformers import CrossEncoder

        self.model = CrossEncoder(str(folder), device="cpu", local_files_only=True)
        self.weight = weight

    def rerank(self, question: str, hits: list[Hit]) -> list[Hit]:
        if not hits:
            return []
        raw = self.model.predict([(question, f"{h.chunk.label}\n{h.chunk.text}") for h in hits])
        fused = _normalised(hits)
        scores = [f + self.weight * _unit(float(s)) for f, s in zip(fused, raw, strict=True)]
        return _ordered(hits, scores)


def _unit(score: float) -> float:
    """A cross-encoder's score on 0..1: most apply a sigmoid already; raw logits get one."""
    return score if 0.0 <= score <= 1.0 else 1 / (1 + math.exp(-score))


def make_reranker(kind: str, model: str = "", weight: float = 1.0, stats: Stats | None = None) -> Reranker:
    """The reranker registered as `kind` (rag_council.registry: lexical, cross-encoder, none,
    or a plugin's), built from a model folder and a weight."""
    from rag_council.registry import RERANKERS
    from rag_council.settings import RetrievalSettings

    settings = RetrievalSettings(rerank=kind, rerank_model=model, rerank_weight=weight)
    return RERANKERS.make(kind, settings, stats)
