"""Benchmark: full answers over the gold questions with and without the query-time embedding
cache (embedder.cache_size), side by side in one run: two engines over the same index and the
same MiniLM, each question asked by both, the order alternating question by question. Prints
answer latency p50/p95 for each and their ratio, and the embedder calls (forward passes) and
texts embedded per question. Asserts nothing; the figures go to bench/README.md.

    RAG_COUNCIL_INDEX_ROOT=/tmp/perf-idx .venv/bin/python bench/answer_cache.py \\
        [--index default] [--questions 230] [--passes 2] [--generator extractive]

Pass 1 starts with an empty cache (every question is new; what repeats is the passages'
sentences and the question embedded by both retrieval and the answerer); pass 2 asks the same
questions again (an app's users asking what was asked before)."""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import threading
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np

from rag_council import Settings
from rag_council.embedding import CachedEmbedder, Embedder, make_embedder
from rag_council.engine import Engine

ROOT = Path(__file__).resolve().parents[1]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


class Counted:
    """The real embedder, counting what reaches it: embed calls, texts, embed_query calls."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name, self.dimension, self.max_tokens = inner.name, inner.dimension, inner.max_tokens
        self.calls = self.texts = self.queries = 0
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            self.calls += 1
            self.texts += len(texts)
        return self.inner.embed(texts)

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            self.queries += 1
        return self.inner.embed_query(text)

    def tokenize(self, text: str) -> list[str]:
        return self.inner.tokenize(text)

    def snapshot(self) -> tuple[int, int, int]:
        return self.calls, self.texts, self.queries


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--index", default="default")
    parser.add_argument("--questions", type=int, default=230)
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--generator", default="extractive")
    parser.add_argument(
        "--cache-size", type=int, default=None, help="default: the settings' embedder.cache_size"
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    base = Settings(index=args.index).with_generator(args.generator)
    size = base.embedder.cache_size if args.cache_size is None else args.cache_size
    on = base.model_copy(update={"embedder": base.embedder.model_copy(update={"cache_size": size})})
    off = base.model_copy(update={"embedder": base.embedder.model_copy(update={"cache_size": 0})})
    real = make_embedder(base.embedder)
    counted = {"cache": Counted(real), "no cache": Counted(real)}
    engines = {"cache": Engine.open(on, counted["cache"]), "no cache": Engine.open(off, counted["no cache"])}
    cache = engines["cache"].index.embedder
    assert isinstance(cache, CachedEmbedder)
    questions = [
        json.loads(line)["question"]
        for line in (ROOT / "evals" / "gold.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ][: args.questions]
    print(
        f"index '{args.index}' at {base.index_root} ({engines['cache'].index.count()} chunks), "
        f"embedder {real.name}, generator {args.generator}, cache_size {size}, {len(questions)} questions"
    )
    engines["no cache"].ask("warm-up: load the model")  # not counted; the cache's engine starts empty
    same = 0
    results = []
    for p in range(1, args.passes + 1):
        lat: dict[str, list[float]] = {k: [] for k in engines}
        cpu: dict[str, float] = dict.fromkeys(engines, 0.0)
        before = {k: c.snapshot() for k, c in counted.items()}
        load0 = os.getloadavg()[0]
        for i, q in enumerate(questions):
            order = ["cache", "no cache"] if i % 2 == 0 else ["no cache", "cache"]
            texts = {}
            for name in order:
                r0 = resource.getrusage(resource.RUSAGE_SELF)
                t0 = time.perf_counter()
                answer = engines[name].ask(q)
                lat[name].append(time.perf_counter() - t0)
                r1 = resource.getrusage(resource.RUSAGE_SELF)
                cpu[name] += (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
                texts[name] = (answer.text, answer.abstained)
            same += texts["cache"] == texts["no cache"]
        load1 = os.getloadavg()[0]
        print(f"\npass {p} (load average {load0:.2f} -> {load1:.2f})")
        print(
            f"{'':10} {'p50 s':>8} {'p95 s':>8} {'mean s':>8} {'CPU s/q':>8} {'calls/q':>8} {'queries/q':>9} {'texts/q':>8}"
        )
        row: dict[str, object] = {"pass": p, "load": [round(load0, 2), round(load1, 2)]}
        for name, c in counted.items():
            calls, texts_n, queries = (a - b for a, b in zip(c.snapshot(), before[name], strict=True))
            n = len(questions)
            print(
                f"{name:10} {pct(lat[name], 0.5):8.3f} {pct(lat[name], 0.95):8.3f} "
                f"{statistics.fmean(lat[name]):8.3f} {cpu[name] / n:8.3f} {calls / n:8.2f} {queries / n:9.2f} {texts_n / n:8.1f}"
            )
            row[name] = {
                "p50_s": round(pct(lat[name], 0.5), 4),
                "p95_s": round(pct(lat[name], 0.95), 4),
                "mean_s": round(statistics.fmean(lat[name]), 4),
                "cpu_s_per_q": round(cpu[name] / n, 4),
                "embed_calls_per_q": round(calls / n, 3),
                "embed_query_calls_per_q": round(queries / n, 3),
                "texts_per_q": round(texts_n / n, 2),
            }
        ratio50 = pct(lat["cache"], 0.5) / pct(lat["no cache"], 0.5)
        ratio95 = pct(lat["cache"], 0.95) / pct(lat["no cache"], 0.95)
        print(f"cache / no cache: p50 x{ratio50:.2f}, p95 x{ratio95:.2f}; cache entries {len(cache.cache)}")
        row["ratio_p50"], row["ratio_p95"] = round(ratio50, 3), round(ratio95, 3)
        row["entries"] = len(cache.cache)
        results.append(row)
    total = len(questions) * args.passes
    print(f"\nsame answer text with and without the cache: {same} of {total}")
    if args.json:
        args.json.write_text(
            json.dumps({"same": same, "of": total, "passes": results}, indent=1), encoding="utf-8"
        )


if __name__ == "__main__":
    main()
