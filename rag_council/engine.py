"""The engine: question -> retrieve -> generate -> cite -> Answer. One engine serves the CLI,
the app and the evaluation, so they all answer the same way."""

from __future__ import annotations

import time
from collections.abc import Iterator

from .answering import NO_ANSWER, ExtractiveGenerator, Generator
from .citations import cite, parse_claims
from .embedding import Embedder, make_embedder
from .index import Index
from .retrieval import DenseRetriever, Retriever
from .settings import Settings
from .text import find_span
from .types import Answer, Filters, Hit


class Engine:
    def __init__(self, settings: Settings, index: Index, retriever: Retriever, generator: Generator) -> None:
        self.settings = settings
        self.index = index
        self.retriever = retriever
        self.generator = generator

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder | None = None) -> Engine:
        embedder = embedder or make_embedder(settings.embedder)
        index = Index.open(settings, embedder)
        return cls(settings, index, DenseRetriever(index), ExtractiveGenerator(embedder, settings.answer))

    def ask(self, question: str, filters: Filters | None = None, top_k: int | None = None) -> Answer:
        answer: Answer | None = None
        for answer in self.stream(question, filters, top_k):
            pass
        assert answer is not None
        return answer

    def stream(self, question: str, filters: Filters | None = None, top_k: int | None = None) -> Iterator[Answer]:
        """Yields partial answers while text is generated; the last one is final and checked."""
        started = time.perf_counter()
        q = " ".join(question.split())
        limit = self.settings.answer.max_question_chars
        no_time = {"retrieve_s": 0.0, "answer_s": 0.0, "total_s": 0.0}
        if not q:
            yield Answer(
                question, "Please type a question about the council's documents.", True, timings=no_time, notice="empty question"
            )
            return
        if len(q) > limit:
            yield Answer(
                question,
                f"Your question is {len(q):,} characters long; the limit is {limit:,}. "
                "Please shorten it to the question itself (for a long letter, ask about each point in turn).",
                True,
                timings=no_time,
                notice="question too long",
            )
            return
        k = top_k or self.settings.retrieval.top_k
        hits = self.retriever.retrieve(q, k, filters)
        retrieved_at = time.perf_counter()
        timings = {"retrieve_s": retrieved_at - started}
        if not hits or hits[0].score < self.settings.answer.min_retrieval_score:
            timings["answer_s"] = 0.0
            timings["total_s"] = time.perf_counter() - started
            yield self._decline(question, hits, filters, timings, "no passage is relevant enough")
            return
        parts: list[str] = []
        for piece in self.generator.stream(q, hits):
            parts.append(piece)
            if len(parts) > 1 or not piece.startswith(NO_ANSWER):
                yield Answer(question, "".join(parts), False, retrieved=hits, notice="partial")
        raw = "".join(parts).strip()
        timings["answer_s"] = time.perf_counter() - retrieved_at
        if not raw or raw.startswith(NO_ANSWER):
            timings["total_s"] = time.perf_counter() - started
            reason = raw[len(NO_ANSWER) :].strip(" :") or "the passages do not answer it"
            yield self._decline(question, hits, filters, timings, reason)
            return
        text, claims, citations = cite(parse_claims(raw), hits)
        for claim in claims:
            verbatim = any(find_span(c.quote, claim.text) for c in citations if c.marker in claim.markers)
            claim.supported = bool(claim.markers) and verbatim
            claim.check = "verbatim quote" if verbatim else ("no citation" if not claim.markers else "not verbatim")
        if not citations:
            timings["total_s"] = time.perf_counter() - started
            yield self._decline(question, hits, filters, timings, "no sentence cites a passage")
            return
        timings["total_s"] = time.perf_counter() - started
        yield Answer(question, text, False, citations=citations, retrieved=hits, claims=claims, timings=timings)

    def _decline(
        self, question: str, hits: list[Hit], filters: Filters | None, timings: dict[str, float], why: str
    ) -> Answer:
        q = " ".join(question.split())
        if not hits:
            where = "the documents that match your filters" if filters and not filters.is_empty() else "the index"
            text = f"The documents I have do not say: {where} returned nothing for “{q}”."
        else:
            because = f" ({why})" if why.startswith("the passages closest") else ""
            text = (
                f"The documents I have do not say. Nothing I found answers “{q}”{because}. "
                "The nearest passages are listed below, in case they help."
            )
        return Answer(question, text, True, retrieved=hits, timings=timings, notice=why)
