"""The keyword side of hybrid search, and the index's overview, kept per document in SQLite
(indexes/<name>/keyword.sqlite).

BM25 (the Lucene/Robertson form that bm25s computes: idf = ln(1 + (N - df + 0.5) / (df + 0.5)),
tf part = tf / (tf + k1 (1 - b + b dl / avgdl))) is scored at query time from stored term
statistics, so adding, replacing or removing a document touches only that document's rows:

    docs      one row per document: name, doc_id, its chunk ids in order, and what it added to
              the totals below (so that removing it subtracts exactly that)
    postings  (term, document) -> packed int32 triples (chunk number in the document, tf, chunk
              length): one document's segment of the term's posting list
    terms     term -> chunks holding it (BM25 document frequency)
    words     stemmed word -> chunks holding it (the overview's document frequency, read by the
              lexical reranker)
    facets    committee and document type -> chunks carrying it (the catalogue questions are
              read against)
    totals    chunks, summed chunk length
    chunk_facets  one row per chunk: its id and the values a filter reads (committee, document
              type, date, document: index.store.to_metadata's filter keys), indexed, so that a
              filtered vector search can be given the ids it may return instead of making
              Chroma evaluate a `where` over every chunk (`chunk_ids_where`); totals "faceted"
              counts the chunks that have their row (an index older than the table has none)
    chunk_texts   one row per chunk: its id, text and store metadata (index.store.to_metadata, as
              JSON), so that a question's passages are read here (an indexed SQLite read, ~10
              us a chunk) rather than from Chroma (~200 us a chunk for its text and metadata at
              101k chunks); totals "texted" counts the chunks that have their row

A query reads the rows of its few terms, one per document holding the term, and scores them
with numpy; memory does not grow with the index. Every process that opens the file sees the
same index at once (WAL mode), which is how several app servers share one.
"""

from __future__ import annotations

import functools
import json
import math
import os
import sqlite3
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from rag_council.index.store import key, to_metadata
from rag_council.text import STOPWORDS, stem, words
from rag_council.types import Chunk, Filters

