"""Choose the extractive answer's sentence weights by cross-validation over questions.

    python evals/tune_extractive.py [--gold evals/gold.jsonl] [--index default] [--out FILE]
                                    [--eval-out DIR]

Every gold question is answered by the full engine (records answers, the extractive answerer,
the check, the decision to answer) once per setting of `rag_council.answer.extractive.Weights`
in GRID. Retrieval and sentence embeddings are remembered between settings inside this script
only (the settings change neither), so a setting costs the answering, not the models. With 5
folds by question id (stratified by kind, the folds of tune_decide.py), the setting with the best
mean of citation hit and key-fact recall on four folds (among those whose median answer is at
most 80 words and whose false abstention there is no higher than the current default's) is
measured on the fifth; the held-out figures are what count. `--eval-out` writes the full
evaluation report of the setting chosen on all the questions (figures in-sample)."""

from __future__ import annotations

import argparse
import pickle
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from rag_council import open_index
from rag_council.answer.extractive import ExtractiveGenerator, Weights
from rag_council.evaluate.gold import load_gold
from rag_council.evaluate.metrics import answer_words, percentile
from rag_council.evaluate.runner import evaluate
from rag_council.settings import Settings

FOLDS = 5
MAX_MEDIAN_WORDS = 80

BEFORE = Weights(cosine=0.55, coverage=0.30, prior=0.15, kind=0.0, novelty=0.0, idf=False)
GRID: dict[str, Weights] = {"before": BEFORE}
for _kind in (0.0, 0.15, 0.3):
    for _novelty in (0.0, 0.2):
        for _idf in (False, True):
            if not (_kind or _novelty or _idf):
                continue  # that is "before"
            GRID[f"kind {_kind}, novelty {_novelty}{', idf' if _idf else ''}"] = Weights(
                0.55, 0.30, 0.15, _kind, _novelty, _idf
            )
for _prior in (0.3, 0.45):
    GRID[f"kind 0.0, novelty 0.0, prior {_prior}"] = Weights(0.55, 0.30, _prior, 0.0, 0.0, False)
    for _kind in (0.15, 0.3):
        for _novelty in (0.0, 0.2):
            for _idf in (False, True):
                GRID[f"kind {_kind}, novelty {_novelty}{', idf' if _idf else ''}, prior {_prior}"] = Weights(
                    0.55, 0.30, _prior, _kind, _novelty, _idf
                )


