"""The Store role: chunks and their vectors in, nearest chunks out.

`ChromaStore` is the default: embedded (`PersistentClient` under the index folder) or a Chroma
server (`HttpClient`), with telemetry off and embeddings always supplied by us (the collection
has no embedding function, so Chroma never downloads one). `MemoryStore` is the fake for tests.
Chunk <-> metadata conversion lives here, once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from rag_council.errors import StoreError
from rag_council.settings import StoreSettings
from rag_council.types import Chunk, Filters

_FIELDS_INT = ("start", "end", "seq", "page", "page_end", "source_start", "source_end")
_FIELDS_STR = ("doc_id", "document", "title", "section")
_RESERVED = set(_FIELDS_INT) | set(_FIELDS_STR)


class Store(Protocol):
    def upsert(self, chunks: list[Chunk], vectors: np.ndarray) -> None: ...

    def search(
        self, vector: np.ndarray, k: int, filters: Filters | None = None, ids: list[str] | None = None
    ) -> list[tuple[Chunk, float]]:
        """The k nearest chunks, of those the filters select (and, with `ids`, only of those
        ids: a filter already worked out as the ids it selects)."""
        ...

    def nearest(self, vector: np.ndarray, k: int, ids: list[str] | None = None) -> list[tuple[str, float]]:
        """The ids and scores of the k nearest chunks (with `ids`, of those ids only), without
        their texts (cheap for a large k): the same search as `search`."""
        ...

    def delete(self, chunk_ids: list[str]) -> None: ...

    def get(self, chunk_ids: list[str]) -> list[Chunk]: ...

    def count(self) -> int: ...

    def drop(self) -> None: ...

    def vectors(self, chunk_ids: list[str]) -> dict[str, np.ndarray]: ...


def key(value: str) -> str:
    """Case- and punctuation-insensitive form used for matching filter values."""
    return re.sub(r"[^a-z0-9]+", " ", value.lower()).strip()


def date_num(iso: str) -> int | None:
    digits = re.sub(r"\D", "", iso)[:8]
    return int(digits.ljust(8, "0")) if len(digits) >= 4 else None


def to_metadata(chunk: Chunk) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for name in _FIELDS_STR:
        meta[name] = getattr(chunk, name) or ""
    for name in _FIELDS_INT:
        value = getattr(chunk, name)
        if value is not None:
            meta[name] = int(value)
    for name, value in chunk.meta.items():
        if name not in _RESERVED and value is not None and value != "":
            meta[name] = value
    # Derived keys for filtering.
    if chunk.meta.get("committee"):
        meta["committee_key"] = key(str(chunk.meta["committee"]))
    if chunk.meta.get("doc_type"):
        meta["doc_type_key"] = key(str(chunk.meta["doc_type"]))
    if chunk.meta.get("date") and (num := date_num(str(chunk.meta["date"]))):
        meta["date_num"] = num
    return meta


def from_record(chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
    extra = {
        k: v
        for k, v in meta.items()
        if k not in _RESERVED and k not in ("committee_key", "doc_type_key", "date_num")
    }
    return Chunk(
        chunk_id=chunk_id,
        doc_id=str(meta.get("doc_id", "")),
        document=str(meta.get("document", "")),
        text=text,
        start=int(meta.get("start", 0)),
        end=int(meta.get("end", 0)),
        seq=int(meta.get("seq", 0)),
        title=str(meta.get("title", "")),
        section=str(meta.get("section", "")),
        page=meta.get("page"),
        page_end=meta.get("page_end"),
        source_start=meta.get("source_start"),
        source_end=meta.get("source_end"),
        meta=extra,
    )


def where_clause(filters: Filters | None) -> dict[str, Any] | None:
    if filters is None or filters.is_empty():
        return None
    terms: list[dict[str, Any]] = []
    if filters.committee:
        terms.append({"committee_key": key(filters.committee)})
    if filters.doc_type:
        terms.append({"doc_type_key": key(filters.doc_type)})
    if filters.since:
        terms.append({"date_num": {"$gte": int(filters.since.strftime("%Y%m%d"))}})
    if filters.until:
        terms.append({"date_num": {"$lte": int(filters.until.strftime("%Y%m%d"))}})
    if filters.documents:
        terms.append({"document": {"$in": list(filters.documents)}})
    return terms[0] if len(terms) == 1 else {"$and": terms}


def matches(meta: dict[str, Any], where: dict[str, Any] | None) -> bool:
    """Evaluate a where clause of the subset built above (for MemoryStore)."""
    if not where:
        return True
    if "$and" in where:
        return all(matches(meta, term) for term in where["$and"])
    ((name, cond),) = where.items()
    value = meta.get(name)
    if not isinstance(cond, dict):
        return value == cond
    ((op, arg),) = cond.items()
    if value is None:
        return False
    return {
        "$gte": lambda: value >= arg,
        "$lte": lambda: value <= arg,
        "$in": lambda: value in arg,
        "$eq": lambda: value == arg,
    }[op]()


# Chroma (1.5) binds every id of a get/delete as one SQL variable and fails past ~32,700 of
# them ("too many SQL variables"); no call to it may grow with the index, so every call that
# takes ids is cut into batches of at most this many.
BATCH = 5000


def batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), max(1, size)):
        yield items[i : i + size]


class ChromaStore:
    """Connects on first use, so that opening an index that needs nothing from the store (an
    unchanged re-ingest) neither imports chromadb nor opens its database."""

    def __init__(
        self, settings: StoreSettings, index_dir: Path, index_name: str, batch_size: int = BATCH
    ) -> None:
        self.batch_size = batch_size
        self.settings = settings
        self.index_dir = index_dir
        name = f"{settings.collection}-{index_name}" if settings.host else settings.collection
        self._name = _collection_name(name)
        self._client: Any = None
        self._collection: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._connect()
        return self._client

    @property
    def collection(self) -> Any:
        if self._collection is None:
            self._connect()
        return self._collection

    @collection.setter
    def collection(self, value: Any) -> None:
        self._collection = value

    def _connect(self) -> None:
        settings, index_dir = self.settings, self.index_dir
        try:
            import chromadb
            from chromadb.config import Settings as ChromaSettings

            chroma_settings = ChromaSettings(anonymized_telemetry=False)
            if settings.host:
                client = chromadb.HttpClient(
                    host=settings.host, port=settings.port, ssl=settings.ssl, settings=chroma_settings
                )
            else:
                client = chromadb.PersistentClient(path=str(index_dir / "chroma"), settings=chroma_settings)
            self._client = client
            self._collection = self._open_collection()
            self.batch_size = min(self.batch_size, int(client.get_max_batch_size()))
        except StoreError:
            raise
        except Exception as exc:
            self._client = None
            where = (
                f"the Chroma server at {settings.host}:{settings.port}"
                if settings.host
                else f"{index_dir / 'chroma'}"
            )
            raise StoreError(
                f"Could not open {where}: {type(exc).__name__}: {str(exc)[:200]}.",
                "Check that the server is running (`chroma run --path DIR`), or unset RAG_COUNCIL_STORE__HOST for the embedded store."
                if settings.host
                else "Check permissions and disk space, or rebuild the index with `rag-council ingest --rebuild`.",
            ) from None

    def _open_collection(self) -> Any:
        return self.client.get_or_create_collection(
            name=self._name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )

    def upsert(self, chunks: list[Chunk], vectors: np.ndarray) -> None:
        step = self.batch_size
        for i in range(0, len(chunks), step):
            batch = chunks[i : i + step]
            self.collection.upsert(
                ids=[c.chunk_id for c in batch],
                embeddings=np.asarray(vectors[i : i + step], dtype=np.float32),
                documents=[c.text for c in batch],
                metadatas=[to_metadata(c) for c in batch],
            )

    def search(
        self, vector: np.ndarray, k: int, filters: Filters | None = None, ids: list[str] | None = None
    ) -> list[tuple[Chunk, float]]:
        # One round trip: Chroma returns fewer than k when it holds fewer (none when empty).
        if ids is not None and not ids:
            return []
        result = self._query_held(vector, k, filters, ids)
        if result is None:
            return []
        ids = result["ids"][0]
        docs = result["documents"][0]  # type: ignore[index]
        metas = result["metadatas"][0]  # type: ignore[index]
        dists = result["distances"][0]  # type: ignore[index]
        return [
            (from_record(i, d or "", dict(m or {})), 1.0 - float(x))
            for i, d, m, x in zip(ids, docs, metas, dists, strict=True)
        ]

    def nearest(self, vector: np.ndarray, k: int, ids: list[str] | None = None) -> list[tuple[str, float]]:
        if ids is not None and not ids:
            return []
        result = self._query_held(vector, k, None, ids, include=["distances"])
        if result is None:
            return []
        return [(i, 1.0 - float(x)) for i, x in zip(result["ids"][0], result["distances"][0], strict=True)]  # type: ignore[index]

    def _query_held(
        self, vector: np.ndarray, k: int, filters: Filters | None, ids: list[str] | None, **kw: Any
    ) -> Any:
        """`_query`, among the ids the store holds when it names some it does not (None: none)."""
        try:
            return self._query(vector, k, filters, ids, **kw)
        except Exception as exc:
            # Chroma fails a query naming an id it does not hold ("Error finding id"); ids come
            # from index.sqlite, which a crash between two writes can leave ahead of the store.
            if ids is None or "finding id" not in str(exc):
                raise
            held = [
                i
                for batch in batches(ids, self.batch_size)
                for i in self.collection.get(ids=batch, include=[])["ids"]
            ]
            return self._query(vector, k, filters, held, **kw) if held else None

    def _query(
        self,
        vector: np.ndarray,
        k: int,
        filters: Filters | None,
        ids: list[str] | None,
        include: list[str] | None = None,
    ) -> Any:
        return self.collection.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)],
            n_results=k,
            where=where_clause(filters),
            ids=ids,
            include=include or ["documents", "metadatas", "distances"],  # type: ignore[arg-type]
        )

    def delete(self, chunk_ids: list[str]) -> None:
        for batch in batches(chunk_ids, self.batch_size):
            self.collection.delete(ids=batch)

    def get(self, chunk_ids: list[str]) -> list[Chunk]:
        found: dict[str, Chunk] = {}
        for batch in batches(list(dict.fromkeys(chunk_ids)), self.batch_size):
            result = self.collection.get(ids=batch, include=["documents", "metadatas"])
            for i, d, m in zip(result["ids"], result["documents"], result["metadatas"], strict=True):  # type: ignore[arg-type]
                found[i] = from_record(i, d or "", dict(m or {}))
        return [found[i] for i in chunk_ids if i in found]

    def count(self) -> int:
        return self.collection.count()

    def fetch(self, chunk_ids: list[str]) -> tuple[list[Chunk], dict[str, np.ndarray]]:
        """`get` and `vectors` in one call per batch."""
        found: dict[str, Chunk] = {}
        vectors: dict[str, np.ndarray] = {}
        for batch in batches(list(dict.fromkeys(chunk_ids)), self.batch_size):
            result = self.collection.get(ids=batch, include=["documents", "metadatas", "embeddings"])
            for i, d, m, v in zip(
                result["ids"], result["documents"], result["metadatas"], result["embeddings"], strict=True
            ):  # type: ignore[arg-type]
                found[i] = from_record(i, d or "", dict(m or {}))
                vectors[i] = np.asarray(v, dtype=np.float32)
        return [found[i] for i in chunk_ids if i in found], vectors

    def vectors(self, chunk_ids: list[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for batch in batches(list(dict.fromkeys(chunk_ids)), self.batch_size):
            result = self.collection.get(ids=batch, include=["embeddings"])
            for i, v in zip(result["ids"], result["embeddings"], strict=True):  # type: ignore[arg-type]
                out[i] = np.asarray(v, dtype=np.float32)
        return out

    def ids(self) -> Iterator[list[str]]:
        """Every chunk id the store holds, a batch at a time (for repairs and migrations)."""
        offset = 0
        while True:
            result = self.collection.get(include=[], limit=self.batch_size, offset=offset)
            if not result["ids"]:
                return
            yield list(result["ids"])
            offset += len(result["ids"])

    def drop(self) -> None:
        """Delete every chunk (the collection is dropped and made again, empty)."""
        self.client.delete_collection(self._name)
        self._collection = self._open_collection()


def _collection_name(name: str) -> str:
    cleaned = re.sub(r"[^a-zA-Z0-9._-]+", "-", name).strip("-._")
    return (cleaned + "---")[: max(3, len(cleaned))] if len(cleaned) < 3 else cleaned[:512]


class MemoryStore:
    """In-memory fake with the same behaviour (cosine scores, the same filters)."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[Chunk, np.ndarray, dict[str, Any]]] = {}

    def upsert(self, chunks: list[Chunk], vectors: np.ndarray) -> None:
        for chunk, vector in zip(chunks, vectors, strict=True):
            self.rows[chunk.chunk_id] = (chunk, np.asarray(vector, dtype=np.float32), to_metadata(chunk))

    def search(
        self, vector: np.ndarray, k: int, filters: Filters | None = None, ids: list[str] | None = None
    ) -> list[tuple[Chunk, float]]:
        where = where_clause(filters)
        allowed = None if ids is None else set(ids)
        scored = [
            (chunk, float(np.dot(vec, vector) / ((np.linalg.norm(vec) * np.linalg.norm(vector)) or 1.0)))
            for chunk, vec, meta in self.rows.values()
            if matches(meta, where) and (allowed is None or chunk.chunk_id in allowed)
        ]
        scored.sort(key=lambda item: (-item[1], item[0].chunk_id))
        return scored[:k]

    def nearest(self, vector: np.ndarray, k: int, ids: list[str] | None = None) -> list[tuple[str, float]]:
        return [(c.chunk_id, score) for c, score in self.search(vector, k, ids=ids)]

    def delete(self, chunk_ids: list[str]) -> None:
        for chunk_id in chunk_ids:
            self.rows.pop(chunk_id, None)

    def get(self, chunk_ids: list[str]) -> list[Chunk]:
        return [self.rows[i][0] for i in chunk_ids if i in self.rows]

    def ids(self) -> Iterator[list[str]]:
        keys = list(self.rows)
        yield from batches(keys, BATCH) if keys else iter(())

    def count(self) -> int:
        return len(self.rows)

    def vectors(self, chunk_ids: list[str]) -> dict[str, np.ndarray]:
        return {i: self.rows[i][1] for i in chunk_ids if i in self.rows}

    def fetch(self, chunk_ids: list[str]) -> tuple[list[Chunk], dict[str, np.ndarray]]:
        return self.get(chunk_ids), self.vectors(chunk_ids)

    def drop(self) -> None:
        self.rows.clear()


def make_store(settings: StoreSettings, index_dir: Path, index_name: str) -> Store:
    if settings.kind == "memory":
        return MemoryStore()
    return ChromaStore(settings, index_dir, index_name)
