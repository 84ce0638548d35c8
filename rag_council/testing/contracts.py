"""The contract suites (see rag_council.testing). Each is a class of pytest tests that every
implementation of one role must pass; subclass it as `Test...` and provide the fixture.

The suites use small fixed data (example minutes) and the hash embedder where they need an
index, so they run in a second; an implementation that needs a model or a server runs them
under tests/integration."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import numpy as np
import pytest

from rag_council.answer.base import OUTCOMES, Generation, Generator, declines
from rag_council.embedding import Embedder, HashEmbedder
from rag_council.index.store import Store
from rag_council.retrieve.rerank import Reranker
from rag_council.retrieve.retrievers import Retriever
from rag_council.settings import Settings
from rag_council.testing.fakes import FixedRetriever, sample_hits
from rag_council.types import Chunk, DocType, Filters, Hit
from rag_council.verify.support import SupportChecker

_MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")


def markers(text: str) -> list[int]:
    """Every [n] marker of `text` ([1, 2] counts both)."""
    return [int(n) for group in _MARKER.findall(text) for n in re.split(r"\s*,\s*", group)]


# --------------------------------------------------------------------------------------- stores


def _chunk(i: int, **meta: Any) -> Chunk:
    return Chunk(
        f"c{i}",
        "d1",
        "doc.txt",
        f"text {i}",
        i * 10,
        i * 10 + 5,
        i,
        title="T",
        section="S",
        page=i,
        meta=meta,
    )


def _vec(*xs: float) -> np.ndarray:
    v = np.array(xs + (0.0,) * (4 - len(xs)), dtype=np.float32)
    return v / np.linalg.norm(v)


class StoreContract:
    """A vector store: upsert, search (cosine, best first, with filters), get, delete, count,
    vectors. Fixture `store`: an empty store for 4-dimensional vectors."""

    @pytest.fixture
    def store(self) -> Store:
        raise NotImplementedError("a subclass provides the store fixture")

    @pytest.fixture
    def filled(self, store: Store) -> tuple[Store, list[Chunk]]:
        chunks = [
            _chunk(1, committee="Cabinet", doc_type="minutes", date="2017-06-22"),
            _chunk(
                2,
                committee="Children and Young People Scrutiny Committee",
                doc_type="minutes",
                date="2023-11-14",
            ),
            _chunk(3, committee="Cabinet", doc_type=DocType.OFFICER_REPORT, date="2017-07-20"),
        ]
        store.upsert(chunks, np.stack([_vec(1), _vec(1, 1), _vec(0, 1)]))
        return store, chunks

    def test_search_is_by_cosine_best_first(self, filled: tuple[Store, list[Chunk]]) -> None:
        store, _ = filled
        assert store.count() == 3
        hits = store.search(_vec(1), 3)
        assert [c.chunk_id for c, _ in hits] == ["c1", "c2", "c3"]
        assert hits[0][1] == pytest.approx(1.0, abs=1e-4)
        assert [c.chunk_id for c, _ in store.search(_vec(1), 1)] == ["c1"]

    def test_get_returns_text_page_and_meta(self, filled: tuple[Store, list[Chunk]]) -> None:
        store, chunks = filled
        got = store.get(["c2"])[0]
        assert (got.text, got.page, got.meta["committee"]) == ("text 2", 2, chunks[1].meta["committee"])
        assert store.get(["missing"]) == []

    def test_filters_on_committee_type_and_dates(self, filled: tuple[Store, list[Chunk]]) -> None:
        store, _ = filled
        assert [c.chunk_id for c, _ in store.search(_vec(1), 3, Filters(committee="cabinet"))] == ["c1", "c3"]
        assert [c.chunk_id for c, _ in store.search(_vec(1), 3, Filters(doc_type="Officer_Report"))] == ["c3"]
        since = Filters(since=dt.date(2017, 7, 1), until=dt.date(2023, 12, 31))
        assert [c.chunk_id for c, _ in store.search(_vec(1), 3, since)] == ["c2", "c3"]
        assert store.search(_vec(1), 3, Filters(committee="No Such Committee")) == []

    def test_search_among_given_ids(self, filled: tuple[Store, list[Chunk]]) -> None:
        store, _ = filled
        assert [c.chunk_id for c, _ in store.search(_vec(1), 3, ids=["c3", "c2", "missing"])] == ["c2", "c3"]
        assert [c.chunk_id for c, _ in store.search(_vec(1), 1, ids=["c3", "c2"])] == ["c2"]
        assert store.search(_vec(1), 3, ids=[]) == []

    def test_nearest_gives_ids_and_scores_best_first(self, filled: tuple[Store, list[Chunk]]) -> None:
        store, _ = filled
        near = store.nearest(_vec(1), 2)
        assert [i for i, _ in near] == ["c1", "c2"]
        assert near[0][1] == pytest.approx(1.0, abs=1e-4)

    def test_upsert_is_idempotent_and_delete_ignores_missing(self, filled: tuple[Store, list[Chunk]]) -> None:
        store, chunks = filled
        store.upsert([chunks[0]], np.stack([_vec(1)]))
        assert store.count() == 3
        store.delete(["c1", "missing"])
        assert store.count() == 2 and store.get(["c1"]) == []

    def test_vectors_come_back_as_stored(self, filled: tuple[Store, list[Chunk]]) -> None:
        store, _ = filled
        vectors = store.vectors(["c2", "missing"])
        assert set(vectors) == {"c2"}
        assert np.allclose(vectors["c2"], _vec(1, 1), atol=1e-5)


# ------------------------------------------------------------------------------------ embedders


class EmbedderContract:
    """An embedder: unit-length float32 vectors of a fixed dimension, deterministic, the query
    embedded like a text, related texts closer than unrelated ones. Fixture `embedder`."""

    @pytest.fixture
    def embedder(self) -> Embedder:
        raise NotImplementedError("a subclass provides the embedder fixture")

    TEXTS = (
        "The school transport budget of £4.2 million was approved.",
        "The central library will open on Sundays from June.",
    )

    def test_vectors_are_unit_length_float32_of_one_dimension(self, embedder: Embedder) -> None:
        vectors = embedder.embed(list(self.TEXTS))
        assert vectors.dtype == np.float32 and vectors.ndim == 2 and vectors.shape[0] == 2
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
        assert embedder.embed([]).shape[0] == 0
        assert isinstance(embedder.name, str) and embedder.name

    def test_deterministic_and_query_like_text(self, embedder: Embedder) -> None:
        a = embedder.embed(list(self.TEXTS))
        b = embedder.embed(list(self.TEXTS))
        assert np.allclose(a, b, atol=1e-5)
        assert np.allclose(embedder.embed_query(self.TEXTS[0]), a[0], atol=1e-4)

    def test_related_texts_are_closer(self, embedder: Embedder) -> None:
        query = embedder.embed_query("When does the library open on Sundays?")
        transport, library = embedder.embed(list(self.TEXTS))
        assert float(library @ query) > float(transport @ query)

    def test_tokenize_gives_pieces(self, embedder: Embedder) -> None:
        pieces = embedder.tokenize("The library opens on Sundays.")
        assert pieces and all(isinstance(p, str) for p in pieces)


# ----------------------------------------------------------------------------------- retrievers

CORPUS = {
    "sgo.txt": "Special Guardianship Orders were granted to 12 children in 2023.",
    "library.txt": "The central library opens on Sundays from June, after a trial agreed by the committee.",
    "budget.txt": "The school transport budget is £4.2 million, approved by Cabinet in March.",
    "parks.txt": "The parks and gardens team planted four hundred trees along the river walk.",
}


class RetrieverContract:
    """A retriever over an index of four short documents (hash embedder, embedded Chroma):
    at most k distinct hits ranked 1..n, the passage with the question's words first, filters
    respected, the same answer twice. Fixture `retriever`, built from `contract_index`."""

    @pytest.fixture(scope="class")
    def contract_index(self, tmp_path_factory: pytest.TempPathFactory) -> Any:
        from rag_council import build_index
        from rag_council.index import Index

        root = tmp_path_factory.mktemp("contract-index")
        docs = root / "docs"
        docs.mkdir()
        for name, text in CORPUS.items():
            (docs / name).write_text(text, encoding="utf-8")
        settings = Settings(index_root=root / "indexes", index="contract", embedder={"kind": "hash"})
        embedder = HashEmbedder()
        build_index([docs], settings, embedder=embedder)
        return Index.open(settings, embedder)

    @pytest.fixture
    def retriever(self, contract_index: Any) -> Retriever:
        raise NotImplementedError("a subclass provides the retriever fixture")

    def test_at_most_k_distinct_hits_ranked_from_one(self, retriever: Retriever) -> None:
        hits = retriever.retrieve("library opens on Sundays", 2)
        assert 1 <= len(hits) <= 2
        assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
        assert len({h.chunk.chunk_id for h in hits}) == len(hits)
        assert all(isinstance(h, Hit) for h in hits)

    @pytest.mark.parametrize(
        ("question", "document"),
        [
            ("Special Guardianship Orders granted to children", "sgo.txt"),
            ("school transport budget approved by Cabinet", "budget.txt"),
            ("parks and gardens team planted trees", "parks.txt"),
        ],
    )
    def test_the_passage_with_the_questions_words_comes_first(
        self, retriever: Retriever, question: str, document: str
    ) -> None:
        assert retriever.retrieve(question, 3)[0].chunk.document == document

    def test_a_filter_that_matches_nothing_returns_nothing(self, retriever: Retriever) -> None:
        assert retriever.retrieve("library", 3, Filters(committee="No Such Committee")) == []

    def test_no_state_between_questions(self, retriever: Retriever) -> None:
        first = [h.chunk.chunk_id for h in retriever.retrieve("library opens on Sundays", 3)]
        retriever.retrieve("school transport budget", 3)
        assert [h.chunk.chunk_id for h in retriever.retrieve("library opens on Sundays", 3)] == first


# ------------------------------------------------------------------------------------ rerankers


def _rerank_hits() -> list[Hit]:
    texts = [
        "Guardianship arrangements for children are reviewed every year by the service.",
        "Special Guardianship Orders were granted for 12 children in quarter 2.",
        "The library opens on Sundays.",
    ]
    return [
        Hit(Chunk(f"c{n}", "d", "doc.txt", t, 0, len(t), n), 0.03 - 0.005 * n, n)
        for n, t in enumerate(texts, start=1)
    ]


class RerankerContract:
    """A reranker: the same hits back (none lost or added), best first, ranked 1..n, the input
    left alone, nothing for nothing. Fixture `reranker`. `reads_words`: whether it must lift
    the passage holding the question's exact terms (True for a real reranker)."""

    reads_words = True
    QUESTION = "How many special guardianship orders were granted in quarter 2?"

    @pytest.fixture
    def reranker(self) -> Reranker:
        raise NotImplementedError("a subclass provides the reranker fixture")

    def test_the_same_hits_back_ranked_from_one(self, reranker: Reranker) -> None:
        hits = _rerank_hits()
        before = [(h.chunk.chunk_id, h.rank, h.score) for h in hits]
        out = reranker.rerank(self.QUESTION, hits)
        assert sorted(h.chunk.chunk_id for h in out) == sorted(h.chunk.chunk_id for h in hits)
        assert [h.rank for h in out] == list(range(1, len(out) + 1))
        assert [h.score for h in out] == sorted((h.score for h in out), reverse=True)
        assert [(h.chunk.chunk_id, h.rank, h.score) for h in hits] == before  # input unchanged
        assert isinstance(reranker.name, str) and reranker.name

    def test_nothing_for_nothing(self, reranker: Reranker) -> None:
        assert reranker.rerank(self.QUESTION, []) == []

    def test_the_passage_with_the_exact_terms_is_lifted(self, reranker: Reranker) -> None:
        if not self.reads_words:
            pytest.skip("this reranker does not read the question")
        assert reranker.rerank(self.QUESTION, _rerank_hits())[0].chunk.chunk_id == "c2"


