"""An index: a store of embedded chunks, a record of what built it and what is in it, and the
cleaned documents (for context and for mapping quotes back to their source). Persistence and
search only: the ingest pipeline (files -> chunks -> vectors) is rag_council.ingest.pipeline,
which hands each document to `Index.write_document`.

Layout of indexes/<name>/:
    manifest.json     embedder, chunking and store (what the index was built with)
    index.sqlite      one record per document (hash, chunk ids, warnings), and the keyword
                      index and overview kept per document (rag_council.index.keyword)
    chroma/           the embedded Chroma database (absent when a Chroma server is used)
    docs/<id>.json    each document's cleaned text, offset map, pages and sections

Every write is per document: `write_document` and `remove_document` are the only places that
change what the index holds, and each costs time in proportion to that document. Writes are
idempotent (content-hash ids) and crash-safe: a changed document's new chunks are written
before its record (one SQLite transaction with its keyword rows), and its old chunks are
deleted after it. Several processes may open one index (app servers sharing a Chroma server
and the index folder): each sees the others' writes at its next read.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rag_council.embedding import Embedder
from rag_council.errors import IndexMismatchError, IndexNotFoundError
from rag_council.index.check import only_listed
from rag_council.index.faults import undo_new_folder
from rag_council.index.keyword import KeywordIndex, WordFrequency
from rag_council.index.lock import crash_point, index_lock, writes_index
from rag_council.index.records import RecordStore
from rag_council.index.store import (
    Store,
    batches,
    from_record,
    make_store,
    matches,
    to_metadata,
    where_clause,
)
from rag_council.retrieve.query import Catalogue
from rag_council.settings import Settings
from rag_council.types import Chunk, Document, Filters, Hit, IngestReport, PageSpan, Section

if TYPE_CHECKING:
    from rag_council.ingest.chunking import Chunker

MANIFEST_FORMAT = 2  # 1: documents in manifest.json (read, and moved to index.sqlite on open)
Progress = Callable[[str, int, int], None]  # (file name, done, total)


@dataclass
class DocumentRecord:
    name: str
    doc_id: str
    path: str
    format: str
    title: str
    pages: int
    chunk_ids: list[str]
    meta: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    ingested: str = ""


class DocumentTable(Mapping[str, DocumentRecord]):
    """The index's documents by name, read from index.sqlite, so that every process that opens
    the index sees the same ones. Read one at a time and cached until any process changes the
    index (its generation)."""

    def __init__(self, db: KeywordIndex) -> None:
        self.db = db
        self._generation = -1
        self._cache: dict[str, DocumentRecord | None] = {}
        self._lock = threading.Lock()

    def _fresh(self) -> None:
        generation = self.db.generation()
        if generation != self._generation:
            with self._lock:
                self._cache = {}
                self._generation = generation

    def __getitem__(self, name: str) -> DocumentRecord:
        self._fresh()
        if name not in self._cache:
            data = self.db.record(name)
            self._cache[name] = DocumentRecord(**data) if data else None
        record = self._cache[name]
        if record is None:
            raise KeyError(name)
        return record

    def __iter__(self) -> Iterator[str]:
        return iter(self.db.names())

    def __len__(self) -> int:
        return self.db.count()

    def values(self) -> list[DocumentRecord]:  # type: ignore[override]
        return [DocumentRecord(**data) for data in self.db.records()]

    def items(self) -> list[tuple[str, DocumentRecord]]:  # type: ignore[override]
        return [(r.name, r) for r in self.values()]

    def written(self, record: DocumentRecord | None, name: str, generation: int) -> None:
        """Our own write: keep the cache when nobody else wrote in between."""
        with self._lock:
            if generation != self._generation + 1:
                self._cache = {}
            self._cache[name] = record
            self._generation = generation


@dataclass
class Manifest:
    name: str
    embedder: str
    dimension: int
    chunking: dict[str, int]
    store: dict[str, Any]
    format: int = MANIFEST_FORMAT
    created: str = ""
    updated: str = ""
    legacy_documents: dict[str, DocumentRecord] = field(default_factory=dict, repr=False)
    documents: Mapping[str, DocumentRecord] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, path: Path) -> Manifest:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            legacy = {k: DocumentRecord(**v) for k, v in data.pop("documents", {}).items()}
            data.pop("legacy_documents", None)
            manifest = cls(**data, legacy_documents=legacy)
        except (OSError, ValueError, TypeError) as exc:
            raise IndexMismatchError(
                f"The index manifest {path} is unreadable ({exc}).",
                f"Rebuild the index: rag-council ingest --index {path.parent.name} --rebuild",
            ) from None
        if manifest.format == 1:
            manifest.format = MANIFEST_FORMAT  # its documents move to index.sqlite on open
        return manifest

    def save(self, path: Path) -> None:
        self.updated = _now()
        skip = ("legacy_documents", "documents")
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip}
        tmp = path.with_suffix(f".json.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# A filtered search is given the ids it may return in batches of at most FILTER_IDS_BATCH
# (Chroma binds each id as an SQL variable and fails past ~32,700; see index.store.BATCH);
# one selecting more than FILTER_IDS_LIMIT chunks uses the store's own filter.
FILTER_IDS_BATCH = 25_000
# A filtered search that selects at most FILTER_IDS_FEW chunks searches among them (one query);
# one that selects more first reads the nearest NARROW_FIRST chunks of the whole index (ids and
# scores), widened up to NARROW_DEPTH while the filters select fewer than asked for of them.
FILTER_IDS_FEW = 5_000
# ... and at most FILTER_IDS_NUMPY of them, by their stored vectors (numpy) instead.
FILTER_IDS_NUMPY = 300
NARROW_FIRST = 200
NARROW_DEPTH = 3_200
FILTER_IDS_LIMIT = 250_000


class Index:
    """Open with `Index.open` (must exist) or `Index.create` (opens or makes one)."""

    def __init__(
        self, settings: Settings, embedder: Embedder, store: Store, manifest: Manifest, directory: Path
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store = store
        self.manifest = manifest
        self.directory = directory
        self.name = manifest.name
        self._chunker: Chunker | None = None
        self._docs: dict[str, Document] = {}
        self.keyword = KeywordIndex(directory / "index.sqlite")
        self.manifest.documents = DocumentTable(self.keyword)
        self._overview: tuple[int, Overview] | None = None
        # Chunks and vectors read from the store, by id: an id is a hash of the document and
        # the span, so what it names never changes; fewer round trips per question.
        self._cache = _ChunkCache(4096)
        if manifest.legacy_documents:
            self._migrate(manifest.legacy_documents)

    # --- opening --------------------------------------------------------------------------

    @classmethod
    def create(
        cls, settings: Settings, embedder: Embedder, store: Store | None = None, rebuild: bool = False
    ) -> Index:
        directory = settings.index_dir()
        manifest_path = directory / "manifest.json"
        if rebuild and directory.exists():
            # Empty the store through its own client (a live Chroma client must not lose its
            # files underneath it), then forget the manifest, the records and the documents.
            with index_lock(directory, settings.index):
                store = store or make_store(settings.store, directory, settings.index)
                store.drop()
                manifest_path.unlink(missing_ok=True)
                for suffix in ("", "-wal", "-shm"):
                    (directory / f"index.sqlite{suffix}").unlink(missing_ok=True)
                (directory / "records.sqlite").unlink(missing_ok=True)
                shutil.rmtree(directory / "bm25", ignore_errors=True)
                shutil.rmtree(directory / "docs", ignore_errors=True)
        if manifest_path.exists():
            return cls.open(settings, embedder, store)
        # Under the lock (two new writers at once make one manifest); a store that cannot be
        # opened leaves no empty folder (index/faults.py, index/lock.py).
        with undo_new_folder(directory), index_lock(directory, settings.index):
            if manifest_path.exists():
                return cls.open(settings, embedder, store)
            directory.mkdir(parents=True, exist_ok=True)
            manifest = Manifest(
                name=settings.index,
                embedder=embedder.name,
                dimension=embedder.dimension,
                chunking=_chunking_signature(settings),
                store=_store_record(settings),
                created=_now(),
            )
            store = store or make_store(settings.store, directory, settings.index)
            if settings.store.host:
                store.count()  # a server that cannot be reached fails here, leaving no folder
            manifest.save(manifest_path)
        return cls(settings, embedder, store, manifest, directory)

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder, store: Store | None = None) -> Index:
        directory = settings.index_dir()
        manifest_path = directory / "manifest.json"
        if not manifest_path.exists():
            raise IndexNotFoundError(
                f"No index '{settings.index}' at {directory}.",
                f"Build it: rag-council ingest [PATH...] --index {settings.index}",
            )
        manifest = Manifest.load(manifest_path)
        check_compatible(manifest, embedder, settings)
        store = store or make_store(settings.store, directory, settings.index)
        return cls(settings, embedder, store, manifest, directory)

    def _migrate(self, legacy: dict[str, DocumentRecord]) -> None:
        """An index of format 1 (documents in manifest.json, BM25 rebuilt from every chunk):
        each document's record and keyword rows are made from its chunks in the store, one
        document at a time, then the manifest is saved without them."""
        have = self.keyword.documents()
        for name, record in legacy.items():
            if have.get(name) != record.doc_id:
                chunks = self.store.get(record.chunk_ids)
                self._write_record(record, chunks)
        self.manifest.legacy_documents = {}
        self.manifest.save(self.directory / "manifest.json")
        shutil.rmtree(self.directory / "bm25", ignore_errors=True)

    # --- writing: the one place per document ------------------------------------------------

    @property
    def chunker(self) -> Chunker:
        if self._chunker is None:
            from rag_council.ingest.chunking import Chunker

            self._chunker = Chunker(self.settings.chunking, self.embedder.tokenize)
        return self._chunker

    @writes_index  # one writer at a time (index/lock.py); a full disk or store failure named (faults.py)
    def ingest(self, paths: Iterable[str | Path], progress: Progress | None = None) -> IngestReport:
        """Files and folders into the index (see rag_council.ingest.pipeline)."""
        from rag_council.ingest.pipeline import ingest

        self._fill_facets()
        return ingest(self, paths, progress)

    def _fill_facets(self) -> None:
        """Documents of an index made before index.sqlite kept each chunk's filter keys (and
        then its text) get them, once, from their chunks in the store (a document at a time,
        in bounded reads)."""
        for name in self.keyword.unfaceted():
            ids = self.keyword.chunk_ids(name)
            by_id = {c.chunk_id: c for c in self.store.get(ids)}
            self.keyword.add_facets(name, [by_id[i] for i in ids if i in by_id])
        for name in self.keyword.untexted():
            ids = self.keyword.chunk_ids(name)
            by_id = {c.chunk_id: c for c in self.store.get(ids)}
            self.keyword.add_texts(name, [by_id[i] for i in ids if i in by_id])

    def write_document(
        self, doc: Document, chunks: list[Chunk], vectors: np.ndarray
    ) -> DocumentRecord | None:
        """Add or replace one document: its chunks and vectors, its saved text, its record and
        keyword rows. Returns the record it replaced (None when the document is new). Every
        write of a document into the index goes through here (hook further per-document
        stores, such as records, in this method)."""
        old = self.manifest.documents.get(doc.name)
        self._save_document(doc)
        crash_point("after-save-document")
        RecordStore.at(self.directory).write(doc)  # the council's records (issue 12)
        self.store.upsert(chunks, vectors)  # new first ...
        crash_point("after-upsert")
        new_ids = [c.chunk_id for c in chunks]
        record = DocumentRecord(
            name=doc.name,
            doc_id=doc.doc_id,
            path=doc.path,
            format=doc.format,
            title=doc.title,
            pages=len(doc.pages),
            chunk_ids=new_ids,
            meta=dict(doc.meta),
            warnings=list(doc.warnings),
            ingested=_now(),
        )
        self._write_record(record, chunks)
        crash_point("after-manifest")
        if old and not self.keyword.names_of(old.doc_id):  # ... then the old ones, unless
            # another name holds the same content (chunk ids are of the content, not the name)
            stale = sorted(set(old.chunk_ids) - set(new_ids))
            self.store.delete(stale)
            crash_point("after-delete")
            self._cache.drop(stale)
            if old.doc_id != doc.doc_id:
                self._doc_path(old.doc_id).unlink(missing_ok=True)
        self._docs.pop(doc.doc_id, None)
        return old

    def _write_record(self, record: DocumentRecord, chunks: list[Chunk]) -> None:
        data = asdict(record)
        data.pop("chunk_ids")
        by_id = {c.chunk_id: c for c in chunks}
        ordered = [by_id[i] for i in record.chunk_ids if i in by_id]
        self.keyword.add_document(record.name, record.doc_id, ordered, json.dumps(data, ensure_ascii=False))
        self.manifest.documents.written(record, record.name, self.keyword.generation())  # type: ignore[attr-defined]

    def remove_document(self, name: str) -> DocumentRecord | None:
        """Remove one document (its chunks, record, keyword rows and saved text); the record
        removed, or None when the index does not hold it. Every removal goes through here."""
        record = self.manifest.documents.get(name)
        if record is None:
            return None
        self.keyword.remove_document(name)
        self.manifest.documents.written(None, name, self.keyword.generation())  # type: ignore[attr-defined]
        if not self.keyword.names_of(record.doc_id):  # no other name holds the same content
            self.store.delete(record.chunk_ids)
            self._cache.drop(record.chunk_ids)
            self._doc_path(record.doc_id).unlink(missing_ok=True)
            RecordStore.at(self.directory).delete(record.doc_id)  # the council's records (issue 12)
        self._docs.pop(record.doc_id, None)
        return record

    @writes_index
    def remove(self, names: Iterable[str]) -> list[str]:
        return [name for name in names if self.remove_document(name) is not None]

    # --- documents ------------------------------------------------------------------------

    def _doc_path(self, doc_id: str) -> Path:
        return self.directory / "docs" / f"{doc_id}.json"

    def _save_document(self, doc: Document) -> None:
        path = self._doc_path(doc.doc_id)
        path.parent.mkdir(exist_ok=True)
        data = asdict(doc)
        data["pages"] = [[p.number, p.start, p.end] for p in doc.pages]
        data["sections"] = [[s.heading, s.start, s.end, list(s.path), s.meta] for s in doc.sections]
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)

    def document(self, doc_id: str) -> Document | None:
        """The cleaned document with its offset map, as ingested."""
        if doc_id in self._docs:
            return self._docs[doc_id]
        path = self._doc_path(doc_id)
        if not path.exists():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        data["pages"] = [PageSpan(*p) for p in data["pages"]]
        data["sections"] = [Section(h, s, e, tuple(p), m) for h, s, e, p, m in data["sections"]]
        data["origin"] = [tuple(r) for r in data["origin"]]
        doc = Document(**data)
        if len(self._docs) > 64:
            self._docs.clear()
        self._docs[doc_id] = doc
        return doc

    def records(self) -> list[DocumentRecord]:
        return sorted(self.manifest.documents.values(), key=lambda r: r.name)

    # --- search ---------------------------------------------------------------------------

    def search(self, question: str, k: int, filters: Filters | None = None) -> list[Hit]:
        return self.search_vector(self.embedder.embed_query(question), k, filters)

    def search_vector(self, vector: Any, k: int, filters: Filters | None = None) -> list[Hit]:
        """The k nearest chunks the filters select. A filtered search is given the ids the filters
        select, read from index.sqlite (`KeywordIndex.chunk_ids_where`): Chroma's own `where`
        is evaluated over every chunk (157-220 ms at 64k chunks), a search among given ids is
        not. The store's filter is used when the ids are not known or too many."""
        ids = None
        if filters is not None and not filters.is_empty():
            # Few selected: search among them. Many: they are among the nearest of the whole index.
            ids = self.keyword.chunk_ids_where(filters, FILTER_IDS_FEW)
            near = self._nearest_selected(vector, k, filters) if ids is None else None
            if near is not None:
                chunks = {c.chunk_id: c for c in self.chunks([i for i, _ in near])}
                found = [(chunks[i], score) for i, score in near if i in chunks]
                return [
                    Hit(chunk, score, rank, dense=score)
                    for rank, (chunk, score) in enumerate(only_listed(self, found), start=1)
                ]
            if ids is None:
                ids = self.keyword.chunk_ids_where(filters, FILTER_IDS_LIMIT)
        if ids is not None and len(ids) <= FILTER_IDS_NUMPY:
            found = self._cosine_among(vector, list(dict.fromkeys(ids)), k)
        elif ids is not None:
            ids = list(dict.fromkeys(ids))
            found = []
            texts = self.keyword.has_texts()
            for batch in batches(ids, FILTER_IDS_BATCH):  # the k best of each batch, merged
                found += (
                    self._nearest_chunks(vector, k, batch)
                    if texts
                    else self.store.search(vector, k, ids=batch)
                )
            if len(ids) > FILTER_IDS_BATCH:
                found = sorted(found, key=lambda item: (-item[1], item[0].chunk_id))[:k]
        elif (filters is None or filters.is_empty()) and self.keyword.has_texts():
            found = self._nearest_chunks(vector, k)
        else:
            found = self.store.search(vector, k, filters)
        results = only_listed(self, found)  # no orphans (index/check.py)
        return [Hit(chunk, score, rank, dense=score) for rank, (chunk, score) in enumerate(results, start=1)]

    def _nearest_chunks(self, vector: Any, k: int, ids: list[str] | None = None) -> list[tuple[Chunk, float]]:
        """`store.search` (unfiltered, or among `ids`) as the store's ids and scores with the
        passages read from index.sqlite: the same search, without the store's texts and
        metadata (most of its cost: ~0.2 ms a chunk at 101k), and a question's passages are
        often read already."""
        near = self.store.nearest(vector, k, ids)
        chunks = {c.chunk_id: c for c in self.chunks([i for i, _ in near])}
        return [(chunks[i], score) for i, score in near if i in chunks]

    def _cosine_among(self, vector: Any, ids: list[str], k: int) -> list[tuple[Chunk, float]]:
        """The k nearest of a few chunks by their stored vectors, exactly (numpy): for a few
        hundred ids, reading their vectors costs a fraction of Chroma's search among them
        (at 101k chunks, 86 ids: 4.6 ms CPU against 60)."""
        vectors = self.vectors(ids)
        held = [i for i in ids if i in vectors]
        if not held:
            return []
        matrix = np.stack([vectors[i] for i in held]).astype(np.float32)
        query = np.asarray(vector, dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1) * (float(np.linalg.norm(query)) or 1.0)
        scores = (matrix @ query) / np.where(norms > 0, norms, 1.0)
        order = sorted(range(len(held)), key=lambda j: (-float(scores[j]), held[j]))[:k]
        chunks = {c.chunk_id: c for c in self.chunks([held[j] for j in order])}
        return [(chunks[held[j]], float(scores[j])) for j in order if held[j] in chunks]

    def _nearest_selected(self, vector: Any, k: int, filters: Filters) -> list[tuple[str, float]] | None:
        """The k nearest chunks the filters select, read off the nearest chunks of the whole
        index (ids and scores only, which is cheap even for a long list; index.sqlite says which
        are selected): the first k selected of the whole ranking are the k best selected. The
        list is widened while too few are selected, up to NARROW_DEPTH; None past that (or when
        index.sqlite cannot say), and the caller searches among the selected ids."""
        total = self.keyword.totals()[0]
        depth = min(max(NARROW_FIRST, 4 * k), total)
        while depth > 0:
            near = self.store.nearest(vector, depth)
            chosen = self.keyword.selected([i for i, _ in near], filters)
            if chosen is None:
                return None
            keep = [(i, score) for i, score in near if i in chosen][:k]
            if len(keep) >= k or len(near) < depth or depth >= total:
                return keep
            if depth >= NARROW_DEPTH:
                return None
            depth = min(4 * depth, NARROW_DEPTH, total)
        return None

    @property
    def overview(self) -> Overview:
        """What the index holds, for reading questions (committees, types, titles) and
        weighting their words (document frequencies); kept per document in index.sqlite."""
        generation = self.keyword.generation()
        if self._overview is None or self._overview[0] != generation:
            titles = {r.name: r.title for r in self.manifest.documents.values()}
            catalogue = Catalogue(
                tuple(self.keyword.facets("committee")), tuple(self.keyword.facets("doc_type")), titles
            )
            self._overview = (
                generation,
                Overview(catalogue, self.keyword.word_frequency(), self.keyword.totals()[0]),
            )
        return self._overview[1]

    def neighbours(self, chunk: Chunk, before: int = 1, after: int = 1) -> tuple[list[Chunk], list[Chunk]]:
        """The chunks just before and after `chunk` in its document and section, in reading order."""
        return self.neighbours_of([chunk], before, after)[0]

    def neighbours_of(
        self, chunks: list[Chunk], before: int = 1, after: int = 1
    ) -> list[tuple[list[Chunk], list[Chunk]]]:
        """`neighbours` of several chunks, read from the store in one call."""
        wanted: list[list[str]] = []
        for chunk in chunks:
            record = self.manifest.documents.get(chunk.document)
            if record is None or chunk.chunk_id not in record.chunk_ids:
                wanted.append([])
                continue
            at = record.chunk_ids.index(chunk.chunk_id)
            wanted.append(
                record.chunk_ids[max(0, at - before) : at] + record.chunk_ids[at + 1 : at + 1 + after]
            )
        every = list(dict.fromkeys(i for ids in wanted for i in ids))
        found = {c.chunk_id: c for c in self.chunks(every)} if every else {}
        out = []
        for chunk, ids in zip(chunks, wanted, strict=True):
            same = [found[i] for i in ids if i in found and found[i].section == chunk.section]
            out.append(([c for c in same if c.seq < chunk.seq], [c for c in same if c.seq > chunk.seq]))
        return out

    def keyword_search(self, question: str, k: int, filters: Filters | None = None) -> list[Hit]:
        """BM25 hits, best first, filtered like the vector search."""
        where = where_clause(filters)
        found = self.keyword.search(question, k if where is None else max(4 * k, 100))
        if where is not None and filters is not None:
            # Only the hits the filters select are read from the store (index.sqlite says which).
            selected = self.keyword.selected([i for i, _ in found], filters)
            if selected is not None:
                found = [(i, score) for i, score in found if i in selected][:k]
        chunks = {c.chunk_id: c for c in self.chunks([i for i, _ in found], vectors=True)}
        hits = []
        for chunk_id, score in found:
            chunk = chunks.get(chunk_id)
            if chunk is not None and matches(to_metadata(chunk), where):
                hits.append(Hit(chunk, score, len(hits) + 1, keyword=score))
        return hits[:k]

    def chunks(self, chunk_ids: list[str], vectors: bool = False) -> list[Chunk]:
        """The chunks of these ids that the index holds, in that order (from memory, then
        index.sqlite, then the store); with `vectors`, the vectors of those read from the store
        are read in the same call (for `vectors` after it)."""
        known = self._cache.chunks(chunk_ids)
        missing = [i for i in dict.fromkeys(chunk_ids) if i not in known]
        rows = self.keyword.chunk_rows(missing) if missing else None
        if rows:  # index.sqlite holds the texts and metadata (vectors stay in the store)
            got = [from_record(i, *rows[i]) for i in missing if i in rows]
            self._cache.put(got, {})
            known.update((c.chunk_id, c) for c in got)
            missing = [i for i in missing if i not in rows]
        if missing:  # an index older than chunk_texts, or ids it does not hold
            fetch = getattr(self.store, "fetch", None)
            if vectors and fetch is not None:
                got, vecs = fetch(missing)
            else:
                got, vecs = self.store.get(missing), {}
            self._cache.put(got, vecs)
            known.update((c.chunk_id, c) for c in got)
        return [known[i] for i in chunk_ids if i in known]

    def vectors(self, chunk_ids: list[str]) -> dict[str, np.ndarray]:
        """Stored vectors of these chunks (those read with their chunks come from memory)."""
        known = self._cache.vectors(chunk_ids)
        missing = [i for i in dict.fromkeys(chunk_ids) if i not in known]
        if missing:
            known.update(self.store.vectors(missing))
        return known

    def count(self) -> int:
        return self.store.count()


