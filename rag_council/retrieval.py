"""Question -> ranked passages. Dense search over the index for now; hybrid search,
question understanding and reranking build on this contract."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Protocol

from .documents.cleaning import normalise_for_match
from .index import Index
from .types import Filters, Hit


class Retriever(Protocol):
    def retrieve(self, question: str, k: int, filters: Filters | None = None) -> list[Hit]: ...


# Two passages are the same when most of the shorter one's word 4-grams are in the other:
# a document pasted inside another (the Permanency Strategy on its own and inside the
# minutes of 14 November 2023) is chunked at other places and cleaned a little differently.
DUPLICATE_OVERLAP = 0.5
_SHINGLE = 4


def shingles(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9£%]+", normalise_for_match(text).replace("'", ""))
    if len(words) < _SHINGLE:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + _SHINGLE]) for i in range(len(words) - _SHINGLE + 1)}


def overlap(a: set, b: set) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def drop_duplicates(
    hits: list[Hit], limit: int | None = None, threshold: float = DUPLICATE_OVERLAP
) -> list[Hit]:
    """Keep the best-ranked copy of each passage; the kept chunk's meta["also_in"] names the
    other places it appears (their labels, '; '-joined). Ranks are renumbered."""
    kept: list[Hit] = []
    seen: list[set] = []
    for hit in hits:
        grams = shingles(hit.chunk.text)
        twin = next((i for i, other in enumerate(seen) if overlap(grams, other) >= threshold), None)
        if twin is None:
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
    """Dense and BM25 candidates fused by weighted reciprocal rank fusion: a chunk scores
    sum(weight / (rrf_k + rank)) over the two lists. A hit keeps its cosine (`dense`) and BM25
    (`keyword`) scores; the cosine of a keyword-only hit is computed from its stored vector,
    so that the engine judges relevance on one scale."""

    def __init__(
        self,
        index: Index,
        candidates: int = 30,
        rrf_k: int = 60,
        dense_weight: float = 1.0,
        keyword_weight: float = 1.0,
    ) -> None:
        self.index = index
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.weights = (dense_weight, keyword_weight)

    def retrieve(self, question: str, k: int, filters: Filters | None = None) -> list[Hit]:
        n = max(self.candidates, 3 * k)
        query = self.index.embedder.embed_query(question)
        dense = self.index.search_vector(query, n, filters)
        keyword = self.index.keyword_search(question, n, filters)
        fused: dict[str, Hit] = {}
        scores: dict[str, float] = {}
        for weight, hits in zip(self.weights, (dense, keyword), strict=True):
            for rank, hit in enumerate(hits, start=1):
                cid = hit.chunk.chunk_id
                scores[cid] = scores.get(cid, 0.0) + weight / (self.rrf_k + rank)
                if cid in fused:
                    fused[cid] = replace(fused[cid], keyword=hit.keyword)
                else:
                    fused[cid] = hit
        order = sorted(scores, key=lambda cid: (-scores[cid], cid))[: 3 * k]
        ranked = [replace(fused[cid], score=scores[cid], rank=i) for i, cid in enumerate(order, start=1)]
        missing = [h.chunk.chunk_id for h in ranked if h.dense is None]
        if missing:
            vectors = self.index.store.vectors(missing)
            ranked = [
                replace(h, dense=float(vectors[h.chunk.chunk_id] @ query))
                if h.chunk.chunk_id in vectors
                else h
                for h in ranked
            ]
        return drop_duplicates(ranked, k)


def make_retriever(
    index: Index,
    mode: str,
    candidates: int = 30,
    rrf_k: int = 60,
    dense_weight: float = 1.0,
    keyword_weight: float = 1.0,
) -> Retriever:
    if mode == "dense":
        return DenseRetriever(index)
    if mode == "keyword":
        return KeywordRetriever(index)
    return HybridRetriever(index, candidates, rrf_k, dense_weight, keyword_weight)
