"""The ingest pipeline: files -> (hash) -> load -> chunk -> embed -> write, one document at a
time. The index only stores (`Index.write_document`); this module decides what to write.

A file whose bytes hash to the document id the index already holds under its name is not
read further: no parsing, no chunking, no model (the embedder and the sentence splitter load
on their first use), so an unchanged corpus re-ingests in about the time it takes to hash it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from rag_council.errors import LoaderError, RagCouncilError
from rag_council.index.faults import raise_write_fault
from rag_council.index.lock import crash_point
from rag_council.ingest.loaders import discover
from rag_council.types import Document, IngestReport, SkippedFile

if TYPE_CHECKING:
    from rag_council.index import Index, Progress


def file_id(path: Path) -> str:
    """The document id a file would get (rag_council.ingest.loaders: sha256 of its bytes)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def ingest(index: Index, paths: Iterable[str | Path], progress: Progress | None = None) -> IngestReport:
    """Ingest files and folders into `index`; unchanged files are only hashed."""
    started = time.perf_counter()
    report = IngestReport(index=index.name)
    found = discover([Path(p) for p in paths])
    report.skipped.extend(found.skipped)
    max_bytes = int(index.settings.max_file_mb * 1e6)
    total = len(found.files)
    for done, (path, name) in enumerate(found.files):
        if progress:
            progress(name, done, total)
        try:
            old = index.manifest.documents.get(name)
            if old is not None and path.stat().st_size <= max_bytes and file_id(path) == old.doc_id:
                report.pages += old.pages
                report.unchanged.append(name)
                continue
            from rag_council.ingest import load_document

            ingest_document(index, load_document(path, name, max_bytes), report)
        except LoaderError as exc:
            report.skipped.append(SkippedFile(name, str(exc)))
        except RagCouncilError:
            raise  # store or configuration trouble: stop, the index is as it was
        except Exception as exc:  # a bug on one odd file must not stop the rest ...
            raise_write_fault(exc, index.directory)  # ... but a full disk or store failure does
            report.skipped.append(
                SkippedFile(name, f"unexpected error while reading: {type(exc).__name__}: {exc}")
            )
    crash_point("before-keyword")  # (test hook: every document written)
    if progress:
        progress("", total, total)
    report.documents = len(index.manifest.documents)
    report.chunks = index.keyword.totals()[0]
    report.seconds = time.perf_counter() - started
    return report


def ingest_document(index: Index, doc: Document, report: IngestReport) -> None:
    """Chunk, embed and write one loaded document (unless the index already holds it)."""
    from rag_council.ingest.chunking import embedding_text

    report.pages += len(doc.pages)
    old = index.manifest.documents.get(doc.name)
    if old and old.doc_id == doc.doc_id:
        report.unchanged.append(doc.name)
        return
    chunks = index.chunker.chunk(doc)
    if not chunks:
        report.skipped.append(SkippedFile(doc.name, "no text left after cleaning"))
        return
    vectors = index.embedder.embed([embedding_text(c) for c in chunks])
    replaced = index.write_document(doc, chunks, vectors)
    (report.replaced if replaced else report.added).append(doc.name)
    if doc.warnings:
        report.warnings[doc.name] = list(doc.warnings)
