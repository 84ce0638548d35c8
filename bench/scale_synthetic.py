"""Past what the parser can ingest in the time: synthetic chunks written straight through the
index's own write paths, to measure the query side at up to 1M chunks.

    python bench/scale_synthetic.py --index-root DIR --index NAME --chunks 1000000
                                    [--minutes 40] [--batch-docs 20]

Takes an index `bench/scale.py --keep` built (hash embedder) and appends copies of the chunks of
its copy-0 documents (the five bundled ones) until it holds `--chunks` chunks or `--minutes`
have passed. Copy j of a document: name `syn<j>_<name>`, its years shifted by j % 20 in the
text, the chunk metadata and the saved document (same length, so offsets stay valid), and the
vectors of the original chunks with small random noise added (unit length again), so that a
copy is near but not equal to its original; the hash embedder's vectors would be as arbitrary
and cost ~1 ms a chunk to compute. Written with `ChromaStore.upsert` (batches of up to the
store's batch size), `KeywordIndex.add_document` (postings, terms, facets, chunk_facets) and
the saved document JSON, as `Index.write_document` does, less the records extraction (no
records.sqlite rows for the copies). Prints one JSON line per --report-every chunks (chunks,
elapsed wall and CPU, ms per chunk, RSS, load) and a last one. It asserts nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag_council import Settings  # noqa: E402
from rag_council.embedding import make_embedder  # noqa: E402
from rag_council.index import Index  # noqa: E402

_YEAR = re.compile(r"\b(19[5-9]\d|20[0-4]\d)\b")


def years(text: str, shift: int) -> str:
    return _YEAR.sub(lambda m: str(int(m.group(1)) + shift), text) if shift else text


def shifted_meta(meta: dict, shift: int) -> dict:
    return {k: years(v, shift) if isinstance(v, str) else v for k, v in meta.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--index-root", required=True)
    parser.add_argument("--index", required=True)
    parser.add_argument("--chunks", type=int, default=1_000_000)
    parser.add_argument("--minutes", type=float, default=40)
    parser.add_argument("--batch-docs", type=int, default=20)
    parser.add_argument("--report-every", type=int, default=25_000)
    args = parser.parse_args()

    settings = Settings(index_root=Path(args.index_root), index=args.index)
    settings = settings.model_copy(update={"embedder": settings.embedder.model_copy(update={"kind": "hash"})})
    index = Index.open(settings, make_embedder(settings.embedder))
    rng = np.random.default_rng(0)
    bases = []
    for name in sorted(n for n in index.manifest.documents if re.match(r"^\d{3}_", n)):
        record = index.manifest.documents[name]
        chunks, vectors = index.store.fetch(record.chunk_ids)  # type: ignore[attr-defined]
        doc = index.document(record.doc_id)
        assert doc is not None and len(chunks) == len(record.chunk_ids), name
        bases.append((record, chunks, np.stack([vectors[c.chunk_id] for c in chunks]), doc))
    names = set(index.manifest.documents)
    copy = 1 + max((int(m.group(1)) for n in names if (m := re.match(r"syn(\d+)_", n))), default=0)

    started, cpu0 = time.perf_counter(), time.process_time()
    written, next_report = 0, args.report_every
    deadline = started + 60 * args.minutes

    def report(final: bool = False) -> None:
        total = index.keyword.totals()[0]
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu0
        print(
            json.dumps(
                {
                    "final": final,
                    "chunks": total,
                    "written_here": written,
                    "wall_s": round(wall, 1),
                    "cpu_s": round(cpu, 1),
                    "ms_per_chunk": round(1000 * wall / max(written, 1), 3),
                    "cpu_ms_per_chunk": round(1000 * cpu / max(written, 1), 3),
                    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                    "load_avg_1m": round(os.getloadavg()[0], 1),
                }
            ),
            flush=True,
        )

    while index.keyword.totals()[0] < args.chunks and time.perf_counter() < deadline:
        pending_chunks, pending_vectors, pending_docs = [], [], []
        for _ in range(args.batch_docs):
            shift = copy % 20
            for record, chunks, vectors, doc in bases:
                name = f"syn{copy:05d}_{record.name}"
                doc_id = hashlib.sha256(name.encode()).hexdigest()[:16]
                new = [
                    replace(
                        c,
                        chunk_id=hashlib.sha256(f"{name}:{c.chunk_id}".encode()).hexdigest()[:32],
                        doc_id=doc_id,
                        document=name,
                        text=years(c.text, shift),
                        title=years(c.title, shift),
                        section=years(c.section, shift),
                        meta=shifted_meta(c.meta, shift),
                    )
                    for c in chunks
                ]
                noisy = vectors + rng.normal(0, 0.02, vectors.shape).astype(np.float32)
                noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
                pending_chunks += new
                pending_vectors.append(noisy)
                meta = shifted_meta(dict(record.meta), shift)
                data = {
                    **asdict(record),
                    "name": name,
                    "doc_id": doc_id,
                    "meta": meta,
                    "title": years(record.title, shift),
                }
                data.pop("chunk_ids")
                saved = replace(
                    doc,
                    doc_id=doc_id,
                    name=name,
                    title=data["title"],
                    text=years(doc.text, shift),
                    source_text=years(doc.source_text, shift),
                    meta=meta,
                )
                pending_docs.append((name, doc_id, new, json.dumps(data, ensure_ascii=False), saved))
            copy += 1
        for saved in (d[4] for d in pending_docs):
            index._save_document(saved)
        index.store.upsert(pending_chunks, np.concatenate(pending_vectors))
        for name, doc_id, new, data, _ in pending_docs:
            index.keyword.add_document(name, doc_id, new, data)
        written += len(pending_chunks)
        if written >= next_report:
            report()
            next_report += args.report_every
    report(final=True)


if __name__ == "__main__":
    main()
