"""The records store: the council's records (rag_council.ingest.records) in SQLite beside
the chunks, at indexes/<name>/records.sqlite.

Keyed like the chunks by the document's content hash (doc_id): writing a document replaces
the records of any earlier version of it (same file name), removing it deletes them, and a
document already stored at the current extractor version is left alone. Reads are limited
to the documents the caller names (the index manifest's), so records of a document dropped
by a rebuild never show.

    store = RecordStore.at(index_dir)
    store.write(doc)                      # at ingest, for each document read
    store.delete(doc_id)                  # when a document is removed
    store.list(kind=..., doc_ids=...)     # Record objects
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path
from typing import Any

from rag_council.ingest.records import EXTRACTOR_VERSION, extract_records
from rag_council.types import Document, Record, Span

FILE_NAME = "records.sqlite"
SCHEMA_VERSION = 2  # PRAGMA user_version; a store of another version is emptied and refilled
_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, name TEXT NOT NULL, version INTEGER NOT NULL, signature TEXT NOT NULL,
    warnings TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, document TEXT NOT NULL, kind TEXT NOT NULL,
    key TEXT NOT NULL, committee TEXT NOT NULL, date TEXT NOT NULL, title TEXT NOT NULL,
    span TEXT NOT NULL, fields TEXT NOT NULL, notes TEXT NOT NULL, seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS records_kind ON records (kind, date);
CREATE INDEX IF NOT EXISTS records_doc ON records (doc_id);
"""
_stores: dict[Path, RecordStore] = {}
_lock = threading.Lock()


def _signature(doc: Document) -> str:
    """What the records are read from besides the file's bytes: the sidecar manifest can change
    a document's title, committee or date without changing its hash."""
    parsed = json.dumps([doc.title, doc.meta, [s.meta for s in doc.sections]], sort_keys=True, default=str)
    return hashlib.sha256(parsed.encode("utf-8")).hexdigest()[:16]


def _span(data: list) -> Span:  # type: ignore[type-arg]
    return Span(*data)


def _row(span: Span) -> list:  # type: ignore[type-arg]
    return [span.doc_id, span.start, span.end, span.text, span.page, span.source_start, span.source_end]


class RecordStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    @classmethod
    def at(cls, directory: Path) -> RecordStore:
        """The store of the index in `directory` (one object per directory)."""
        path = Path(directory) / FILE_NAME
        with _lock:
            if path not in _stores:
                _stores[path] = cls(path)
            return _stores[path]

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30)
        if conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            # Records are derived data: an older layout is dropped and the records read again.
            conn.executescript("DROP TABLE IF EXISTS records; DROP TABLE IF EXISTS documents;")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.executescript(_SCHEMA)
        return conn

    # --- writing ----------------------------------------------------------------------------

    def write(self, doc: Document) -> list[str]:
        """Extract and store `doc`'s records, replacing those of an earlier version of the same
        file; adds the extractor's warnings to doc.warnings (and returns them). A document
        already stored at this extractor version is left as it is."""
        with self._lock, closing(self._connect()) as conn, conn:
            row = conn.execute(
                "SELECT version, signature, name FROM documents WHERE doc_id = ?", (doc.doc_id,)
            ).fetchone()
            if row and row[0] == EXTRACTOR_VERSION and row[1] == _signature(doc) and row[2] == doc.name:
                return []
            records, warnings = extract_records(doc)
            stale = [r[0] for r in conn.execute("SELECT doc_id FROM documents WHERE name = ?", (doc.name,))]
            for doc_id in {*stale, doc.doc_id}:
                conn.execute("DELETE FROM records WHERE doc_id = ?", (doc_id,))
                conn.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
            conn.executemany(
                "INSERT OR REPLACE INTO records VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        r.record_id,
                        r.doc_id,
                        r.document,
                        r.kind,
                        r.key,
                        r.committee,
                        r.date,
                        r.title,
                        json.dumps(_row(r.span), ensure_ascii=False),
                        json.dumps(
                            {k: [_row(s) for s in v] for k, v in r.fields.items()}, ensure_ascii=False
                        ),
                        json.dumps(r.notes, ensure_ascii=False),
                        seq,
                    )
                    for seq, r in enumerate(records)
                ],
            )
            conn.execute(
                "INSERT INTO documents VALUES (?,?,?,?,?)",
                (
                    doc.doc_id,
                    doc.name,
                    EXTRACTOR_VERSION,
                    _signature(doc),
                    json.dumps(warnings, ensure_ascii=False),
                ),
            )
        doc.warnings.extend(w for w in warnings if w not in doc.warnings)
        return warnings

    def delete(self, doc_id: str) -> None:
        with self._lock, closing(self._connect()) as conn, conn:
            conn.execute("DELETE FROM records WHERE doc_id = ?", (doc_id,))
            conn.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))

    # --- reading ----------------------------------------------------------------------------

    def has(self, doc_id: str) -> bool:
        if not self.path.exists():
            return False
        with closing(self._connect()) as conn:
            row = conn.execute("SELECT version FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        return bool(row) and row[0] == EXTRACTOR_VERSION

    def list(
        self, kind: str | None = None, doc_ids: Iterable[str] | None = None, committee: str | None = None
    ) -> list[Record]:
        """Records in document order (by date, then as they come in their document)."""
        if not self.path.exists():
            return []
        sql = "SELECT doc_id, document, kind, key, committee, date, title, span, fields, notes FROM records"
        where, args = [], []
        if kind:
            where.append("kind = ?")
            args.append(kind)
        if committee:
            where.append("lower(committee) = lower(?)")
            args.append(committee)
        if doc_ids is not None:
            ids = list(doc_ids)
            if not ids:
                return []
            where.append(f"doc_id IN ({','.join('?' * len(ids))})")
            args.extend(ids)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY date, document, seq"
        with closing(self._connect()) as conn:
            rows = conn.execute(sql, args).fetchall()
        return [
            Record(
                kind=k,
                doc_id=d,
                document=name,
                key=key,
                span=_span(json.loads(span)),
                committee=c,
                date=date,
                title=t,
                fields={f: [_span(s) for s in v] for f, v in json.loads(fields).items()},
                notes=json.loads(notes),
            )
            for d, name, k, key, c, date, t, span, fields, notes in rows
        ]

    def warnings(self, doc_ids: Iterable[str] | None = None) -> dict[str, list[str]]:
        """What the extractor could not read, per document name."""
        if not self.path.exists():
            return {}
        with closing(self._connect()) as conn:
            rows = conn.execute("SELECT doc_id, name, warnings FROM documents ORDER BY name").fetchall()
        wanted = None if doc_ids is None else set(doc_ids)
        return {name: json.loads(w) for d, name, w in rows if wanted is None or d in wanted}


def _load_document(path: Path) -> Document | None:
    """A document as the index saved it (docs/<id>.json; see Index._save_document)."""
    from rag_council.types import PageSpan, Section

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    data["pages"] = [PageSpan(*p) for p in data["pages"]]
    data["sections"] = [Section(h, s, e, tuple(p), m) for h, s, e, p, m in data["sections"]]
    data["origin"] = [tuple(r) for r in data["origin"]]
    return Document(**data)


def index_records(directory: Path, documents: dict[str, str]) -> RecordStore:
    """The store of the index in `directory`, holding records for every document of
    `documents` (doc_id -> file name, the manifest's): documents ingested before records
    existed (or by an older extractor) are read again from the index's saved copies."""
    store = RecordStore.at(directory)
    for doc_id in documents:
        if not store.has(doc_id):
            doc = _load_document(Path(directory) / "docs" / f"{doc_id}.json")
            if doc is not None:
                store.write(doc)
    return store


_READ: dict[tuple[str, tuple[str, ...], str | None], tuple[float, list[Record]]] = {}


def records_of(index: Any, kind: str | None = None) -> list[Record]:
    """The records of the documents now in `index` (an Index), of one `kind` or all: filled in
    for documents ingested before records existed, and cached until the store file or the
    index's documents change. The one way answers, notes and timelines read the records."""
    documents = {r.doc_id: r.name for r in index.records()}
    path = Path(index.directory) / FILE_NAME
    key = (str(path), tuple(sorted(documents)), kind)

    def mtime() -> float:
        return path.stat().st_mtime if path.exists() else 0.0

    with _lock:
        hit = _READ.get(key)
    if hit is not None and hit[0] == mtime():
        return list(hit[1])
    store = index_records(index.directory, documents)
    found = store.list(kind=kind, doc_ids=documents)
    with _lock:
        if len(_READ) > 32:
            _READ.clear()
        _READ[key] = (mtime(), found)
    return list(found)