class Remembered:
    """An embedder that remembers what it embedded (this script answers each question many times)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.texts: dict[str, np.ndarray] = {}
        self.queries: dict[str, np.ndarray] = {}

    def embed(self, texts: list[str]) -> np.ndarray:
        new = [t for t in dict.fromkeys(texts) if t not in self.texts]
        if new:
            for t, v in zip(new, self.inner.embed(new), strict=True):
                self.texts[t] = v
        return np.stack([self.texts[t] for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        if text not in self.queries:
            self.queries[text] = self.inner.embed_query(text)
        return self.queries[text]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def remember_retrieval(engine: Any, seen: dict[tuple, Any]) -> None:
    inner = engine.retriever.retrieve

    def retrieve(question: str, k: int, filters: Any = None) -> Any:
        key = (question, k, repr(filters))
        if key not in seen:
            seen[key] = inner(question, k, filters)
        return list(seen[key])

    engine.retriever.retrieve = retrieve


def rows_of(run: Any) -> dict[str, dict]:
    rows = {}
    for r in run.results:
        rows[r.item.id] = {
            "kind": r.item.kind,
            "answerable": r.item.answerable,
            "abstained": r.answer.abstained,
            "hit": float(bool(r.citation_hit)) if r.item.answerable else None,
            "facts": r.fact_recall,
            "words": None if r.answer.abstained else answer_words(r.answer.text),
        }
    return rows


def summary(rows: list[dict]) -> dict[str, float | None]:
    hits = [r["hit"] for r in rows if r["hit"] is not None]
    facts = [r["facts"] for r in rows if r["answerable"] and r["facts"] is not None]
    words = [r["words"] for r in rows if r["words"] is not None]
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    return {
        "citation_hit": sum(hits) / len(hits) if hits else None,
        "key_fact_recall": sum(facts) / len(facts) if facts else None,
        "false_abstention": sum(r["abstained"] for r in answerable) / len(answerable) if answerable else None,
        "abstention_recall": sum(r["abstained"] for r in unanswerable) / len(unanswerable)
        if unanswerable
        else None,
        "words_p50": percentile(words, 50),
        "words_p95": percentile(words, 95),
    }


def objective(s: dict[str, float | None], max_false: float) -> float:
    if s["words_p50"] is not None and s["words_p50"] > MAX_MEDIAN_WORDS:
        return -1.0
    if (s["false_abstention"] or 0.0) > max_false + 1e-9:
        return -1.0
    return ((s["citation_hit"] or 0.0) + (s["key_fact_recall"] or 0.0)) / 2


def line(name: str, s: dict[str, float | None]) -> str:
    return (
        f"| {name} | {s['citation_hit']:.3f} | {s['key_fact_recall']:.3f} | {s['false_abstention']:.3f} |"
        f" {s['abstention_recall']:.3f} | {s['words_p50']} | {s['words_p95']} |"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gold", type=Path, default=Path(__file__).with_name("gold.jsonl"))
    ap.add_argument("--index", default="default")
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("extractive_cv.md"))
    ap.add_argument("--eval-out", type=Path, help="the full report of the chosen setting (in-sample)")
    ap.add_argument("--only", nargs="*", help="names of GRID settings to run (default: all)")
    ap.add_argument(
        "--write", help="with --eval-out: the setting to write (default: the best on all questions)"
    )
    ap.add_argument("--memo", type=Path, help="keep retrieval and embeddings in this file between runs")
    args = ap.parse_args()
    items = load_gold(args.gold)
    engine = open_index(args.index, Settings())
    if not isinstance(engine.generator, ExtractiveGenerator):
        raise SystemExit("answer.generator must be extractive")
    retrieved: dict[tuple, Any] = {}
    embedder = Remembered(engine.generator.embedder)
    if args.memo and args.memo.is_file():
        with args.memo.open("rb") as f:
            retrieved, embedder.texts, embedder.queries = pickle.load(f)
    remember_retrieval(engine, retrieved)
    engine.generator.embedder = embedder
    grid = {n: w for n, w in GRID.items() if not args.only or n in args.only or n == "before"}
    runs: dict[str, dict[str, dict]] = {}
    evals: dict[str, Any] = {}
    for name, weights in grid.items():
        started = time.perf_counter()
        engine.generator.weights = weights
        run = evaluate(engine, items)
        runs[name] = rows_of(run)
        evals[name] = run
        s = summary(list(runs[name].values()))
        print(f"{name}: {s} ({time.perf_counter() - started:.0f} s)", flush=True)
    if args.memo:
        with args.memo.open("wb") as f:
            pickle.dump((retrieved, embedder.texts, embedder.queries), f)
    ids = [i.id for i in items]
    by_kind: dict[str, list[str]] = defaultdict(list)
    for i in items:
        by_kind[i.kind].append(i.id)
    fold = {}
    for members in by_kind.values():
        for j, i in enumerate(sorted(members)):
            fold[i] = j % FOLDS
    lines = [
        "# The extractive answer's sentence weights, cross-validated",
        "",
        f"Written by `evals/tune_extractive.py`: {len(ids)} gold questions, each answered by the full engine"
        " (records answers, the extractive answerer, the check, the decision to answer) once per setting of"
        " `rag_council.answer.extractive.Weights` (cosine 0.55 and coverage 0.30 throughout; kind: the"
        " sentence holds the kind of thing asked for; novelty: question words not yet said; prior: the"
        " passage's retrieval score; idf: rarer question words count more).",
        "",
        "## Every setting on all the questions (in-sample: for comparison only)",
        "",
        "| setting | citation hit | key-fact recall | false abstention | abstention recall | words p50 | words p95 |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, rows in runs.items():
        lines.append(line(name, summary([rows[i] for i in ids])))
    held: list[dict] = []
    held_before: list[dict] = []
    chosen = []
    for k in range(FOLDS):
        train = [i for i in ids if fold[i] != k]
        limit = summary([runs["before"][i] for i in train])["false_abstention"] or 0.0
        best = max(runs, key=lambda n: objective(summary([runs[n][i] for i in train]), limit))
        chosen.append(best)
        held += [runs[best][i] for i in ids if fold[i] == k]
        held_before += [runs["before"][i] for i in ids if fold[i] == k]
    lines += [
        "",
        "## Held out",
        "",
        f"{FOLDS} folds by question id, stratified by kind. On each training part the setting with the best"
        " mean of citation hit and key-fact recall, among those with a median answer of at most"
        f" {MAX_MEDIAN_WORDS} words and no more false abstention than `before` there, is chosen and"
        f" measured on the held-out fold. Chosen: {'; '.join(chosen)}.",
        "",
        "| held-out folds | citation hit | key-fact recall | false abstention | abstention recall | words p50 | words p95 |",
        "|---|---|---|---|---|---|---|",
        line("before (the weights as they were)", summary(held_before)),
        line("each question with the setting chosen without it", summary(held)),
        "",
        "`before` is the old weights with this code's sentence filters (heading lines, fields in bold),"
        " so the table measures the weights alone; `rag-council eval --baseline` on main measures the whole"
        " change. Latency is not measured here (retrieval and embeddings are remembered between settings).",
    ]
    text = "\n".join(lines) + "\n"
    args.out.write_text(text, encoding="utf-8")
    print(text)
    if args.eval_out:
        from rag_council.evaluate.report import write_outputs

        overall = args.write or max(runs, key=lambda n: objective(summary(list(runs[n].values())), 1.0))
        write_outputs(evals[overall], args.eval_out)
        print(f"{overall}: wrote {args.eval_out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
