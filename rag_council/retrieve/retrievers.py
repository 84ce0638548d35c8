"""Question -> ranked passages. One method, `retrieve(question, k, filters)`; the default is
the hybrid pipeline (HybridRetriever), and the single lists stay for comparison. A retriever
that reads the question (dates, committee, document type) also implements `Understanding`
(`intent(question, filters)`); the engine checks for it with isinstance. Retrievers keep
nothing about the last question."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Protocol, runtime_checkable

from rag_council.index import Index
from rag_council.ingest.cleaning import normalise_for_match
from rag_council.retrieve.query import QueryIntent, understand
from rag_council.retrieve.rerank import NoReranker, Reranker
from rag_council.settings import RetrievalSettings
from rag_council.types import Filters, Hit


class Retriever(Protocol):
    def retrieve(self, question: str, k: int, filters: Filters | None = None) -> list[Hit]: ...


@runtime_checkable
class Understanding(Protocol):
    """Optional capability of a retriever: what it reads from a question (dates, committee,
    document type), shown to the user as why passages were preferred. Checked with isinstance."""

    def intent(self, question: str, filters: Filters | None = None) -> QueryIntent: ...


# Two passages are the same when most of the shorter one's word 4-grams are in the other:
# a document pasted inside another (the Permanency Strategy on its own and inside the
# minutes of 14 November 2023) is chunked at other places and cleaned a little differently.
DUPLICATE_OVERLAP = 0.5
_SHINGLE = 4


@functools.lru_cache(maxsize=8192)  # a passage's shingles, read again whenever it is retrieved
def shingles(text: str) -> frozenset[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9£%]+", normalise_for_match(text).replace("'", ""))
    if len(words) < _SHINGLE:
        return frozenset({tuple(words)}) if words else frozenset()
    return frozenset(zip(*(words[i:] for i in range(_SHINGLE)), strict=False))  # runs of _SHINGLE words


def overlap(a: frozenset, b: frozenset) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def drop_duplicates(
    hits: list[Hit],
    limit: int | None = None,
    threshold: float = DUPLICATE_OVERLAP,
    keep: int | None = None,
) -> list[Hit]:
    """Keep the best-ranked copy of each passage; the kept chunk's meta["also_in"] names the
    other places it appears (their labels, '; '-joined). Ranks are renumbered. With `keep`, no
    more than that many are kept, but the hits after them are still read for other places of
    the kept passages."""
    kept: list[Hit] = []
    seen: list[frozenset] = []
    for hit in hits:
        grams = shingles(hit.chunk.text)
        twin = next((i for i, other in enumerate(seen) if overlap(grams, other) >= threshold), None)
        if twin is None:
            if keep is not None and len(kept) >= keep:
                continue
            kept.append(hit)
            seen.append(grams)
            continue
        first = kept[twin].chunk
        if hit.chunk.doc_id != first.doc_id or hit.chunk.section != first.section:
            places = [p for p in str(first.meta.get("also_in", "")).split("; ") if p]
            if hit.chunk.label not in places and hit.chunk.label != first.label:
                places.append(hit.chunk.label)
            meta = {**first.meta, "also_in": "; ".join(places)}
            kept[twin] = replace(kept[twin], chunk=replace(first, meta=meta))
        seen[twin] = seen[twin] | grams
    kept = kept[:limit] if limit is not None else kept
    return [replace(h, rank=rank) for rank, h in enumerate(kept, start=1)]


class DenseRetriever:
    def __init__(self, index: Index) -> None:
        self.index = index

    def retrieve(self, question: str, k: int, filters: Filters | None = None) -> list[Hit]:
        """The k best distinct passages (duplicates dropped, see drop_duplicates)."""
        hits = self.index.search(question, max(3 * k, k + 10), filters)
        return drop_duplicates(hits, k)


class KeywordRetriever:
    """BM25 only (for comparison and for exact-term lookups)."""

    def __init__(self, index: Index) -> None:
        self.index = index

    def retrieve(self, question: str, k: int, filters: Filters | None = None) -> list[Hit]:
        return drop_duplicates(self.index.keyword_search(question, max(3 * k, k + 10), filters), k)


class HybridRetriever:
    """The default pipeline: candidates -> fusion -> question understanding -> rerank -> diversity.

    1. Dense (MiniLM, Chroma) and keyword (BM25) candidates, `candidates` of each.
    2. Weighted reciprocal rank fusion: a chunk scores sum(weight / (rrf_k + rank)).
    3. Question understanding (rag_council.retrieve.query): a passage that matches the dates, committee,
       document type or document the question names gets its score raised by up to
       `understand_boost` (x1.5 by default); explicit filters win over the question.
    4. The best `rerank_depth` are reranked (rag_council.retrieve.rerank; lexical by default).
    5. Near-duplicate passages are dropped, and at most `max_per_section` of one section kept.

    A hit keeps its cosine (`dense`) and BM25 (`keyword`) scores; the cosine of a keyword-only
    hit is computed from its stored vector, so that the engine judges relevance on one scale."""

    def __init__(
        self,
        index: Index,
        settings: RetrievalSettings | None = None,
        reranker: Reranker | None = None,
        today: dt.date | None = None,
    ) -> None:
        self.index = index
        self.settings = settings or RetrievalSettings()
        self.reranker = reranker or NoReranker()
        self.today = today

    def intent(self, question: str, filters: Filters | None = None) -> QueryIntent:
        if not self.settings.understand:
            return QueryIntent()
        return understand(question, self.index.overview.catalogue, filters, self.today)

    def retrieve(self, question: str, k: int, filters: Filters | None = None) -> list[Hit]:
        s = self.settings
        n = max(s.candidates, 3 * k)
        query = self.index.embedder.embed_query(question)
        dense = self.index.search_vector(query, n, filters)
        keyword = self.index.keyword_search(question, n, filters)
        fused: dict[str, Hit] = {}
        scores: dict[str, float] = {}
        _fuse(((s.dense_weight, dense), (s.keyword_weight, keyword)), s.rrf_k, scores, fused)
        intent = self.intent(question, filters)
        if not intent.is_empty() and s.understand_candidates:
            # Candidates from the part of the index the question points at, fused like the rest.
            narrowed = intent.narrowed(filters)
            m = s.understand_candidates
            extra = (
                (s.dense_weight, self.index.search_vector(query, m, narrowed)),
                (s.keyword_weight, self.index.keyword_search(question, m, narrowed)),
            )
            _fuse(extra, s.rrf_k, scores, fused)
        if not intent.is_empty():
            for cid, hit in fused.items():
                scores[cid] *= 1.0 + s.understand_boost * intent.match(hit.chunk)
        pool = max(s.rerank_depth, 3 * k)
        order = sorted(scores, key=lambda cid: (-scores[cid], cid))
        ranked = [
            replace(fused[cid], score=scores[cid], rank=i) for i, cid in enumerate(order[:pool], start=1)
        ]
        ranked = self.reranker.rerank(question, ranked)
        # The candidates beyond the reranked pool only tell where else a kept passage appears.
        rest = [fused[cid] for cid in order[pool:]]
        missing = [h.chunk.chunk_id for h in ranked if h.dense is None]
        if missing:
            vectors = self.index.vectors(missing)  # mostly read with the keyword hits
            ranked = [
                replace(h, dense=float(vectors[h.chunk.chunk_id] @ query))
                if h.chunk.chunk_id in vectors
                else h
                for h in ranked
            ]
        pool_ids = {h.chunk.chunk_id for h in ranked}
        distinct = drop_duplicates(ranked + rest, keep=None if s.max_per_section else k)
        return limit_per_section([h for h in distinct if h.chunk.chunk_id in pool_ids], s.max_per_section, k)


def _fuse(
    lists: Iterable[tuple[float, list[Hit]]], rrf_k: int, scores: dict[str, float], fused: dict[str, Hit]
) -> None:
    """Weighted reciprocal rank fusion into `scores` (chunk id -> sum of weight / (rrf_k +
    rank)); `fused` keeps one hit per chunk with whichever cosine and BM25 scores are known."""
    for weight, hits in lists:
        for rank, hit in enumerate(hits, start=1):
            cid = hit.chunk.chunk_id
            scores[cid] = scores.get(cid, 0.0) + weight / (rrf_k + rank)
            known = fused.get(cid)
            fused[cid] = (
                hit
                if known is None
                else replace(
                    known,
                    dense=known.dense if known.dense is not None else hit.dense,
                    keyword=known.keyword if known.keyword is not None else hit.keyword,
                )
            )


def limit_per_section(hits: list[Hit], per_section: int, k: int) -> list[Hit]:
    """The first k hits with at most `per_section` from one section (0: no limit); renumbered."""
    kept: list[Hit] = []
    count: dict[tuple[str, str], int] = {}
    for hit in hits:
        key = (hit.chunk.doc_id, hit.chunk.section)
        if per_section and count.get(key, 0) >= per_section:
            continue
        count[key] = count.get(key, 0) + 1
        kept.append(hit)
        if len(kept) == k:
            break
    return [replace(h, rank=rank) for rank, h in enumerate(kept, start=1)]


def make_retriever(index: Index, settings: RetrievalSettings, today: dt.date | None = None) -> Retriever:
    """The retriever the settings ask for. "dense" and "keyword" are the single lists (for
    comparison); "hybrid" is the whole pipeline."""
    if settings.mode == "dense":
        return DenseRetriever(index)
    if settings.mode == "keyword":
        return KeywordRetriever(index)

    def stats() -> tuple[dict[str, int], int]:
        overview = index.overview
        return overview.document_frequency, overview.chunks

    from rag_council.registry import RERANKERS

    reranker = RERANKERS.make(settings.rerank, settings, stats)
    return HybridRetriever(index, settings, reranker, today)


def variants(index: Index, settings: RetrievalSettings) -> dict[str, Retriever]:
    """The single lists and the hybrid pipeline stage by stage, for comparisons
    (evals/compare_retrievers.py, bench/ingest_query.py). The last is the configured pipeline."""
    hybrid = settings.model_copy(update={"mode": "hybrid"})
    return {
        "dense (MiniLM, Chroma)": make_retriever(index, settings.model_copy(update={"mode": "dense"})),
        "BM25 (bm25s)": make_retriever(index, settings.model_copy(update={"mode": "keyword"})),
        "hybrid: fusion only": make_retriever(
            index, hybrid.model_copy(update={"understand": False, "rerank": "none"})
        ),
        "hybrid: + question understanding": make_retriever(
            index, hybrid.model_copy(update={"rerank": "none"})
        ),
        f"hybrid: + {settings.rerank} rerank, no understanding": make_retriever(
            index, hybrid.model_copy(update={"understand": False})
        ),
        f"hybrid: understanding + {settings.rerank} rerank (default)": make_retriever(index, hybrid),
    }
