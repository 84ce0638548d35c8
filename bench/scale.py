"""Scale benchmark: a synthetic index of N chunks, then the figures of issue 15 as one JSON line.

    python bench/scale.py --chunks 10000 [--embedder hash|sentence-transformers|onnx]
                          [--keep DIR] [--questions 40] [--llama] [--host H --port P]

The corpus is copies of the bundled documents: copy 0 is the corpus itself (so the gold
questions have their documents), copy i > 0 has renamed files, years shifted by i and amounts
scaled, so that copies are not duplicates of each other. Timings:

    ingest_s          fresh ingest of the whole corpus (in process)
    add_one_s         one more file (a new copy of the smallest document) into the full index
    reingest_s        `python -m rag_council.cli ingest DIR` of the unchanged corpus (a new process)
    retrieve_*_ms     the hybrid retriever (the default pipeline) over the gold questions
    answer_*_ms       Engine.ask with the extractive answerer over the same questions
    hit5/mrr          retrieval quality on the gold questions: a hit is a passage of copy 0
                      holding one of the question's gold quotes (document-level when --llama,
                      for a fair comparison with llama-index's 1024-token chunks)

With --llama, llama-index's default pipeline (VectorStoreIndex over the same Chroma, its
default splitter, the same embedder) is built over the same corpus and asked the same
questions; the `llama_*` keys and ratios (llama / ours) are added.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag_council import BUNDLED_CORPUS, Settings  # noqa: E402
from rag_council.embedding import make_embedder  # noqa: E402
from rag_council.index import Index  # noqa: E402
from rag_council.ingest.cleaning import normalise_for_match  # noqa: E402

_YEAR = re.compile(r"\b(19[5-9]\d|20[0-4]\d)\b")
_AMOUNT = re.compile(r"£(\d[\d,]*)(\.\d+)?")


def shifted(text: str, i: int) -> str:
    """Copy i of a document: years + i, pound amounts scaled by (1 + i / 100)."""
    text = _YEAR.sub(lambda m: str(int(m.group(1)) + i), text)

    def amount(m: re.Match) -> str:
        value = int(m.group(1).replace(",", "")) * (100 + i) // 100
        return f"£{value:,}{m.group(2) or ''}"

    return _AMOUNT.sub(amount, text)


def sources() -> list[Path]:
    return sorted(p for p in BUNDLED_CORPUS.iterdir() if p.suffix == ".txt")


def write_copy(folder: Path, i: int) -> list[Path]:
    out = []
    for src in sources():
        # Flat, so that the name a file is ingested under is the same whether it is given
        # alone (the build, a copy at a time) or found in the folder (the re-ingest).
        dest = folder / (src.name if i == 0 else f"c{i:05d}_{src.name}")
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(
            src.read_text(encoding="utf-8") if i == 0 else shifted(src.read_text(encoding="utf-8"), i)
        )
        out.append(dest)
    if i == 0:
        shutil.copy(BUNDLED_CORPUS / "manifest.toml", folder / "manifest.toml")
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def gold(n: int) -> list[dict]:
    rows = [json.loads(line) for line in (ROOT / "evals" / "gold.jsonl").open(encoding="utf-8")]
    return [r for r in rows if r.get("quotes")][:n]


def quality(ranked: list[list[tuple[str, str]]], rows: list[dict], by_document: bool) -> dict[str, float]:
    """hit@5 and MRR@10: the first of the top 10 (document name, text) that is of copy 0 and
    holds a gold quote (or, by document, is one of the gold sources)."""
    hits, rr = 0, 0.0
    for found, row in zip(ranked, rows, strict=True):
        quotes = [normalise_for_match(q) for q in row["quotes"]]
        for rank, (document, text) in enumerate(found[:10], start=1):
            if by_document:
                ok = Path(document).name in row["sources"]
            else:
                body = normalise_for_match(text)
                ok = Path(document).name in row["sources"] and any(q[:80] in body for q in quotes)
            if ok:
                hits += rank <= 5
                rr += 1 / rank
                break
    return {"hit5": round(hits / len(rows), 3), "mrr": round(rr / len(rows), 3)}


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def build_corpus(
    n: int, corpus: Path, root: Path, settings: Settings, embedder: object, resume: bool = False
) -> dict:
    """Fresh ingest, one copy of the corpus at a time until n chunks; then one more file. With
    `resume`, an index a run before left part-built is continued (its copies are unchanged);
    ingest_s then counts only the copies added in this run."""
    if not resume:
        shutil.rmtree(corpus, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)
    index = Index.create(settings, embedder, rebuild=not resume)  # type: ignore[arg-type]
    ingest_s, added_chunks, copies = 0.0, 0, 0
    while index.keyword.totals()[0] < n:
        before = index.keyword.totals()[0]
        started = time.perf_counter()
        report = index.ingest(write_copy(corpus, copies))
        if report.added or report.replaced:
            ingest_s += time.perf_counter() - started
            added_chunks += index.keyword.totals()[0] - before
        copies += 1
    chunks = index.keyword.totals()[0]
    smallest = min(sources(), key=lambda p: p.stat().st_size)
    extra = corpus / f"extra_{smallest.name}"
    extra.write_text(shifted(smallest.read_text(encoding="utf-8"), copies + 1))
    started = time.perf_counter()
    report = index.ingest([extra])
    add_one_s = time.perf_counter() - started
    assert report.added == [extra.name], report
    # And one more in the same, now warm, process (an app server's upload).
    second = corpus / f"extra2_{smallest.name}"
    second.write_text(shifted(smallest.read_text(encoding="utf-8"), copies + 2))
    started = time.perf_counter()
    index.ingest([second])
    add_one_warm_s = time.perf_counter() - started
    return {
        "add_one_warm_s": add_one_warm_s,
        "chunks": chunks,
        "ingested_here": added_chunks,
        "ingest_s": ingest_s,
        "add_one_s": add_one_s,
        "add_one_chunks": len(index.manifest.documents[extra.name].chunk_ids),
        "build_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=1000)
    parser.add_argument("--embedder", default="hash", choices=["hash", "sentence-transformers", "onnx"])
    parser.add_argument("--keep", help="work folder to use (default: a new temporary one)")
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--llama", action="store_true", help="also llama-index's default pipeline")
    parser.add_argument("--host", default="", help="a Chroma server instead of the embedded store")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--reuse", action="store_true", help="keep the index a run before built in --keep")
    parser.add_argument(
        "--resume", action="store_true", help="continue an index a run before left part-built"
    )
    parser.add_argument("--name", default="", help="index name (default: scale<N>)")
    args = parser.parse_args()

    work = Path(args.keep or tempfile.mkdtemp(prefix="rag-council-scale-"))
    corpus, root = work / "corpus", work / "indexes"
    index_name = args.name or f"scale{args.chunks}"
    settings = Settings(index_root=root, index=index_name)
    settings = settings.model_copy(
        update={
            "embedder": settings.embedder.model_copy(update={"kind": args.embedder}),
            "store": settings.store.model_copy(update={"host": args.host, "port": args.port}),
        }
    )
    embedder = make_embedder(settings.embedder)
    saved = work / f"build-{index_name}.json"
    if args.reuse and saved.exists():
        build = json.loads(saved.read_text())  # the index and its build figures, from a run before
    else:
        build = build_corpus(args.chunks, corpus, root, settings, embedder, args.resume)
        saved.write_text(json.dumps(build))
    chunks, ingest_s, add_one_s = build["chunks"], build["ingest_s"], build["add_one_s"]

    # Unchanged re-ingest from the CLI, a new process (three runs, the median).
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT}:{ROOT / 'app'}",
        "RAG_COUNCIL_INDEX_ROOT": str(root),
        "RAG_COUNCIL_EMBEDDER__KIND": args.embedder,
        "RAG_COUNCIL_STORE__HOST": args.host,
        "RAG_COUNCIL_STORE__PORT": str(args.port),
    }
    runs, cpu_runs = [], []
    for _ in range(3):
        t = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "rag_council.cli",
                "ingest",
                str(corpus),
                "--index",
                index_name,
                "--no-progress",
            ],
            check=True,
            env=env,
            capture_output=True,
        )
        runs.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_runs.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    reingest_s = statistics.median(runs)

    # Questions: retrieval and full extractive answers.
    from rag_council.engine import Engine
    from rag_council.retrieve.retrievers import make_retriever

    rows = gold(args.questions)
    questions = [r["question"] for r in rows]
    index = Index.open(settings, embedder)
    retriever = make_retriever(index, settings.retrieval)
    k = settings.retrieval.top_k
    for q in questions[:3]:
        retriever.retrieve(q, k)  # warm up (model, caches)
    retrieve_ms, retrieve_cpu_ms, ranked = [], [], []
    for q in questions:
        t, c = time.perf_counter(), time.process_time()
        hits = retriever.retrieve(q, 10)
        retrieve_ms.append((time.perf_counter() - t) * 1000)
        retrieve_cpu_ms.append((time.process_time() - c) * 1000)
        ranked.append([(h.chunk.document, h.chunk.text) for h in hits])
    engine = Engine.open(settings.with_generator("extractive"), embedder)
    answer_ms, answer_cpu_ms = [], []
    for q in questions:
        t, c = time.perf_counter(), time.process_time()
        engine.ask(q)
        answer_ms.append((time.perf_counter() - t) * 1000)
        answer_cpu_ms.append((time.process_time() - c) * 1000)

    out: dict[str, object] = {
        "chunks": chunks,
        "documents": len(index.manifest.documents),
        "embedder": embedder.name,
        "store": f"server {args.host}:{args.port}" if args.host else "embedded",
        "ingest_s": round(ingest_s, 2),
        "ingest_ms_per_chunk": round(1000 * ingest_s / max(build.get("ingested_here", chunks), 1), 3),
        "ingested_here": build.get("ingested_here", chunks),
        "add_one_s": round(add_one_s, 3),
        "add_one_warm_s": round(build.get("add_one_warm_s", float("nan")), 3),
        "add_one_chunks": build["add_one_chunks"],
        "build_peak_rss_mb": build["build_peak_rss_mb"],
        "reingest_s": round(reingest_s, 2),
        "reingest_runs_s": [round(r, 2) for r in runs],
        "reingest_cpu_s": round(statistics.median(cpu_runs), 2),
        "retrieve_p50_ms": round(pct(retrieve_ms, 0.5), 1),
        "retrieve_p95_ms": round(pct(retrieve_ms, 0.95), 1),
        "answer_p50_ms": round(pct(answer_ms, 0.5), 1),
        "answer_p95_ms": round(pct(answer_ms, 0.95), 1),
        "retrieve_cpu_p50_ms": round(pct(retrieve_cpu_ms, 0.5), 1),
        "retrieve_cpu_p95_ms": round(pct(retrieve_cpu_ms, 0.95), 1),
        "answer_cpu_p50_ms": round(pct(answer_cpu_ms, 0.5), 1),
        "answer_cpu_p95_ms": round(pct(answer_cpu_ms, 0.95), 1),
        "load_avg_1m": round(os.getloadavg()[0], 1),
        "questions": len(questions),
        **quality(ranked, rows, by_document=args.llama),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "disk_bytes_per_chunk": round(du(root / index_name) / max(chunks, 1)) if not args.host else None,
    }
    if args.llama:
        from rag_council.llama_adapter import default_pipeline

        t = time.perf_counter()
        files = sorted(p for p in corpus.rglob("*.txt"))
        # The same Chroma as ours (our index's database, or the server), its own collection.
        query = default_pipeline(files, embedder, root / index_name / "chroma", args.host, args.port)
        out["llama_ingest_s"] = round(time.perf_counter() - t, 2)
        for q in questions[:3]:
            query(q, 10)
        llama_ms, llama_ranked = [], []
        for q in questions:
            t = time.perf_counter()
            found = query(q, 10)
            llama_ms.append((time.perf_counter() - t) * 1000)
            llama_ranked.append(found)
        lq = quality(llama_ranked, rows, by_document=True)
        out["llama_retrieve_p50_ms"] = round(pct(llama_ms, 0.5), 1)
        out["llama_retrieve_p95_ms"] = round(pct(llama_ms, 0.95), 1)
        out["llama_hit5"], out["llama_mrr"] = lq["hit5"], lq["mrr"]
        out["ratio_llama_over_ours"] = {
            "hit5": round(lq["hit5"] / max(float(out["hit5"]), 1e-9), 3),  # type: ignore[arg-type]
            "mrr": round(lq["mrr"] / max(float(out["mrr"]), 1e-9), 3),  # type: ignore[arg-type]
            "retrieve_p50": round(pct(llama_ms, 0.5) / max(pct(retrieve_ms, 0.5), 1e-9), 3),
            "retrieve_p95": round(pct(llama_ms, 0.95) / max(pct(retrieve_ms, 0.95), 1e-9), 3),
            "ingest": round(float(out["llama_ingest_s"]) / max(ingest_s, 1e-9), 3),  # type: ignore[arg-type]
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
