"""Benchmark: ingest the bundled corpus, then time retrieval (dense, keyword, hybrid) and full
answers over the gold questions. Prints figures; asserts nothing.

    .venv/bin/python bench/ingest_query.py [--questions N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from rag_council import BUNDLED_CORPUS, SentenceTransformerEmbedder, Settings, build_index, open_index
from rag_council.retrieve.retrievers import variants

ROOT = Path(__file__).resolve().parents[1]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=60)
    parser.add_argument("--keep", help="index folder to reuse (default: a new temporary one)")
    args = parser.parse_args()
    root = Path(args.keep or tempfile.mkdtemp(prefix="rag-council-bench-"))
    settings = Settings(index_root=root, index="bench")
    print(f"machine: {os.cpu_count()} cores; torch threads {__import__('torch').get_num_threads()}")

    started = time.perf_counter()
    embedder = SentenceTransformerEmbedder()
    print(f"model load: {time.perf_counter() - started:.1f} s")

    report = build_index([BUNDLED_CORPUS], settings, embedder=embedder)
    print(
        f"ingest: {report.documents} documents, {report.chunks} chunks in {report.seconds:.1f} s "
        f"({report.chunks / max(report.seconds, 1e-9):.1f} chunks/s); re-ingest: ",
        end="",
    )
    again = build_index([BUNDLED_CORPUS], settings, embedder=embedder)
    print(f"{again.seconds:.2f} s, {len(again.added)} added")

    engine = open_index(None, settings, embedder=embedder)
    questions = [
        json.loads(line)["question"] for line in (ROOT / "evals" / "gold.jsonl").open(encoding="utf-8")
    ]
    questions = questions[: args.questions]
    r = settings.retrieval
    for name, retriever in variants(engine.index, r).items():
        retriever.retrieve("warm up", r.top_k)
        times = []
        for q in questions:
            t = time.perf_counter()
            retriever.retrieve(q, r.top_k)
            times.append(time.perf_counter() - t)
        print(
            f"retrieve, {name:45s}: p50 {1000 * statistics.median(times):6.1f} ms  "
            f"p95 {1000 * pct(times, 0.95):6.1f} ms  ({len(times)} questions, top {r.top_k})"
        )
    load = os.getloadavg()[0]
    print(
        f"load average while timing: {load:.1f} on {os.cpu_count()} cores"
        + ("  (busy: figures inflated)" if load > 1.5 else "")
    )
    totals, answers = [], []
    for q in questions:
        answer = engine.ask(q)
        totals.append(answer.timings["total_s"])
        answers.append(answer.timings["answer_s"])
    print(
        f"ask (extractive): p50 {1000 * statistics.median(totals):.0f} ms  p95 {1000 * pct(totals, 0.95):.0f} ms"
        f"  (answer step p50 {1000 * statistics.median(answers):.0f} ms)"
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (RSS): {rss:.0f} MB")


if __name__ == "__main__":
    main()
