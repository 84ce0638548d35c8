"""Choose the extractive answer's settings by cross-validation over questions.

    python evals/tune_extractive.py NAME=EVAL_DIR [NAME=EVAL_DIR ...] [--out FILE]

Each EVAL_DIR is the `--eval-out` of `evals/tune_decide.py` run with one setting (e.g.
`--max-words 120 --novelty 0`). With the same 5 folds as tune_decide.py (by question id,
stratified by kind), the setting with the best mean of citation hit and key-fact recall on four
folds, among those whose median answer is at most 80 words there, is measured on the fifth."""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from rag_council.evaluate.metrics import answer_words, percentile

FOLDS = 5
MAX_MEDIAN_WORDS = 80


def load(directory: Path) -> dict[str, dict]:
    rows = {}
    for line in (directory / "answers.jsonl").read_text(encoding="utf-8").splitlines():
        a = json.loads(line)
        ev = a["eval"]
        rows[a["id"]] = {
            "kind": ev["kind"],
            "answerable": ev["answerable"],
            "hit": float(bool(ev.get("citation_hit"))) if ev["answerable"] else None,
            "facts": ev.get("key_fact_recall"),
            "words": None if a["abstained"] else answer_words(a["answer"]),
        }
    return rows


def summary(rows: list[dict]) -> dict[str, float | None]:
    hits = [r["hit"] for r in rows if r["hit"] is not None]
    facts = [r["facts"] for r in rows if r["answerable"] and r["facts"] is not None]
    words = [r["words"] for r in rows if r["words"] is not None]
    return {
        "citation_hit": sum(hits) / len(hits) if hits else None,
        "key_fact_recall": sum(facts) / len(facts) if facts else None,
        "words_p50": percentile(words, 50),
        "words_p95": percentile(words, 95),
    }


def objective(s: dict[str, float | None]) -> float:
    if s["words_p50"] is not None and s["words_p50"] > MAX_MEDIAN_WORDS:
        return -1.0
    return ((s["citation_hit"] or 0.0) + (s["key_fact_recall"] or 0.0)) / 2


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("extractive_cv.md"))
    args = ap.parse_args()
    runs = {}
    for arg in args.runs:
        name, _, directory = arg.partition("=")
        runs[name] = load(Path(directory))
    ids = sorted(set.intersection(*(set(r) for r in runs.values())))
    first = next(iter(runs.values()))
    by_kind: dict[str, list[str]] = defaultdict(list)
    for i in ids:
        by_kind[first[i]["kind"]].append(i)
    fold = {}
    for members in by_kind.values():
        for j, i in enumerate(sorted(members)):
            fold[i] = j % FOLDS
    lines = [
        "# The extractive answer's settings, cross-validated",
        "",
        f"{len(ids)} gold questions; settings compared (each a full run of `evals/tune_decide.py`):",
        "",
        "| setting | citation hit | key-fact recall | words p50 | words p95 |",
        "|---|---|---|---|---|",
    ]
    for name, rows in runs.items():
        s = summary([rows[i] for i in ids])
        lines.append(
            f"| {name} | {s['citation_hit']:.3f} | {s['key_fact_recall']:.3f} | {s['words_p50']} | {s['words_p95']} |"
        )
    held: list[dict] = []
    chosen = []
    for k in range(FOLDS):
        train = [i for i in ids if fold[i] != k]
        best = max(runs, key=lambda n: objective(summary([runs[n][i] for i in train])))
        chosen.append(best)
        held += [runs[best][i] for i in ids if fold[i] == k]
    s = summary(held)
    lines += [
        "",
        f"Chosen on each training part (best mean of citation hit and key-fact recall, median answer"
        f" <= {MAX_MEDIAN_WORDS} words): {', '.join(chosen)}.",
        "",
        "| held-out folds | citation hit | key-fact recall | words p50 | words p95 |",
        "|---|---|---|---|---|",
        f"| each question with the setting chosen without it | {s['citation_hit']:.3f} |"
        f" {s['key_fact_recall']:.3f} | {s['words_p50']} | {s['words_p95']} |",
    ]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
