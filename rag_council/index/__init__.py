"""An index: a store of embedded chunks, a manifest of what built it and what is in it, and
the cleaned documents (for context and for mapping quotes back to their source).

Layout of indexes/<name>/:
    manifest.json     embedder, chunking, and one entry per document (hash, chunk ids, warnings)
    chroma/           the embedded Chroma database (absent when a Chroma server is used)
    bm25/             the keyword index over the same chunks (rebuilt when they change)
    docs/<id>.json    each document's cleaned text, offset map, pages and sections

Ingest is idempotent (content-hash ids) and crash-safe: a changed document's new chunks are
written before its old ones are deleted, and the manifest is replaced atomically after each
document.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rag_council.embedding import Embedder
from rag_council.errors import IndexMismatchError, IndexNotFoundError, LoaderError, RagCouncilError
from rag_council.index.check import only_listed
from rag_council.index.faults import raise_write_fault, undo_new_folder
from rag_council.index.keyword import KeywordIndex, signature
from rag_council.index.lock import crash_point, index_lock, writes_index
from rag_council.index.store import Store, make_store, matches, to_metadata, where_clause
from rag_council.ingest import discover, load_document
from rag_council.ingest.chunking import Chunker, chunking_signature, embedding_text
from rag_council.retrieve.query import Catalogue
from rag_council.settings import Settings
from rag_council.text import stem, words
from rag_council.types import Chunk, Document, Filters, Hit, IngestReport, PageSpan, Section, SkippedFile

MANIFEST_FORMAT = 1
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


@dataclass
class Manifest:
    name: str
    embedder: str
    dimension: int
    chunking: dict[str, int]
    store: dict[str, Any]
    documents: dict[str, DocumentRecord] = field(default_factory=dict)
    format: int = MANIFEST_FORMAT
    created: str = ""
    updated: str = ""

    @classmethod
    def load(cls, path: Path) -> Manifest:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            docs = {k: DocumentRecord(**v) for k, v in data.pop("documents", {}).items()}
            return cls(**data, documents=docs)
        except (OSError, ValueError, TypeError) as exc:
            raise IndexMismatchError(
                f"The index manifest {path} is unreadable ({exc}).",
                f"Rebuild the index: rag-council ingest --index {path.parent.name} --rebuild",
            ) from None

    def save(self, path: Path) -> None:
        self.updated = _now()
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(asdict(self), indent=1, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


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
        self._keyword: KeywordIndex | None = None
        self._overview: Overview | None = None

    # --- opening --------------------------------------------------------------------------

    @classmethod
    def create(
        cls, settings: Settings, embedder: Embedder, store: Store | None = None, rebuild: bool = False
    ) -> Index:
        directory = settings.index_dir()
        manifest_path = directory / "manifest.json"
        if rebuild and directory.exists():
            # Empty the store through its own client (a live Chroma client must not lose its
            # files underneath it), then forget the manifest and the saved documents.
            with index_lock(directory, settings.index):
                store = store or make_store(settings.store, directory, settings.index)
                store.drop()
                manifest_path.unlink(missing_ok=True)
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
                chunking=chunking_signature(settings.chunking),
                store=_store_record(settings),
                created=_now(),
            )
            store = store or make_store(settings.store, directory, settings.index)
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

    # --- ingest ---------------------------------------------------------------------------

    @property
    def chunker(self) -> Chunker:
        if self._chunker is None:
            self._chunker = Chunker(self.settings.chunking, self.embedder.tokenize)
        return self._chunker

    @writes_index  # one writer at a time; the manifest re-read under the lock (index/lock.py)
    def ingest(self, paths: Iterable[str | Path], progress: Progress | None = None) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport(index=self.name)
        found = discover([Path(p) for p in paths])
        report.skipped.extend(found.skipped)
        max_bytes = int(self.settings.max_file_mb * 1e6)
        total = len(found.files)
        for done, (path, name) in enumerate(found.files):
            if progress:
                progress(name, done, total)
            try:
                doc = load_document(path, name, max_bytes)
                self._ingest_document(doc, report)
            except LoaderError as exc:
                report.skipped.append(SkippedFile(name, str(exc)))
            except RagCouncilError:
                raise  # store or configuration trouble: stop, the index is as it was
            except Exception as exc:  # a bug on one odd file must not stop the rest
                raise_write_fault(exc, self.directory)  # ... but a full disk or store failure does
                report.skipped.append(
                    SkippedFile(name, f"unexpected error while reading: {type(exc).__name__}: {exc}")
                )
        crash_point("before-keyword")
        if report.added or report.replaced:
            self.rebuild_keyword_index()
        else:
            self._checked_keyword_index()
        if progress:
            progress("", total, total)
        report.documents = len(self.manifest.documents)
        report.chunks = sum(len(r.chunk_ids) for r in self.manifest.documents.values())
        report.seconds = time.perf_counter() - started
        return report

    def _ingest_document(self, doc: Document, report: IngestReport) -> None:
        report.pages += len(doc.pages)
        old = self.manifest.documents.get(doc.name)
        if old and old.doc_id == doc.doc_id:
            report.unchanged.append(doc.name)
            return
        chunks = self.chunker.chunk(doc)
        if not chunks:
            report.skipped.append(SkippedFile(doc.name, "no text left after cleaning"))
            return
        vectors = self.embedder.embed([embedding_text(c) for c in chunks])
        self._save_document(doc)
        crash_point("after-save-document")
        self.store.upsert(chunks, vectors)  # new first ...
        crash_point("after-upsert")
        new_ids = [c.chunk_id for c in chunks]
        if old:
            stale = sorted(set(old.chunk_ids) - set(new_ids))
            self.store.delete(stale)  # ... then the old ones
            crash_point("after-delete")
            if old.doc_id != doc.doc_id:
                self._doc_path(old.doc_id).unlink(missing_ok=True)
            report.replaced.append(doc.name)
        else:
            report.added.append(doc.name)
        self.manifest.documents[doc.name] = DocumentRecord(
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
        if doc.warnings:
            report.warnings[doc.name] = list(doc.warnings)
        self.manifest.save(self.directory / "manifest.json")
        crash_point("after-manifest")
        self._docs.pop(doc.doc_id, None)

    @writes_index
    def remove(self, names: Iterable[str]) -> list[str]:
        removed = []
        for name in names:
            record = self.manifest.documents.pop(name, None)
            if record is None:
                continue
            self.store.delete(record.chunk_ids)
            self._doc_path(record.doc_id).unlink(missing_ok=True)
            removed.append(name)
        self.manifest.save(self.directory / "manifest.json")
        self.rebuild_keyword_index()
        return removed

    # --- documents ------------------------------------------------------------------------

    def _doc_path(self, doc_id: str) -> Path:
        return self.directory / "docs" / f"{doc_id}.json"

    def _save_document(self, doc: Document) -> None:
        path = self._doc_path(doc.doc_id)
        path.parent.mkdir(exist_ok=True)
        data = asdict(doc)
        data["pages"] = [[p.number, p.start, p.end] for p in doc.pages]
        data["sections"] = [[s.heading, s.start, s.end, list(s.path), s.meta] for s in doc.sections]
        tmp = path.with_suffix(".tmp")
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
        self._docs[doc_id] = doc
        return doc

    def records(self) -> list[DocumentRecord]:
        return sorted(self.manifest.documents.values(), key=lambda r: r.name)

    # --- search ---------------------------------------------------------------------------

    def search(self, question: str, k: int, filters: Filters | None = None) -> list[Hit]:
        return self.search_vector(self.embedder.embed_query(question), k, filters)

    def search_vector(self, vector: Any, k: int, filters: Filters | None = None) -> list[Hit]:
        results = only_listed(self, self.store.search(vector, k, filters))  # no orphans (index/check.py)
        return [Hit(chunk, score, rank, dense=score) for rank, (chunk, score) in enumerate(results, start=1)]

    def all_chunk_ids(self) -> list[str]:
        return [i for r in self.records() for i in r.chunk_ids]

    def _checked_keyword_index(self) -> KeywordIndex:
        """The keyword index, rebuilt when it is missing or its chunk ids are not the
        manifest's (after a crash, say)."""
        current = self._keyword or KeywordIndex.load(self.directory / "bm25")
        if current is None or current.signature != signature(self.all_chunk_ids()):
            return self.rebuild_keyword_index()
        self._keyword = current
        return current

    def rebuild_keyword_index(self) -> KeywordIndex:
        """BM25 over every chunk the store holds (with its heading and label, like the vectors)."""
        ids = self.all_chunk_ids()
        chunks = {c.chunk_id: c for c in self.store.get(ids)} if ids else {}
        ids = [i for i in ids if i in chunks]
        texts = [f"{chunks[i].label}\n{embedding_text(chunks[i])}" for i in ids]
        self._keyword = KeywordIndex.build(self.directory / "bm25", ids, texts)
        self._overview = Overview.of([chunks[i] for i in ids], self.manifest)
        return self._keyword

    @property
    def overview(self) -> Overview:
        """What the index holds, for reading questions (committees, types, titles) and
        weighting their words (document frequencies); kept in step with the chunks."""
        if self._overview is None:
            ids = self.all_chunk_ids()
            self._overview = Overview.of(self.store.get(ids) if ids else [], self.manifest)
        return self._overview

    def neighbours(self, chunk: Chunk, before: int = 1, after: int = 1) -> tuple[list[Chunk], list[Chunk]]:
        """The chunks just before and after `chunk` in its document and section, in reading order."""
        record = self.manifest.documents.get(chunk.document)
        if record is None or chunk.chunk_id not in record.chunk_ids:
            return [], []
        at = record.chunk_ids.index(chunk.chunk_id)
        wanted = record.chunk_ids[max(0, at - before) : at] + record.chunk_ids[at + 1 : at + 1 + after]
        found = {c.chunk_id: c for c in self.store.get(wanted)} if wanted else {}
        same = [found[i] for i in wanted if i in found and found[i].section == chunk.section]
        return [c for c in same if c.seq < chunk.seq], [c for c in same if c.seq > chunk.seq]

    @property
    def keyword(self) -> KeywordIndex:
        return self._keyword or self._checked_keyword_index()

    def keyword_search(self, question: str, k: int, filters: Filters | None = None) -> list[Hit]:
        """BM25 hits, best first, filtered like the vector search."""
        where = where_clause(filters)
        found = self.keyword.search(question, k if where is None else max(4 * k, 100))
        chunks = {c.chunk_id: c for c in self.store.get([i for i, _ in found])}
        hits = []
        for chunk_id, score in found:
            chunk = chunks.get(chunk_id)
            if chunk is not None and matches(to_metadata(chunk), where):
                hits.append(Hit(chunk, score, len(hits) + 1, keyword=score))
        return hits[:k]

    def chunks(self, chunk_ids: list[str]) -> list[Chunk]:
        return self.store.get(chunk_ids)

    def count(self) -> int:
        return self.store.count()


@dataclass
class Overview:
    catalogue: Catalogue
    document_frequency: dict[str, int]  # stemmed word -> chunks holding it
    chunks: int

    @classmethod
    def of(cls, chunks: list[Chunk], manifest: Manifest) -> Overview:
        df: Counter[str] = Counter()
        for chunk in chunks:
            df.update({stem(w) for w in words(f"{chunk.label} {chunk.text}")})
        titles = {name: record.title for name, record in manifest.documents.items()}
        return cls(Catalogue.of(chunks, titles), dict(df), len(chunks))


def _store_record(settings: Settings) -> dict[str, Any]:
    return {
        "kind": settings.store.kind,
        "server": bool(settings.store.host),
        "collection": settings.store.collection,
    }


def check_compatible(manifest: Manifest, embedder: Embedder, settings: Settings) -> None:
    wanted_chunking = chunking_signature(settings.chunking)
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