# ----------------------------------------------------------------------------------- generators


class GeneratorContract:
    """An answer generator, on three passages of example minutes: it declines (NO_ANSWER or the
    fixed sentence; the engine then declines with its fixed "The documents I have do not say")
    when the passages do not answer; its markers are in range; streaming gives what generating
    gives; each call's result says what happened and has timings. Fixture `generator`."""

    ANSWERABLE = "When will the central library open on Sundays?"
    # Names a year and a subject no passage mentions.
    UNANSWERABLE = "When will the swimming pool reopen in 2031?"

    @pytest.fixture
    def generator(self) -> Generator:
        raise NotImplementedError("a subclass provides the generator fixture")

    @pytest.fixture
    def passages(self) -> list[Hit]:
        return sample_hits()

    def _engine(self, generator: Generator, passages: list[Hit]) -> Any:
        from rag_council.engine import Engine

        settings = Settings(embedder={"kind": "hash"})
        return Engine(settings, None, FixedRetriever(passages), generator)  # type: ignore[arg-type]

    def test_is_a_generator_with_a_name(self, generator: Generator) -> None:
        assert isinstance(generator, Generator)
        assert isinstance(generator.name, str) and generator.name

    def test_declines_when_the_passages_do_not_answer(
        self, generator: Generator, passages: list[Hit]
    ) -> None:
        generation = generator.stream(self.UNANSWERABLE, passages)
        text = generation.text()
        assert declines(text), text
        assert generation.result.outcome == "declined"
        answer = self._engine(generator, passages).ask(self.UNANSWERABLE)
        assert answer.abstained and answer.citations == []
        assert answer.text.startswith("The documents I have do not say")

    def test_answers_with_markers_in_range(self, generator: Generator, passages: list[Hit]) -> None:
        text = generator.generate(self.ANSWERABLE, passages)
        assert text.strip() and not declines(text), text
        found = markers(text)
        assert found and all(1 <= m <= len(passages) for m in found), text
        answer = self._engine(generator, passages).ask(self.ANSWERABLE)
        assert not answer.abstained and answer.citations, answer.notice
        assert any("Sunday" in c.quote for c in answer.citations)

    def test_streaming_equals_generating(self, generator: Generator, passages: list[Hit]) -> None:
        generation = generator.stream(self.ANSWERABLE, passages)
        assert isinstance(generation, Generation)
        assert "".join(generation) == generator.generate(self.ANSWERABLE, passages)

    def test_each_call_has_its_own_result_with_timings(
        self, generator: Generator, passages: list[Hit]
    ) -> None:
        first = generator.stream(self.ANSWERABLE, passages)
        second = generator.stream(self.UNANSWERABLE, passages)
        assert not first.result.done
        first.text()
        second.text()
        for generation in (first, second):
            result = generation.result
            assert result.done and result.outcome in OUTCOMES and result.generator == generator.name
            if result.model_called:
                assert {"first_token_s", "total_s"} <= result.timings.keys()
            assert all(isinstance(v, float) and v >= 0 for v in result.timings.values())
        assert first.result is not second.result
        assert first.result.outcome != "declined" and second.result.outcome == "declined"


