"""The engine: question -> retrieve -> generate -> cite -> Answer. One engine serves the CLI,
the app and the evaluation, so they all answer the same way."""

from __future__ import annotations

import time
from collections.abc import Iterator

from rag_council.answer import NO_ANSWER, Generator, is_decline, make_generator
from rag_council.answer.kind import missing_kind
from rag_council.answer.records import answer_from_records
from rag_council.conversation import rewrite_follow_up
from rag_council.embedding import Embedder, make_embedder
from rag_council.index import Index
from rag_council.retrieve.context import with_context
from rag_council.retrieve.retrievers import Retriever, make_retriever
from rag_council.settings import Settings
from rag_council.types import Answer, Filters, Hit
from rag_council.verify.checking import check_claims
from rag_council.verify.citations import cite, parse_claims
from rag_council.verify.support import LexicalSupportChecker, SupportChecker


def relevance(hits: list[Hit]) -> float:
    """How close the best passage is to the question, as cosine similarity where known."""
    dense = [h.dense for h in hits if h.dense is not None]
    return max(dense) if dense else hits[0].score


class Engine:
    def __init__(
        self,
        settings: Settings,
        index: Index,
        retriever: Retriever,
        generator: Generator,
        checker: SupportChecker | None = None,
    ) -> None:
        self.settings = settings
        self.index = index
        self.retriever = retriever
        self.generator = generator
        # Every sentence of every answer is checked against the passages it cites.
        self.checker = checker or LexicalSupportChecker()

    @classmethod
    def open(
        cls, settings: Settings, embedder: Embedder | None = None, generator: str | None = None
    ) -> Engine:
        """An engine over the settings' index, answering with `generator` (default: the
        settings' answer.generator: extractive, local or openai)."""
        embedder = embedder or make_embedder(settings.embedder)
        index = Index.open(settings, embedder)
        retriever = make_retriever(index, settings.retrieval)
        return cls(settings, index, retriever, make_generator(settings, embedder, generator))

    def with_generator(self, generator: Generator | str) -> Engine:
        """The same index and retriever answering with another generator (shares the models)."""
        if isinstance(generator, str):
            if generator == self.generator.name:
                return self
            embedder = self.index.embedder
            generator = make_generator(self.settings, embedder, generator)
        return Engine(self.settings, self.index, self.retriever, generator, self.checker)

    def standalone(self, history: list[str], question: str) -> str:
        """A follow-up rewritten to stand alone from the conversation's earlier (standalone)
        questions: by the generator's LLM when it has one, else by rules
        (see rag_council.conversation)."""
        return rewrite_follow_up(history, question, getattr(self.generator, "complete", None))

    def ask(self, question: str, filters: Filters | None = None, top_k: int | None = None) -> Answer:
        final: Answer | None = None
        for partial in self.stream(question, filters, top_k):
            final = partial
        assert final is not None
        return final

    def stream(
        self, question: str, filters: Filters | None = None, top_k: int | None = None
    ) -> Iterator[Answer]:
        """Yields partial answers while text is generated; the last one is final and checked.
        Each says in `understood` what the retriever read from the question (dates, committee,
        document type), so that a user can see why passages were preferred."""
        understood = self.understood(question, filters)
        for answer in self._stream(question, filters, top_k):
            answer.understood = understood
            yield answer

    def understood(self, question: str, filters: Filters | None = None) -> str:
        intent = getattr(self.retriever, "intent", None)
        q = " ".join(question.split())
        if intent is None or not q or len(q) > self.settings.answer.max_question_chars:
            return ""
        return intent(q, filters).describe()

    def _stream(
        self, question: str, filters: Filters | None = None, top_k: int | None = None
    ) -> Iterator[Answer]:
        started = time.perf_counter()
        q = " ".join(question.split())
        limit = self.settings.answer.max_question_chars
        no_time = {"retrieve_s": 0.0, "answer_s": 0.0, "total_s": 0.0}
        if not q:
            yield Answer(
                question,
                "Please type a question about the council's documents.",
                True,
                timings=no_time,
                notice="empty question",
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
        recorded = answer_from_records(self.index, q, filters)  # issue 12: answers from the records
        if (
            recorded is not None
            and not (answer := self.check(question, recorded.text, recorded.passages)).abstained
        ):
            answer.notice = "; ".join(filter(None, [recorded.notice, answer.notice]))
            answered = time.perf_counter()  # the nearest passages too, as for any answer
            answer.retrieved = self.retriever.retrieve(q, top_k or self.settings.retrieval.top_k, filters)
            done = time.perf_counter()
            answer.timings = {
                "answer_s": answered - started,
                "retrieve_s": done - answered,
                "total_s": done - started,
            }
            yield answer
            return
        k = top_k or self.settings.retrieval.top_k
        hits = self.retriever.retrieve(q, k, filters)
        retrieved_at = time.perf_counter()
        timings = {"retrieve_s": retrieved_at - started}
        if not hits or relevance(hits) < self.settings.answer.min_retrieval_score:
            timings["answer_s"] = 0.0
            timings["total_s"] = time.perf_counter() - started
            yield self._decline(question, hits, filters, timings, "no passage is relevant enough")
            return
        passages = self.passages(hits)
        parts: list[str] = []
        first_token: float | None = None
        for piece in self.generator.stream(q, passages):
            if first_token is None:
                first_token = time.perf_counter() - retrieved_at
            parts.append(piece)
            if len(parts) > 1 or not piece.startswith(NO_ANSWER):
                yield Answer(question, "".join(parts), False, retrieved=hits, notice="partial")
        raw = "".join(parts).strip()
        timings["generate_s"] = time.perf_counter() - retrieved_at
        timings["first_token_s"] = first_token or timings["generate_s"]
        for key, value in (getattr(self.generator, "last_timings", None) or {}).items():
            if key in ("prompt_tokens", "prompt_tok_s", "generated_tokens", "gen_tok_s"):
                timings[f"llm_{key}"] = float(value)  # the model's own counts and speeds
        if not raw or raw.startswith(NO_ANSWER) or is_decline(raw):
            timings["answer_s"] = time.perf_counter() - retrieved_at
            timings["total_s"] = time.perf_counter() - started
            reason = raw[len(NO_ANSWER) :].strip(" :") if raw.startswith(NO_ANSWER) else ""
            yield self._annotated(
                self._decline(question, hits, filters, timings, reason or "the passages do not answer it")
            )
            return
        answer = self.check(question, raw, passages)
        answer.retrieved = hits  # as retrieved; the citations hold the wider passages read
        kind = missing_kind(q, answer.text) if self.settings.answer.check_answer_kind else None
        if kind and not answer.abstained:
            answer.abstained = True
            answer.notice = (
                f"the passages closest to your question do not give the {kind.split()[-1]} asked for"
            )
        timings["check_s"] = time.perf_counter() - retrieved_at - timings["generate_s"]
        timings["answer_s"] = time.perf_counter() - retrieved_at
        timings["total_s"] = time.perf_counter() - started
        if answer.abstained:
            declined = self._decline(question, hits, filters, timings, answer.notice)
            declined.claims = answer.claims  # what was checked, and why it failed
            yield self._annotated(declined)
            return
        answer.timings = timings
        yield self._annotated(answer)

    def _annotated(self, answer: Answer) -> Answer:
        """The generator's own account of the answer it just wrote, when it keeps one (the local
        model's wrapper says when the shown sentences are the extractive fallback's quotes, and
        which generator wrote each sentence)."""
        annotate = getattr(self.generator, "annotate", None)
        return annotate(answer) if callable(annotate) else answer

    def passages(self, hits: list[Hit]) -> list[Hit]:
        """What the generator reads: the hits, each with its neighbours in the same section
        when settings.retrieval.context is "neighbours" (see rag_council.retrieve.context)."""
        r = self.settings.retrieval
        if r.context != "neighbours" or self.index is None:
            return hits
        return with_context(self.index, hits, r.context_chars)

    def check(self, question: str, raw: str, hits: list[Hit]) -> Answer:
        """The generator's text, checked sentence by sentence (see answering.checking) and cited.
        Abstains (with `notice` saying why and `claims` saying what was checked) when no
        supported sentence remains."""
        mode = self.settings.answer.unsupported
        report = check_claims(parse_claims(raw), hits, self.checker, unsupported=mode)
        supported = [c for c in report.kept if c.supported]
        if not supported:
            why = (
                "no sentence cites a passage"
                if not any(c.markers for c in report.claims)
                else "no sentence of the answer is supported by the passages it cites"
            )
            return Answer(question, "", True, retrieved=hits, claims=report.claims, notice=why)
        text, kept, citations = cite(report.kept, hits)
        notes = []
        if report.removed:
            notes.append(f"{report.removed} unsupported sentence(s) removed")
        if report.moved:
            notes.append(f"{report.moved} citation(s) moved to the passage that supports the sentence")
        if report.dropped_markers:
            notes.append(f"{report.dropped_markers} citation(s) to no passage dropped")
        # The record lists every sentence that was checked: the kept ones renumbered as shown,
        # the removed ones with the markers they had.
        shown = iter(kept)
        claims = [next(shown) if c.supported or mode == "mark" else c for c in report.claims]
        return Answer(
            question, text, False, citations=citations, retrieved=hits, claims=claims, notice="; ".join(notes)
        )

    def _decline(
        self, question: str, hits: list[Hit], filters: Filters | None, timings: dict[str, float], why: str
    ) -> Answer:
        q = " ".join(question.split())
        if not hits:
            where = (
                "the documents that match your filters" if filters and not filters.is_empty() else "the index"
            )
            text = f"The documents I have do not say: {where} returned nothing for “{q}”."
        else:
            because = f" ({why})" if why.startswith(("the passages closest", "no sentence")) else ""
            text = (
                f"The documents I have do not say. Nothing I found answers “{q}”{because}. "
                "The nearest passages are listed below, in case they help."
            )
        return Answer(question, text, True, retrieved=hits, timings=timings, notice=why)