class _ChunkCache:
    """The last `size` chunks (and vectors) read, by id."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._chunks: OrderedDict[str, Chunk] = OrderedDict()
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def chunks(self, ids: list[str]) -> dict[str, Chunk]:
        with self._lock:
            return {i: self._chunks[i] for i in ids if i in self._chunks}

    def vectors(self, ids: list[str]) -> dict[str, np.ndarray]:
        with self._lock:
            return {i: self._vectors[i] for i in ids if i in self._vectors}

    def drop(self, ids: list[str]) -> None:
        with self._lock:
            for i in ids:
                self._chunks.pop(i, None)
                self._vectors.pop(i, None)

    def put(self, chunks: list[Chunk], vectors: dict[str, np.ndarray]) -> None:
        with self._lock:
            for chunk in chunks:
                self._chunks[chunk.chunk_id] = chunk
            self._vectors.update(vectors)
            for table in (self._chunks, self._vectors):
                while len(table) > self.size:
                    table.popitem(last=False)


@dataclass
class Overview:
    catalogue: Catalogue
    document_frequency: Mapping[str, int] | WordFrequency  # stemmed word -> chunks holding it
    chunks: int


def _chunking_signature(settings: Settings) -> dict[str, int]:
    from rag_council.ingest.chunking import chunking_signature

    return chunking_signature(settings.chunking)


def _store_record(settings: Settings) -> dict[str, Any]:
    return {
        "kind": settings.store.kind,
        "server": bool(settings.store.host),
        "collection": settings.store.collection,
    }


def check_compatible(manifest: Manifest, embedder: Embedder, settings: Settings) -> None:
    wanted_chunking = _chunking_signature(settings)
    problems = []
    if manifest.format != MANIFEST_FORMAT:
        problems.append(f"index format {manifest.format} (this version reads {MANIFEST_FORMAT})")
    if manifest.embedder != embedder.name:
        problems.append(f"embedder '{manifest.embedder}' (settings give '{embedder.name}')")
    if manifest.chunking != wanted_chunking:
        problems.append(f"chunking {manifest.chunking} (settings give {wanted_chunking})")
    if problems:
        raise IndexMismatchError(
            f"Index '{manifest.name}' was built with " + " and ".join(problems) + ".",
            f"Rebuild it with the current settings: rag-council ingest [PATH...] --index {manifest.name} --rebuild",
        )
