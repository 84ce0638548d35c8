"""`rag-council check [--repair]`: is the index one consistent thing? The manifest is the truth
about what the index holds; the store, the keyword index and the saved documents must agree
with it.

Found (and, with repair=True, fixed, under the index lock):
* orphan chunks: in the store, listed by no document of the manifest (a writer that died
  between its store write and its manifest write) -> deleted from the store;
* missing chunks: listed in the manifest, absent from the store -> the document is taken out
  of the manifest (and its remaining chunks out of the store): ingest it again;
* a keyword index out of step with the documents (its chunk count) -> each document's keyword
  rows written again from its chunks in the store;
* saved documents (docs/<id>.json) missing for a listed document (-> as missing chunks), or
  left for no listed document (-> deleted);
* temporary files left by an interrupted write (manifest.json.*.tmp, docs/*.tmp) -> deleted.

The documents are rows of index.sqlite (rag_council.index), written in one transaction with
their keyword rows, so the manifest and the keyword index cannot disagree about a document;
what can go wrong is between that database, the store and the saved texts.

`only_listed(index, results)` is the filter that keeps retrieval to the chunks the manifest
lists (an orphan is never cited even before a repair)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag_council.index.lock import index_lock, refresh_manifest

TEMP_GLOBS = ("manifest.json*.tmp", "bm25.tmp")


@dataclass
class CheckReport:
    index: str
    documents: int = 0
    chunks: int = 0  # listed in the manifest
    stored: int = 0  # held by the store
    orphans: list[str] = field(default_factory=list)
    missing: dict[str, list[str]] = field(default_factory=dict)  # document -> chunk ids
    missing_docs: list[str] = field(default_factory=list)  # documents whose docs/<id>.json is gone
    stray_docs: list[str] = field(default_factory=list)  # docs/<id>.json of no listed document
    keyword: str = "ok"  # ok | stale | missing
    temp_files: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        return not (
            self.orphans
            or self.missing
            or self.missing_docs
            or self.stray_docs
            or self.keyword != "ok"
            or self.temp_files
        )

    def lines(self) -> list[str]:
        out = [
            f"Index '{self.index}': {self.documents} documents, {self.chunks} chunks listed, "
            f"{self.stored} chunks in the store."
        ]
        if self.orphans:
            out.append(f"- {len(self.orphans)} orphan chunk(s) in the store that no document lists")
        for name, ids in sorted(self.missing.items()):
            out.append(f"- {name}: {len(ids)} of its chunks are missing from the store")
        for name in self.missing_docs:
            out.append(f"- {name}: its saved text (docs/) is missing")
        if self.stray_docs:
            out.append(f"- {len(self.stray_docs)} saved document file(s) of no listed document")
        if self.keyword != "ok":
            out.append(f"- the keyword index is {self.keyword}")
        for name in self.temp_files:
            out.append(f"- temporary file left by an interrupted write: {name}")
        if self.consistent and not self.repaired:
            out.append("Consistent: the manifest, the store and the keyword index agree.")
        elif self.repaired:
            out += [f"Repaired: {r}" for r in self.repaired]
        else:
            out.append(f"Run `rag-council check --index {self.index} --repair` to fix this.")
        return out


def store_ids(store: Any) -> list[str]:
    """Every chunk id the store holds."""
    ids = getattr(store, "ids", None)
    if callable(ids):  # the Store contract: the ids in bounded batches
        return [i for batch in ids() for i in ([batch] if isinstance(batch, str) else batch)]
    rows = getattr(store, "rows", None)
    if isinstance(rows, dict):  # MemoryStore
        return list(rows)
    collection = getattr(store, "collection", None)
    if collection is not None:  # ChromaStore
        out: list[str] = []
        total = collection.count()
        for offset in range(0, total, 5000):
            out += collection.get(include=[], limit=5000, offset=offset)["ids"]
        return out
    raise TypeError(f"cannot list the chunks of {type(store).__name__}")


def check_index(index: Any, repair: bool = False) -> CheckReport:
    """What is inconsistent in `index` (an Index), fixed when `repair`."""
    with index_lock(index.directory, index.name):
        refresh_manifest(index)
        report = _find(index)
        if repair and not report.consistent:
            _repair(index, report)
    return report


def _find(index: Any) -> CheckReport:
    manifest = index.manifest
    directory = Path(index.directory)
    report = CheckReport(index.name, documents=len(manifest.documents))
    listed = [i for r in manifest.documents.values() for i in r.chunk_ids]
    report.chunks = len(listed)
    held = set(store_ids(index.store))
    report.stored = len(held)
    listed_set = set(listed)
    report.orphans = sorted(held - listed_set)
    for name, record in sorted(manifest.documents.items()):
        gone = [i for i in record.chunk_ids if i not in held]
        if gone:
            report.missing[name] = gone
        if not (directory / "docs" / f"{record.doc_id}.json").exists():
            report.missing_docs.append(name)
    ids = {r.doc_id for r in manifest.documents.values()}
    docs = directory / "docs"
    if docs.is_dir():
        for path in sorted(docs.iterdir()):
            if path.suffix == ".tmp":
                report.temp_files.append(f"docs/{path.name}")
            elif path.suffix == ".json" and path.stem not in ids:
                report.stray_docs.append(path.name)
    for pattern in TEMP_GLOBS:
        report.temp_files += sorted(p.name for p in directory.glob(pattern))
    try:
        counted = index.keyword.totals()[0]
    except Exception:  # an unreadable database
        report.keyword = "unreadable"
    else:
        if counted != len(listed):
            report.keyword = "stale"
    return report


def _repair(index: Any, report: CheckReport) -> None:
    directory = Path(index.directory)
    manifest = index.manifest
    if report.orphans:
        index.store.delete(report.orphans)
        report.repaired.append(f"deleted {len(report.orphans)} orphan chunk(s) from the store")
    broken = sorted(set(report.missing) | set(report.missing_docs))
    for name in broken:
        record = index.remove_document(name)
        if record is None:
            continue
        index.store.delete(record.chunk_ids)  # also when another name holds the same content
        report.repaired.append(
            f"took {name} out of the index (incomplete); ingest it again: rag-council ingest {record.path} --index {index.name}"
        )
    for name in report.stray_docs:
        (directory / "docs" / name).unlink(missing_ok=True)
    if report.stray_docs:
        report.repaired.append(
            f"deleted {len(report.stray_docs)} saved document file(s) of no listed document"
        )
    for name in report.temp_files:
        path = directory / name
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    if report.temp_files:
        report.repaired.append(f"deleted {len(report.temp_files)} temporary file(s)")
    if report.keyword != "ok":
        for record in manifest.documents.values():
            index._write_record(record, index.store.get(record.chunk_ids))
        index.keyword.recount()
        report.repaired.append("wrote every document's keyword rows again from its chunks")


# --- retrieval: only what the manifest lists ------------------------------------------------

_LISTED: dict[int, tuple[int, frozenset[str]]] = {}


def listed_doc_ids(index: Any) -> frozenset[str]:
    """The document ids the index holds (cached until any process writes the index)."""
    generation = index.keyword.generation()
    cached = _LISTED.get(id(index))
    if cached is None or cached[0] != generation:
        cached = (generation, frozenset(index.keyword.documents().values()))
        _LISTED[id(index)] = cached
    return cached[1]


def only_listed(index: Any, results: list[Any]) -> list[Any]:
    """`results` (hits, chunks, or (chunk, score) pairs) without the chunks of documents the
    index does not hold: an orphan in the store (a writer that died between its store write and
    its record) is never retrieved nor cited. Chunk ids are of the content, so a chunk belongs
    to a held document exactly when its doc_id is held."""
    listed = listed_doc_ids(index)

    def doc_id(item: Any) -> str:
        chunk = item[0] if isinstance(item, tuple) else getattr(item, "chunk", item)
        return chunk.doc_id

    return [r for r in results if doc_id(r) in listed]


def run_check(settings: Any, repair: bool = False) -> int:
    """`rag-council check [--repair]`: prints what was found; exit 0 when consistent (or
    repaired), 1 when not."""
    from rag_council.embedding import make_embedder
    from rag_council.index import Index
    from rag_council.index.faults import raise_write_fault

    index = Index.open(settings, make_embedder(settings.embedder))
    try:
        report = check_index(index, repair=repair)
    except Exception as exc:  # a store that cannot even be read (a full disk): one line
        raise_write_fault(exc, index.directory)
        raise
    print("\n".join(report.lines()))
    if repair and report.repaired:
        after = check_index(index)
        print("After repair: " + ("consistent." if after.consistent else "still inconsistent:"))
        if not after.consistent:
            print("\n".join(after.lines()[1:]))
            return 1
        return 0
    return 0 if report.consistent else 1
