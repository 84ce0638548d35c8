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