# ----------------------------------------------------------------------------- support checkers

PASSAGE = (
    "Resolved: That the school transport budget of £4.2 million be approved for 2025/26. "
    "The central library will open on Sundays from 1 June 2025."
)


class SupportCheckerContract:
    """A support checker: a sentence of the passage is supported, an unrelated claim and an
    empty one are not, verdicts are well-formed and the same twice. Fixture `checker`.
    `detects_changed_numbers`: whether a claim with a changed figure must be unsupported."""

    detects_changed_numbers = True

    @pytest.fixture
    def checker(self) -> SupportChecker:
        raise NotImplementedError("a subclass provides the checker fixture")

    def test_a_sentence_of_the_passage_is_supported(self, checker: SupportChecker) -> None:
        verdict = checker.check("The central library will open on Sundays from 1 June 2025.", [PASSAGE])
        assert verdict.supported is True and 0.0 <= verdict.score <= 1.0

    def test_an_unrelated_or_empty_claim_is_not(self, checker: SupportChecker) -> None:
        assert (
            checker.check("The parks team planted four hundred trees by the river.", [PASSAGE]).supported
            is False
        )
        assert checker.check("", [PASSAGE]).supported is False
        assert checker.check("The library opens on Sundays.", [""]).supported is False

    def test_a_changed_figure_is_not_supported(self, checker: SupportChecker) -> None:
        if not self.detects_changed_numbers:
            pytest.skip("this checker does not read figures")
        claim = "The school transport budget of £9.9 million was approved for 2025/26."
        assert checker.check(claim, [PASSAGE]).supported is False

    def test_verdicts_are_well_formed_and_deterministic(self, checker: SupportChecker) -> None:
        claim = "The school transport budget of £4.2 million was approved."
        a, b = checker.check(claim, [PASSAGE]), checker.check(claim, [PASSAGE])
        assert (a.supported, a.score, a.passage_index) == (b.supported, b.score, b.passage_index)
        assert isinstance(a.reasons, list) and isinstance(checker.name, str) and checker.name
        assert a.passage_index in (None, 0)  # one passage given


__all__ = [
    "EmbedderContract",
    "GeneratorContract",
    "RerankerContract",
    "RetrieverContract",
    "StoreContract",
    "SupportCheckerContract",
    "markers",
]