K1, B = 1.2, 0.75
FORMAT = 1
# BM25 scores kept for this many sets of query terms (see KeywordIndex.search), and the decoded
# postings of recent terms up to this many (chunk, term) entries, 24 bytes each (_score_by_term).
SCORED_CACHE = 16
TERM_CACHE = 1_000_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs(
    key INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, doc_id TEXT NOT NULL,
    chunk_ids TEXT NOT NULL, length INTEGER NOT NULL, words TEXT NOT NULL, facets TEXT NOT NULL,
    record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS postings(
    term TEXT NOT NULL, doc INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY(term, doc)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS postings_doc ON postings(doc);
CREATE INDEX IF NOT EXISTS docs_doc_id ON docs(doc_id);
CREATE TABLE IF NOT EXISTS terms(term TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS words(term TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS facets(
    kind TEXT NOT NULL, value TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY(kind, value)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS totals(name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS chunk_facets(
    doc INTEGER NOT NULL, at INTEGER NOT NULL, chunk_id TEXT NOT NULL, document TEXT NOT NULL,
    committee_key TEXT, doc_type_key TEXT, date_num INTEGER, PRIMARY KEY(doc, at)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS chunk_facets_committee ON chunk_facets(committee_key, date_num);
CREATE INDEX IF NOT EXISTS chunk_facets_doc_type ON chunk_facets(doc_type_key, date_num);
CREATE INDEX IF NOT EXISTS chunk_facets_date ON chunk_facets(date_num);
CREATE INDEX IF NOT EXISTS chunk_facets_document ON chunk_facets(document);
CREATE INDEX IF NOT EXISTS chunk_facets_id ON chunk_facets(chunk_id);
CREATE TABLE IF NOT EXISTS chunk_texts(
    doc INTEGER NOT NULL, at INTEGER NOT NULL, chunk_id TEXT NOT NULL, text TEXT NOT NULL,
    meta TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunk_texts_id ON chunk_texts(chunk_id);
CREATE INDEX IF NOT EXISTS chunk_texts_doc ON chunk_texts(doc);
"""


# A council's vocabulary repeats: stems are remembered (the same function, called once a word).
_stem = functools.lru_cache(maxsize=200_000)(stem)


def tokens(text: str) -> list[str]:
    """Lower-cased, lightly stemmed words without stopwords; numbers and amounts kept whole."""
    out = []
    for word in words(text):
        if word in STOPWORDS:
            continue
        out.append(word if word[0].isdigit() or word[0] in "£$" else _stem(word))
    return out


def keyword_text(chunk: Chunk) -> str:
    """What BM25 reads of a chunk: its label, heading and passage (like the vectors)."""
    body = f"{chunk.section}\n{chunk.text}" if chunk.section else chunk.text
    return f"{chunk.label}\n{body}"


def overview_words(chunk: Chunk) -> set[str]:
    return {_stem(w) for w in words(f"{chunk.label} {chunk.text}")}


def facet_row(chunk: Chunk) -> tuple[str, str, str | None, str | None, int | None]:
    """(chunk id, document, committee key, document type key, date number) of a chunk: the
    filter keys of index.store.to_metadata, which Chroma's `where` reads."""
    meta = to_metadata(chunk)
    return (
        chunk.chunk_id,
        str(meta.get("document", "")),
        meta.get("committee_key"),
        meta.get("doc_type_key"),
        meta.get("date_num"),
    )


def facet_sql(filters: Filters) -> tuple[list[str], list[Any]]:
    """SQL terms over chunk_facets for the filters (index.store.where_clause, term by term)."""
    terms: list[str] = []
    args: list[Any] = []
    if filters.committee:
        terms.append("committee_key = ?")
        args.append(key(filters.committee))
    if filters.doc_type:
        terms.append("doc_type_key = ?")
        args.append(key(filters.doc_type))
    if filters.since:
        terms.append("date_num >= ?")
        args.append(int(filters.since.strftime("%Y%m%d")))
    if filters.until:
        terms.append("date_num <= ?")
        args.append(int(filters.until.strftime("%Y%m%d")))
    if filters.documents:
        terms.append(f"document IN ({','.join('?' * len(filters.documents))})")
        args.extend(filters.documents)
    return terms, args


class KeywordIndex:
    """BM25 and the overview over the chunks of the documents added to it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._scored_cache: OrderedDict[tuple[int, tuple[tuple[str, int], ...]], Any] = OrderedDict()
        self._scored_lock = threading.Lock()
        self._places_cache: tuple[int, tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None
        self._terms_cache: OrderedDict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = OrderedDict()
        self._terms_size = 0
        self._terms_generation = -1
        self._terms_lock = threading.Lock()
        self._db().executescript(_SCHEMA)

    # --- connection -----------------------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            try:
                db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
            except sqlite3.OperationalError as exc:
                from rag_council.errors import StoreError

                folder = Path(self.path).parent
                why = "its folder is read-only" if not os.access(folder, os.W_OK) else str(exc)
                raise StoreError(
                    f"Cannot open the index database {self.path}: {why}.",
                    "Make the index folder writable (or free the disk), or point index_root elsewhere.",
                ) from None
            self._local.db = db
        return db

    def _tx(self) -> _Transaction:
        return _Transaction(self._db())

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    # --- writing --------------------------------------------------------------------------

    def documents(self) -> dict[str, str]:
        """name -> doc_id of every document held."""
        return dict(self._db().execute("SELECT name, doc_id FROM docs").fetchall())

    def add_document(self, name: str, doc_id: str, chunks: list[Chunk], record: str = "{}") -> None:
        """Add (or replace) one document's chunks, in reading order, with the index's record of
        it (JSON). Time and memory grow with the document, not with the index."""
        postings: dict[str, list[tuple[int, int, int]]] = {}
        length = 0
        word_df: Counter[str] = Counter()
        facets: Counter[str] = Counter()
        for at, chunk in enumerate(chunks):
            toks = tokens(keyword_text(chunk)) or ["∅"]
            length += len(toks)
            for term, tf in Counter(toks).items():
                postings.setdefault(term, []).append((at, tf, len(toks)))
            word_df.update(overview_words(chunk))
            for kind in ("committee", "doc_type"):
                if chunk.meta.get(kind):
                    facets[f"{kind}\t{chunk.meta[kind]}"] += 1
        with self._tx() as db:
            self._remove(db, name)
            cur = db.execute(
                "INSERT INTO docs(name, doc_id, chunk_ids, length, words, facets, record) VALUES (?,?,?,?,?,?,?)",
                (
                    name,
                    doc_id,
                    json.dumps([c.chunk_id for c in chunks]),
                    length,
                    json.dumps(word_df, ensure_ascii=False),
                    json.dumps(facets, ensure_ascii=False),
                    record,
                ),
            )
            key = cur.lastrowid
            db.executemany(
                "INSERT INTO postings(term, doc, data) VALUES (?,?,?)",
                ((t, key, np.asarray(p, dtype=np.int32).tobytes()) for t, p in postings.items()),
            )
            _bump(db, "terms", ((t, len(p)) for t, p in postings.items()))
            _bump(db, "words", word_df.items())
            db.executemany(
                "INSERT INTO facets(kind, value, n) VALUES (?,?,?) "
                "ON CONFLICT(kind, value) DO UPDATE SET n = n + excluded.n",
                ((*kv.split("\t", 1), n) for kv, n in facets.items()),
            )
            db.executemany(
                "INSERT INTO chunk_facets(doc, at, chunk_id, document, committee_key, doc_type_key, date_num)"
                " VALUES (?,?,?,?,?,?,?)",
                ((key, at, *facet_row(chunk)) for at, chunk in enumerate(chunks)),
            )
            _insert_texts(db, key, chunks)
            _bump(
                db,
                "totals",
                (
                    ("chunks", len(chunks)),
                    ("length", length),
                    ("faceted", len(chunks)),
                    ("texted", len(chunks)),
                    ("generation", 1),
                ),
            )

    def add_facets(self, name: str, chunks: list[Chunk]) -> None:
        """Give an already held document (of an index older than chunk_facets) its facet rows,
        from its chunks in reading order."""
        with self._tx() as db:
            row = db.execute("SELECT key FROM docs WHERE name=?", (name,)).fetchone()
            if row is None:
                return
            gone = db.execute("DELETE FROM chunk_facets WHERE doc=?", (row[0],)).rowcount
            db.executemany(
                "INSERT INTO chunk_facets(doc, at, chunk_id, document, committee_key, doc_type_key, date_num)"
                " VALUES (?,?,?,?,?,?,?)",
                ((row[0], at, *facet_row(chunk)) for at, chunk in enumerate(chunks)),
            )
            _bump(db, "totals", (("faceted", len(chunks) - gone),))

    def add_texts(self, name: str, chunks: list[Chunk]) -> None:
        """Give an already held document (of an index older than chunk_texts) its text rows,
        from its chunks in reading order (as read from the store)."""
        with self._tx() as db:
            row = db.execute("SELECT key FROM docs WHERE name=?", (name,)).fetchone()
            if row is None:
                return
            gone = db.execute("DELETE FROM chunk_texts WHERE doc=?", (row[0],)).rowcount
            _insert_texts(db, row[0], chunks)
            _bump(db, "totals", (("texted", len(chunks) - gone),))

    def untexted(self) -> list[str]:
        """Names of the documents without text rows (held since before chunk_texts)."""
        rows = self._db().execute(
            "SELECT name FROM docs WHERE NOT EXISTS (SELECT 1 FROM chunk_texts t WHERE t.doc = docs.key)"
        )
        return [r[0] for r in rows.fetchall()]

    def has_texts(self) -> bool:
        """Whether every chunk held has its text row (an index older than chunk_texts gets
        them on its next ingest)."""
        db = self._db()
        totals = dict(db.execute("SELECT name, value FROM totals WHERE name IN ('chunks', 'texted')"))
        return bool(totals.get("chunks", 0)) and totals.get("texted", 0) == totals.get("chunks", 0)

    def chunk_rows(self, chunk_ids: list[str]) -> dict[str, tuple[str, dict[str, Any]]] | None:
        """chunk id -> (text, store metadata) of those of these chunks the index holds, or None
        when some chunks have no text row yet (then the store is read)."""
        if not self.has_texts():
            return None
        db = self._db()
        out: dict[str, tuple[str, dict[str, Any]]] = {}
        for i in range(0, len(chunk_ids), 5000):
            batch = chunk_ids[i : i + 5000]
            sql = f"SELECT chunk_id, text, meta FROM chunk_texts WHERE chunk_id IN ({','.join('?' * len(batch))})"
            for chunk_id, text, meta in db.execute(sql, batch):
                out[chunk_id] = (text, json.loads(meta))
        return out

    def unfaceted(self) -> list[str]:
        """Names of the documents without facet rows (held since before chunk_facets)."""
        rows = self._db().execute(
            "SELECT name FROM docs WHERE NOT EXISTS (SELECT 1 FROM chunk_facets f WHERE f.doc = docs.key)"
        )
        return [r[0] for r in rows.fetchall()]

    def chunk_ids_where(self, filters: Filters, limit: int) -> list[str] | None:
        """The ids of every chunk the filters select (the same rule as index.store.where_clause
        and Chroma's `where`), or None when this cannot say: some chunks have no facet row yet,
        or more than `limit` are selected (then the store's own filter is used)."""
        db = self._db()
        totals = dict(db.execute("SELECT name, value FROM totals WHERE name IN ('chunks', 'faceted')"))
        if totals.get("faceted", 0) != totals.get("chunks", 0):
            return None
        terms, args = facet_sql(filters)
        if not terms:
            return None
        where = " AND ".join(terms)
        # Counted first (no row leaves SQLite): a filter selecting half the index is common
        # ("scrutiny"), and reading its first `limit` ids only to drop them cost 5 ms.
        count = f"SELECT count(*) FROM (SELECT 1 FROM chunk_facets WHERE {where} LIMIT ?)"
        if int(db.execute(count, [*args, limit + 1]).fetchone()[0]) > limit:
            return None
        sql = f"SELECT chunk_id FROM chunk_facets WHERE {where} LIMIT ?"
        ids = [r[0] for r in db.execute(sql, [*args, limit + 1]).fetchall()]
        return ids if len(ids) <= limit else None

    def selected(self, chunk_ids: list[str], filters: Filters) -> set[str] | None:
        """Which of these chunks the filters select (None when some chunks have no facet row)."""
        db = self._db()
        totals = dict(db.execute("SELECT name, value FROM totals WHERE name IN ('chunks', 'faceted')"))
        terms, args = facet_sql(filters)
        if totals.get("faceted", 0) != totals.get("chunks", 0) or not terms:
            return None
        out: set[str] = set()
        for i in range(0, len(chunk_ids), 5000):
            batch = chunk_ids[i : i + 5000]
            sql = (
                f"SELECT chunk_id FROM chunk_facets INDEXED BY chunk_facets_id WHERE chunk_id IN ({','.join('?' * len(batch))}) "
                f"AND {' AND '.join(terms)}"
            )
            out.update(r[0] for r in db.execute(sql, [*batch, *args]))
        return out

    def remove_document(self, name: str) -> None:
        with self._tx() as db:
            self._remove(db, name)
            _bump(db, "totals", (("generation", 1),))

    def _remove(self, db: sqlite3.Connection, name: str) -> None:
        row = db.execute(
            "SELECT key, chunk_ids, length, words, facets FROM docs WHERE name=?", (name,)
        ).fetchone()
        if row is None:
            return
        key, chunk_ids, length, word_df, facets = row
        terms = db.execute("SELECT term, length(data) / 12 FROM postings WHERE doc=?", (key,)).fetchall()
        _bump(db, "terms", ((t, -n) for t, n in terms))
        _bump(db, "words", ((t, -n) for t, n in json.loads(word_df).items()))
        for kv, n in json.loads(facets).items():
            kind, value = kv.split("\t", 1)
            db.execute("UPDATE facets SET n = n - ? WHERE kind=? AND value=?", (n, kind, value))
            db.execute("DELETE FROM facets WHERE kind=? AND value=? AND n <= 0", (kind, value))
        faceted = db.execute("DELETE FROM chunk_facets WHERE doc=?", (key,)).rowcount
        texted = db.execute("DELETE FROM chunk_texts WHERE doc=?", (key,)).rowcount
        _bump(
            db,
            "totals",
            (
                ("chunks", -len(json.loads(chunk_ids))),
                ("length", -length),
                ("faceted", -faceted),
                ("texted", -texted),
            ),
        )
        db.execute("DELETE FROM postings WHERE doc=?", (key,))
        db.execute("DELETE FROM docs WHERE key=?", (key,))

    def recount(self) -> None:
        """Set the totals (chunks, length) from the documents' own rows (`rag-council check
        --repair`, after a write that died between the two)."""
        with self._tx() as db:
            chunks = length = 0
            for ids, n in db.execute("SELECT chunk_ids, length FROM docs"):
                chunks += len(json.loads(ids))
                length += n
            faceted = int(db.execute("SELECT count(*) FROM chunk_facets").fetchone()[0])
            texted = int(db.execute("SELECT count(*) FROM chunk_texts").fetchone()[0])
            db.executemany(
                "INSERT INTO totals(name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                (("chunks", chunks), ("length", length), ("faceted", faceted), ("texted", texted)),
            )
            _bump(db, "totals", (("generation", 1),))

    # --- reading --------------------------------------------------------------------------

    def totals(self) -> tuple[int, int]:
        rows = dict(self._db().execute("SELECT name, value FROM totals").fetchall())
        return int(rows.get("chunks", 0)), int(rows.get("length", 0))

    def generation(self) -> int:
        """Changes whenever a document is added, replaced or removed (by any process)."""
        row = self._db().execute("SELECT value FROM totals WHERE name='generation'").fetchone()
        return int(row[0]) if row else 0

    def record(self, name: str) -> dict[str, Any] | None:
        """The record stored with a document, with its chunk ids."""
        row = self._db().execute("SELECT record, chunk_ids FROM docs WHERE name=?", (name,)).fetchone()
        return {**json.loads(row[0]), "chunk_ids": json.loads(row[1])} if row else None

    def records(self) -> Iterator[dict[str, Any]]:
        for record, chunk_ids in self._db().execute("SELECT record, chunk_ids FROM docs ORDER BY name"):
            yield {**json.loads(record), "chunk_ids": json.loads(chunk_ids)}

    def names_of(self, doc_id: str) -> list[str]:
        """The names held with this content (the same file under several names)."""
        return [
            r[0] for r in self._db().execute("SELECT name FROM docs WHERE doc_id=?", (doc_id,)).fetchall()
        ]

    def count(self) -> int:
        return int(self._db().execute("SELECT count(*) FROM docs").fetchone()[0])

    def names(self) -> list[str]:
        return [r[0] for r in self._db().execute("SELECT name FROM docs ORDER BY name").fetchall()]

    def chunk_ids(self, name: str) -> list[str]:
        row = self._db().execute("SELECT chunk_ids FROM docs WHERE name=?", (name,)).fetchone()
        return json.loads(row[0]) if row else []

    def search(self, question: str, k: int) -> list[tuple[str, float]]:
        """The k best chunks for the question's terms by BM25, best first (score > 0).

        The scores of every chunk holding a term are computed once per set of query terms
        and index generation (`_scored`, kept for the last SCORED_CACHE term sets): a
        question with an intent is searched twice with the same terms (the whole index, then
        at a larger depth for the part it points at), and the second search only picks its
        k best from the same scores."""
        query = Counter(tokens(question))
        if not query or k <= 0:
            return []
        scored = self._scored(query)
        if scored is None:
            return []
        unique, scores = scored
        k = min(k, len(unique))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(unique) else np.arange(len(unique))
        top = top[np.lexsort((unique[top], -scores[top]))]
        db = self._db()
        wanted = sorted({int(unique[i] >> 32) for i in top})
        ids = {
            key: json.loads(chunk_ids)
            for key, chunk_ids in db.execute(
                f"SELECT key, chunk_ids FROM docs WHERE key IN ({','.join('?' * len(wanted))})", wanted
            ).fetchall()
        }
        out = []
        for i in top:
            doc, at = int(unique[i] >> 32), int(unique[i] & 0xFFFFFFFF)
            if scores[i] > 0 and doc in ids and at < len(ids[doc]):
                out.append((ids[doc][at], float(scores[i])))
        return out

    def _scored(self, query: Counter[str]) -> tuple[np.ndarray, np.ndarray] | None:
        """(chunk keys, BM25 scores) of every chunk holding one of the query's terms, a chunk
        key being (document key << 32 | chunk number); None when none does. Read in one
        snapshot of the file, and cached by the terms and the index generation (any write,
        by any process, changes the generation, so a cached entry is never of another)."""
        db = self._db()
        own = not db.in_transaction
        if own:
            db.execute("BEGIN")  # one snapshot: the generation, the totals and the rows agree
        try:
            rows = dict(db.execute("SELECT name, value FROM totals").fetchall())
            generation = int(rows.get("generation", 0))
            cache_key = (generation, tuple(sorted(query.items())))
            with self._scored_lock:
                if cache_key in self._scored_cache:
                    self._scored_cache.move_to_end(cache_key)
                    return self._scored_cache[cache_key]
            result = self._score(
                db, query, int(rows.get("chunks", 0)), int(rows.get("length", 0)), generation
            )
        finally:
            if own:
                db.execute("COMMIT")
        with self._scored_lock:
            self._scored_cache[cache_key] = result
            while len(self._scored_cache) > SCORED_CACHE:
                self._scored_cache.popitem(last=False)
        return result

    def _places(
        self, db: sqlite3.Connection, generation: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """For this generation of the index: by document key, where its chunks start in the
        reading order of the whole index and how many it has; and by place, the chunk key
        (document key << 32 | chunk number). Read once per generation (in the caller's
        snapshot); None for an empty index."""
        cached = self._places_cache
        if cached is not None and cached[0] == generation:
            return cached[1]
        rows = db.execute("SELECT key, json_array_length(chunk_ids) FROM docs ORDER BY key").fetchall()
        if not rows:
            return None
        doc_keys = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        counts = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        start = np.zeros(int(doc_keys[-1]) + 1, dtype=np.int64)
        count = np.zeros(int(doc_keys[-1]) + 1, dtype=np.int64)  # 0 for a key no document has
        start[doc_keys], count[doc_keys] = starts, counts
        ats = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(starts, counts)
        keys_at = (np.repeat(doc_keys, counts) << 32) | ats
        places = (start, count, keys_at)
        self._places_cache = (generation, places)
        return places

    def _score_by_term(
        self,
        db: sqlite3.Connection,
        df: dict[str, int],
        weight: dict[str, float],
        avgdl: float,
        generation: int,
        places: tuple[np.ndarray, np.ndarray, np.ndarray],
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """`_score` from each term's decoded postings (its chunks' places, tf and BM25 length
        part), kept per term for this generation up to TERM_CACHE elements: the common terms
        of council questions ("children" is in 78,623 of 101,004 chunks) recur from question
        to question. The terms are taken in the order SQLite returns their rows (by term, then
        document), so the arrays, and the sums, are the ones `_score` makes. None when a row
        does not fit the index's places (then `_score` reads the rows itself)."""
        terms = sorted(df)  # SQLite's order for the rows (BINARY collation: by code point)
        with self._terms_lock:
            if self._terms_generation != generation:
                self._terms_cache.clear()
                self._terms_size = 0
                self._terms_generation = generation
            held = {t: self._terms_cache[t] for t in terms if t in self._terms_cache}
            for t in held:
                self._terms_cache.move_to_end(t)
        missing = [t for t in terms if t not in held]
        if missing:
            start, count, _ = places
            rows = db.execute(
                f"SELECT term, doc, data FROM postings WHERE term IN ({','.join('?' * len(missing))})",
                missing,
            ).fetchall()
            grouped: dict[str, list[Any]] = {t: [] for t in missing}
            for row in rows:
                grouped[row[0]].append(row)
            for term, term_rows in grouped.items():
                sizes = np.fromiter(
                    (len(r[2]) // 12 for r in term_rows), dtype=np.int64, count=len(term_rows)
                )
                data = np.frombuffer(b"".join(r[2] for r in term_rows), dtype=np.int32).reshape(-1, 3)
                docs = np.repeat(
                    np.fromiter((r[1] for r in term_rows), dtype=np.int64, count=len(term_rows)), sizes
                )
                at = data[:, 0].astype(np.int64)
                if len(docs) and (not (docs < len(start)).all() or not (at < count[docs]).all()):
                    return None
                tf = data[:, 1].astype(np.float64)
                held[term] = (start[docs] + at, tf, tf + K1 * (1 - B + B * data[:, 2] / avgdl))
            with self._terms_lock:
                if self._terms_generation == generation:
                    for term in missing:
                        self._terms_cache[term] = held[term]
                        self._terms_size += len(held[term][0])
                    while self._terms_size > TERM_CACHE and self._terms_cache:
                        _, gone = self._terms_cache.popitem(last=False)
                        self._terms_size -= len(gone[0])
        place = np.concatenate([held[t][0] for t in terms])
        tf = np.concatenate([held[t][1] for t in terms])
        length = np.concatenate([held[t][2] for t in terms])
        idf = np.repeat(
            np.fromiter((weight[t] for t in terms), dtype=np.float64, count=len(terms)),
            [len(held[t][0]) for t in terms],
        )
        part = idf * tf / length
        return _sum_by_place(place, part, places[2])

    def _score(
        self, db: sqlite3.Connection, query: Counter[str], n: int, total: int, generation: int
    ) -> tuple[np.ndarray, np.ndarray] | None:
        if n == 0:
            return None
        avgdl = total / n
        marks = ",".join("?" * len(query))
        df = dict(db.execute(f"SELECT term, df FROM terms WHERE term IN ({marks})", list(query)).fetchall())
        if not df:
            return None
        weight = {t: query[t] * math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        places = self._places(db, generation)
        if places is not None:
            by_term = self._score_by_term(db, df, weight, avgdl, generation, places)
            if by_term is not None:
                return by_term if len(by_term[0]) else None
        marks = ",".join("?" * len(df))
        rows = db.execute(
            f"SELECT term, doc, data FROM postings WHERE term IN ({marks})", list(df)
        ).fetchall()
        if not rows:
            return None
        sizes = np.fromiter((len(r[2]) // 12 for r in rows), dtype=np.int64, count=len(rows))
        data = np.frombuffer(b"".join(r[2] for r in rows), dtype=np.int32).reshape(-1, 3)
        docs = np.repeat(np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows)), sizes)
        idf = np.repeat(np.fromiter((weight[r[0]] for r in rows), dtype=np.float64, count=len(rows)), sizes)
        tf = data[:, 1].astype(np.float64)
        part = idf * tf / (tf + K1 * (1 - B + B * data[:, 2] / avgdl))
        at = data[:, 0].astype(np.int64)
        places = self._places(db, generation)
        if places is not None:
            # Each (document, chunk) has a place in reading order of the whole index: summing
            # by place gives the scores in the order np.unique would (by document key, then
            # chunk), added in the same order, without sorting.
            start, count, keys_at = places
            inside = docs < len(start)
            if inside.all():
                place = start[docs] + at
                if (at < count[docs]).all():
                    return _sum_by_place(place, part, keys_at)
        keys = (docs << 32) | at
        unique, inverse = np.unique(keys, return_inverse=True)
        scores = np.bincount(inverse, weights=part)
        unique.setflags(write=False)
        scores.setflags(write=False)
        return unique, scores

    def facets(self, kind: str) -> list[str]:
        rows = self._db().execute("SELECT value FROM facets WHERE kind=? AND n > 0 ORDER BY value", (kind,))
        return [r[0] for r in rows.fetchall()]

    def word_frequency(self) -> WordFrequency:
        return WordFrequency(self)


def _sum_by_place(place: np.ndarray, part: np.ndarray, keys_at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The chunk keys held at these places (reading order of the whole index) and the sums of
    their score parts, in that order (read-only arrays)."""
    held = np.zeros(len(keys_at), dtype=bool)
    held[place] = True
    where = np.flatnonzero(held)
    scores = np.bincount(place, weights=part, minlength=len(keys_at))[where]
    unique = keys_at[where]
    unique.setflags(write=False)
    scores.setflags(write=False)
    return unique, scores


class WordFrequency(Mapping[str, int]):
    """Stemmed word -> chunks holding it, read from the file as asked (with a small cache)."""

    def __init__(self, index: KeywordIndex) -> None:
        self.index = index
        self._cache: dict[str, int] = {}

    def __getitem__(self, term: str) -> int:
        if term not in self._cache:
            if len(self._cache) > 50_000:
                self._cache.clear()
            row = self.index._db().execute("SELECT df FROM words WHERE term=?", (term,)).fetchone()
            self._cache[term] = int(row[0]) if row else 0
        if not self._cache[term]:
            raise KeyError(term)
        return self._cache[term]

    def get(self, term: str, default: Any = None) -> Any:  # type: ignore[override]
        try:
            return self[term]
        except KeyError:
            return default

    def __iter__(self) -> Iterator[str]:
        for (term,) in self.index._db().execute("SELECT term FROM words WHERE df > 0"):
            yield term

    def __len__(self) -> int:
        return int(self.index._db().execute("SELECT count(*) FROM words WHERE df > 0").fetchone()[0])


def _insert_texts(db: sqlite3.Connection, key: int, chunks: list[Chunk]) -> None:
    db.executemany(
        "INSERT INTO chunk_texts(doc, at, chunk_id, text, meta) VALUES (?,?,?,?,?)",
        (
            (key, at, chunk.chunk_id, chunk.text, json.dumps(to_metadata(chunk), ensure_ascii=False))
            for at, chunk in enumerate(chunks)
        ),
    )


def _bump(db: sqlite3.Connection, table: str, deltas: Any) -> None:
    column = "value" if table == "totals" else "df"
    key = "name" if table == "totals" else "term"
    rows = list(deltas)
    db.executemany(
        f"INSERT INTO {table}({key}, {column}) VALUES (?,?) "
        f"ON CONFLICT({key}) DO UPDATE SET {column} = {column} + excluded.{column}",
        rows,
    )
    if table != "totals":
        db.executemany(
            f"DELETE FROM {table} WHERE {key}=? AND {column} <= 0", ((t,) for t, d in rows if d < 0)
        )


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, kind: object, *_: object) -> None:
        self.db.execute("ROLLBACK" if kind else "COMMIT")
