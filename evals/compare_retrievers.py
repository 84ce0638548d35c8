"""Retrieval side by side: dense, BM25 and the hybrid pipeline on the gold questions.

For every answerable question of the gold file, the first of the top 10 passages that holds a
gold quote (the same test as `rag-council eval`) gives hit@1, hit@5, hit@10 and MRR, overall and
per kind of question; the time of each retrieval gives p50/p95 latency. Prints a Markdown table
(the one in evals/retrieval_comparison.md); asserts nothing.

    .venv/bin/python evals/compare_retrievers.py [--index default] [--gold evals/gold.jsonl]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from rag_council import Settings, open_index
from rag_council.evaluate import metrics as M
from rag_council.evaluate.gold import load_gold
from rag_council.retrieve.retrievers import Retriever, variants

ROOT = Path(__file__).resolve().parents[1]
DEPTH = 10


def evaluate(retriever: Retriever, items: list) -> dict[str, dict[str, float]]:
    retriever.retrieve("warm up the models", DEPTH)
    groups: dict[str, list[int | None]] = defaultdict(list)
    latency: list[float] = []
    for item in items:
        started = time.perf_counter()
        hits = retriever.retrieve(" ".join(item.question.split()), DEPTH)
        latency.append(time.perf_counter() - started)
        rank = M.first_hit_rank(item.quotes, [h.chunk.text for h in hits])
        groups["all"].append(rank)
        groups[item.kind].append(rank)
    table: dict[str, dict[str, float]] = {}
    for kind, ranks in groups.items():
        table[kind] = {
            "n": len(ranks),
            "hit@1": statistics.mean(M.hit_at(x, 1) for x in ranks),
            "hit@5": statistics.mean(M.hit_at(x, 5) for x in ranks),
            "hit@10": statistics.mean(M.hit_at(x, 10) for x in ranks),
            "mrr": statistics.mean(M.reciprocal_rank(x) for x in ranks),
        }
    ordered = sorted(latency)
    table["all"]["p50_ms"] = 1000 * ordered[len(ordered) // 2]
    table["all"]["p95_ms"] = 1000 * ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", default=None, help="index name (default: the settings')")
    parser.add_argument("--gold", default=str(ROOT / "evals" / "gold.jsonl"))
    parser.add_argument("--only", help="compare just the pipelines whose name contains this")
    args = parser.parse_args()
    settings = Settings() if args.index is None else Settings(index=args.index)
    engine = open_index(None, settings)
    items = [i for i in load_gold(args.gold) if i.answerable]
    results = {
        name: evaluate(r, items)
        for name, r in variants(engine.index, settings.retrieval).items()
        if not args.only or args.only in name
    }

    print(f"{len(items)} answerable questions of {args.gold}; top {DEPTH}; duplicates dropped.\n")
    print("| retriever | hit@1 | hit@5 | hit@10 | MRR | p50 ms | p95 ms |")
    print("|---|---|---|---|---|---|---|")
    for name, table in results.items():
        a = table["all"]
        print(
            f"| {name} | {a['hit@1']:.3f} | {a['hit@5']:.3f} | {a['hit@10']:.3f} | {a['mrr']:.3f} "
            f"| {a['p50_ms']:.0f} | {a['p95_ms']:.0f} |"
        )
    kinds = sorted({k for t in results.values() for k in t if k != "all"})
    for metric in ("hit@5", "mrr"):
        print(f"\n{metric} per kind of question:\n")
        print(
            "| retriever | "
            + " | ".join(f"{k} ({results[next(iter(results))][k]['n']})" for k in kinds)
            + " |"
        )
        print("|---|" + "---|" * len(kinds))
        for name, table in results.items():
            print(f"| {name} | " + " | ".join(f"{table[k][metric]:.3f}" for k in kinds) + " |")


if __name__ == "__main__":
    main()
