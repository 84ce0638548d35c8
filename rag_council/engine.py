"""The engine: question -> retrieve -> generate -> cite -> Answer. One engine serves the CLI,
the app and the evaluation, so they all answer the same way.

It keeps nothing about a question between calls: the generator's per-call result (outcome,
timings, token counts, who wrote each sentence) goes onto that question's Answer
(`answer.generation`, `answer.timings`, `answer.notice`), so several questions can be answered
at once through one engine. What a generator or retriever may optionally do is declared
(`Generator.completer()`, `GenerationResult.annotate`, the retriever's `Understanding`)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from rag_council.answer.base import NO_ANSWER, GenerationResult, Generator
from rag_council.answer.decide import decide
from rag_council.answer.prompt import is_decline
from rag_council.answer.provenance import with_lead_ins
from rag_council.answer.records import answer_from_records
from rag_council.conversation import rewrite_follow_up
from rag_council.embedding import Embedder, make_embedder, query_time_embedders
from rag_council.index import Index
from rag_council.registry import make_generator
from rag_council.retrieve.context import with_context
from rag_council.retrieve.relevance import relevance
from rag_council.retrieve.retrievers import Retriever, Understanding, make_retriever
from rag_council.settings import Settings
from rag_council.timeline.notes import time_notes
from rag_council.timeline.when import as_at_filters, without_before
from rag_council.types import Answer, Filters, Hit
from rag_council.verify.checking import CheckReport, check_claims
from rag_council.verify.citations import cite, parse_claims
from rag_council.verify.support import LexicalSupportChecker, SupportChecker

__all__ = ["Engine", "relevance"]


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
        settings' answer.generator; see rag_council.registry)."""
        embedder = embedder or make_embedder(settings.embedder)
        # One cache of vectors at query time: the index's view caches the question (ingest
        # passes through), the answerer's the question and the passages' sentences too.
        for_index, for_answers = query_time_embedders(embedder, settings.embedder.cache_size)
        index = Index.open(settings, for_index)
        retriever = make_retriever(index, settings.retrieval)
        return cls(settings, index, retriever, make_generator(settings, for_answers, generator))

    def with_generator(self, generator: Generator | str) -> Engine:
        """The same index and retriever answering with another generator (shares the models)."""
        if isinstance(generator, str):
            if generator == self.generator.name:
                return self
            embedder = self.index.embedder  # the answerer's view of its cache, when it has one
            embedder = query_time_embedders(embedder, 0)[1]
            generator = make_generator(self.settings, embedder, generator)
        return Engine(self.settings, self.index, self.retriever, generator, self.checker)

    def as_query_engine(self, **kwargs: Any) -> Any:
        """This engine as a llama-index query engine: Response.source_nodes are the verified
        citations (see rag_council.llama_adapter; kwargs: filters, top_k)."""
        from rag_council.llama_adapter import query_engine

        return query_engine(self, **kwargs)

    def standalone(self, history: list[str], question: str) -> str:
        """A follow-up rewritten to stand alone from the conversation's earlier (standalone)
        questions: by the generator's LLM when it has one, else by rules
        (see rag_council.conversation)."""
        completer = self.generator.completer()
        return rewrite_follow_up(history, question, completer.complete if completer else None)

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
        filters = as_at_filters(" ".join(question.split()), filters)  # "as at 2017": records up to then
        understood = self.understood(question, filters)
        for answer in self._stream(without_before(question), filters, top_k):
            answer.question, answer.understood = question, understood
            if answer.notice != "partial":  # draft minutes, versions, "as at", "this year" (issue 13)
                answer.notes = time_notes(self.index, question, answer)
            yield answer

    def understood(self, question: str, filters: Filters | None = None) -> str:
        q = " ".join(question.split())
        if not isinstance(self.retriever, Understanding):
            return ""
        if not q or len(q) > self.settings.answer.max_question_chars:
            return ""
        return self.retriever.intent(q, filters).describe()

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
        recorded = (  # issue 12: answers from the records when the question asks for one
            answer_from_records(self.index, q, filters) if self.settings.answer.from_records else None
        )
        if (
            recorded is not None
            and not (answer := self.check(question, recorded.text, recorded.passages)).abstained
        ):
            # the records' answer too must give what was asked (rag_council.answer.decide)
            decision = (
                decide(
                    q,
                    recorded.passages,
                    answer.text,
                    index=self.index,
                    cited=self._numbered(answer),
                    records=True,
                )
                if self.settings.answer.check_answer_kind
                else None
            )
            answer.notice = "; ".join(filter(None, [recorded.notice, answer.notice]))
            answered = time.perf_counter()  # the nearest passages too, as for any answer
            answer.retrieved = self.retriever.retrieve(q, top_k or self.settings.retrieval.top_k, filters)
            done = time.perf_counter()
            answer.timings = {
                "answer_s": answered - started,
                "retrieve_s": done - answered,
                "total_s": done - started,
            }
            if decision is not None and not decision.answer:
                yield self._decline(question, answer.retrieved, filters, answer.timings, decision.reason)
                return
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
        generation = self.generator.stream(q, passages)
        result = generation.result
        try:
            for piece in generation:
                if first_token is None:
                    first_token = time.perf_counter() - retrieved_at
                parts.append(piece)
                if len(parts) > 1 or not piece.startswith(NO_ANSWER):
                    yield Answer(question, "".join(parts), False, retrieved=hits, notice="partial")
        finally:
            generation.close()  # a reader that stops early stops the model too
        raw = "".join(parts).strip()
        timings["generate_s"] = time.perf_counter() - retrieved_at
        timings["first_token_s"] = first_token or timings["generate_s"]
        timings.update(result.llm_timings())  # the model's own counts and speeds
        if not raw or raw.startswith(NO_ANSWER) or is_decline(raw):
            timings["answer_s"] = time.perf_counter() - retrieved_at
            timings["total_s"] = time.perf_counter() - started
            reason = raw[len(NO_ANSWER) :].strip(" :") if raw.startswith(NO_ANSWER) else ""
            yield self._annotated(
                self._decline(question, hits, filters, timings, reason or "the passages do not answer it"),
                result,
            )
            return
        answer = self.check(question, raw, passages, result)
        answer.retrieved = hits  # as retrieved; the citations hold the wider passages read
        # The decision to answer is its own step (rag_council.answer.decide).
        decision = (
            decide(
                q,
                passages,
                answer.text,
                index=self.index,
                settings=self.settings.answer,
                # the checked text's markers number its citations, not the passages given
                cited=self._numbered(answer),
            )
            if self.settings.answer.check_answer_kind
            else None
        )
        if decision is not None and not decision.answer and not answer.abstained:
            answer.abstained = True
            answer.notice = decision.reason
        if not answer.abstained and self.settings.answer.lead_ins and self.generator.quotes:
            answer = self._led_in(question, answer)
        timings["check_s"] = time.perf_counter() - retrieved_at - timings["generate_s"]
        timings["answer_s"] = time.perf_counter() - retrieved_at
        timings["total_s"] = time.perf_counter() - started
        if answer.abstained:
            declined = self._decline(question, hits, filters, timings, answer.notice)
            declined.claims = answer.claims  # what was checked, and why it failed
            yield self._annotated(declined, result)
            return
        answer.timings = timings
        yield self._annotated(answer, result)

    def _led_in(self, question: str, answer: Answer) -> Answer:
        """The quoted answer with each paragraph led by the meeting it comes from (see
        rag_council.answer.provenance), checked again with the header spans it cites; the
        answer as it was when no paragraph gets a lead-in or the check drops one."""
        led = with_lead_ins(self.index, answer)
        if led is None:
            return answer
        checked = self.check(question, led.text, led.hits)
        kept = sum(c.supported for c in checked.claims)
        if checked.abstained or kept < sum(c.supported for c in answer.claims) + led.added:
            return answer
        checked.retrieved, checked.notice = answer.retrieved, answer.notice
        return checked

    @staticmethod
    def _annotated(answer: Answer, result: GenerationResult) -> Answer:
        """The answer with the generator's own account of this call (the local model's wrapper
        says when the shown sentences are the extractive fallback's quotes, and which generator
        wrote each sentence), and the call's result on `answer.generation`."""
        answer.generation = result
        return result.annotate(answer)

    @staticmethod
    def _numbered(answer: Answer) -> list[Hit]:
        """The passages a checked answer's markers number: `cite` renumbers the markers 1..n in
        the order of the citations, so [n] is the n-th citation's chunk."""
        return [Hit(c.chunk, 1.0, c.marker) for c in sorted(answer.citations, key=lambda c: c.marker)]

    def passages(self, hits: list[Hit]) -> list[Hit]:
        """What the generator reads: the hits, each with its neighbours in the same section
        when settings.retrieval.context is "neighbours" (see rag_council.retrieve.context)."""
        r = self.settings.retrieval
        if r.context != "neighbours" or self.index is None:
            return hits
        return with_context(self.index, hits, r.context_chars)

    def check(
        self, question: str, raw: str, hits: list[Hit], result: GenerationResult | None = None
    ) -> Answer:
        """The generator's text, checked sentence by sentence (see verify.checking) and cited.
        Abstains (with `notice` saying why and `claims` saying what was checked) when no
        supported sentence remains. When the generator already checked exactly this text the
        same way (`result.report`), its check is used, not run again."""
        mode = self.settings.answer.unsupported
        report = self._reused(raw, result, mode)
        if report is None:
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

    def _reused(self, raw: str, result: GenerationResult | None, mode: str) -> CheckReport | None:
        """The generator's own check of `raw`, when it is the one this engine would run: the same
        text, the same checker (checkers are deterministic and named by their configuration)
        and unsupported sentences dropped (the generators check in that mode)."""
        if result is None or result.report is None or mode != "drop":
            return None
        if result.checked_text != raw or result.checker != self.checker.name:
            return None
        return result.report

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
