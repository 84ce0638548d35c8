"""The keyword side of hybrid search: BM25 (bm25s) over the same chunks as the vector store,
persisted beside it in indexes/<name>/bm25/.

It is derived data: rebuilt from the store's chunks whenever an ingest or a removal changes
the index, and on opening when its record of chunk ids does not match the manifest (after a
crash, say). So it can never answer with chunks the store no longer has.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np

from rag_council.text import STOPWORDS, stem, words


def tokens(text: str) -> list[str]:
    """Lower-cased, lightly stemmed words without stopwords; numbers and amounts kept whole."""
    out = []
    for word in words(text):
        if word in STOPWORDS:
            continue
        out.append(word if word[0].isdigit() or word[0] in "£$" else stem(word))
    return out


def signature(chunk_ids: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(chunk_ids)).encode()).hexdigest()[:16]


class KeywordIndex:
    def __init__(self, model: object, chunk_ids: list[str], sig: str) -> None:
        self.model = model
        self.chunk_ids = chunk_ids
        self.signature = sig

    @classmethod
    def build(cls, directory: Path, chunk_ids: list[str], texts: list[str]) -> KeywordIndex:
        import bm25s

        model = bm25s.BM25(k1=1.2, b=0.75)
        corpus = [tokens(t) or ["∅"] for t in texts]
        sig = signature(chunk_ids)
        if chunk_ids:
            model.index(corpus, show_progress=False)
        tmp = directory.with_name(directory.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if chunk_ids:
            model.save(str(tmp), show_progress=False)
        (tmp / "ids.json").write_text(
            json.dumps({"signature": sig, "chunk_ids": chunk_ids}), encoding="utf-8"
        )
        shutil.rmtree(directory, ignore_errors=True)
        os.replace(tmp, directory)
        return cls(model, chunk_ids, sig)

    @classmethod
    def load(cls, directory: Path) -> KeywordIndex | None:
        import bm25s

        ids_file = directory / "ids.json"
        if not ids_file.exists():
            return None
        try:
            data = json.loads(ids_file.read_text(encoding="utf-8"))
            model = bm25s.BM25.load(str(directory), show_progress=False) if data["chunk_ids"] else None
        except (OSError, ValueError, KeyError):
            return None
        return cls(model, data["chunk_ids"], data["signature"])

    def search(self, question: str, k: int) -> list[tuple[str, float]]:
        query = [t for t in tokens(question) if self.model is not None and t in self.model.vocab_dict]
        if not query or not self.chunk_ids:
            return []
        k = min(k, len(self.chunk_ids))
        docs, scores = self.model.retrieve([query], k=k, show_progress=False, n_threads=1)  # type: ignore[attr-defined]
        out = []
        for i, score in zip(np.asarray(docs[0]).tolist(), np.asarray(scores[0]).tolist(), strict=True):
            if score > 0:
                out.append((self.chunk_ids[int(i)], float(score)))
        return out
