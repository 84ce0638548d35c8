"""Side-by-side table of `rag-council eval` runs (one folder each), for evals/generators/README.md.

python evals/generators/compare.py NAME=RUN_DIR ...   # prints a Markdown table

A run of the local generator made with a trace (`RAG_COUNCIL_ANSWER__LOCAL__TRACE_PATH=RUN_DIR/trace.jsonl`)
can also be shown model-only: `NAME=RUN_DIR:model-only` counts every answer that the extractive
fallback wrote as declined, which is what `answer.local.fallback = "decline"` would have shown.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

ROWS = [
    ("questions", "questions"),
    ("citation_precision", "citation precision (answered)"),
    ("citation_recall", "citation recall (answered)"),
    ("citation_hit", "cited passage holds a gold quote (answerable)"),
    ("abstention_precision", "abstention precision"),
    ("abstention_recall", "abstention recall"),
    ("abstention_f1", "abstention F1"),
    ("false_abstention_rate", "false abstention rate"),
    ("answered_rate", "answered"),
    ("key_fact_recall", "key-fact recall (answerable)"),
]


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, round(q / 100 * (len(values) - 1)))]


def _mean(values) -> float | None:
    kept = [v for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


def overall(answers: list[dict]) -> dict:
    """The overall figures of the report, recomputed from answers.jsonl (as in evaluation.runner)."""
    answerable = [a for a in answers if a["eval"]["answerable"]]
    answered = [a for a in answers if not a["abstained"]]
    tp = sum(1 for a in answers if not a["eval"]["answerable"] and a["abstained"])
    fn = sum(1 for a in answers if not a["eval"]["answerable"] and not a["abstained"])
    fp = sum(1 for a in answerable if a["abstained"])
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else None
    return {
        "questions": len(answers),
        "citation_precision": _mean(a["eval"]["citation_precision"] for a in answered),
        "citation_recall": _mean(a["eval"]["citation_recall"] for a in answered),
        "citation_hit": _mean(float(bool(a["eval"]["citation_hit"])) for a in answerable),
        "abstention_precision": precision,
        "abstention_recall": recall,
        "abstention_f1": 2 * precision * recall / (precision + recall) if recall and precision else 0.0,
        "false_abstention_rate": fp / len(answerable) if answerable else None,
        "answered_rate": len(answered) / len(answers) if answers else None,
        "key_fact_recall": _mean(a["eval"]["key_fact_recall"] for a in answerable),
    }


def shown_citation_scores(answers: list[dict]) -> tuple[float | None, float | None]:
    """ALCE citation precision and recall over the sentences the user is shown. The report's
    figures also count the sentences the checking removed, with the markers they had before
    the kept ones were renumbered: a removed sentence that cited [1] is then judged against
    whatever the shown answer's [1] is."""
    from rag_council.evaluate.metrics import alce_citation_scores
    from rag_council.verify.support import LexicalSupportChecker

    checker = LexicalSupportChecker()
    precision, recall = [], []
    for a in answers:
        if a["abstained"]:
            continue
        shown = [(c["text"], c["markers"]) for c in a.get("claims", []) if c.get("supported")]
        passages = {c["marker"]: c["text"] for c in a["citations"]}
        scores = alce_citation_scores(shown, passages, lambda t, p: checker.check(t, p).supported)
        precision.append(scores["citation_precision"])
        recall.append(scores["citation_recall"])
    return _mean(precision), _mean(recall)


def model_only(answers: list[dict], trace: Path) -> list[dict]:
    """The answers with every one the fallback wrote turned into a decline."""
    fell_back = set()
    for line in trace.read_text(encoding="utf-8").splitlines():
        if line.strip() and (record := json.loads(line))["source"] == "fallback":
            fell_back.add(record["question"])
    out = []
    for a in answers:
        if " ".join(a["question"].split()) in fell_back and not a["abstained"]:
            e = dict(a["eval"], citation_hit=False, citation_precision=None, citation_recall=None)
            if e["key_fact_recall"] is not None:
                e["key_fact_recall"] = 0.0
            # What the model wrote (all removed by the checking) stays; the quotes go.
            a = dict(a, abstained=True, claims=[c for c in a.get("claims", []) if not c["supported"]], eval=e)
        out.append(a)
    return out


def summarise(run: Path, view: str = "") -> dict:
    report = json.loads((run / "report.json").read_text())
    answers = [json.loads(line) for line in (run / "answers.jsonl").read_text().splitlines() if line.strip()]
    trace = run / "trace.jsonl"
    fallbacks = None
    if trace.is_file():
        fallbacks = sum(1 for line in trace.read_text().splitlines() if '"source": "fallback"' in line)
    if view == "model-only":
        answers = model_only(answers, trace)
    called = [a["timings"] for a in answers if "first_token_s" in a["timings"]]
    if any("llm_prompt_tokens" in t for t in called):
        called = [t for t in called if "llm_prompt_tokens" in t]  # the model was asked (not declined before)
    out = dict(report["overall"])
    out.update(overall(answers))
    out["fallback_answers"] = 0 if view == "model-only" else fallbacks
    out["shown_precision"], out["shown_recall"] = shown_citation_scores(answers)
    out["generator"] = report["engine"]["generator"]
    out["model_called"] = len(called)
    for key in ("first_token_s", "answer_s", "llm_prompt_tokens", "llm_prompt_tok_s", "llm_gen_tok_s"):
        values = [t[key] for t in called if key in t]
        out[f"{key}.p50"] = statistics.median(values) if values else None
        out[f"{key}.p95"] = _pct(values, 95)
    out["total_s.p50"] = report["latency"]["total_s"]["p50"]
    claims = [c for a in answers if not a["abstained"] for c in a.get("claims", [])]
    out["claims_checked"] = len([c for a in answers for c in a.get("claims", [])])
    out["claims_shown_supported"] = sum(1 for c in claims if c.get("supported"))
    out["claims_moved"] = sum(
        1 for a in answers for c in a.get("claims", []) if "moved" in c.get("check", "")
    )
    out["claims_removed"] = sum(
        1 for a in answers for c in a.get("claims", []) if c.get("supported") is False
    )
    return out


def fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}" if value <= 1.5 else f"{value:.1f}"
    return str(value)


def main(args: list[str]) -> None:
    runs = []
    for arg in args:
        name, where = arg.split("=", 1)
        folder, _, view = where.partition(":")
        runs.append((name, summarise(Path(folder), view)))
    print("| metric | " + " | ".join(name for name, _ in runs) + " |")
    print("|---|" + "---|" * len(runs))
    rows = [
        *ROWS[:3],
        ("shown_precision", "citation precision, shown sentences only"),
        ("shown_recall", "citation recall, shown sentences only"),
        *ROWS[3:],
        ("model_called", "questions that reached the generator"),
        ("fallback_answers", "answers written by the extractive fallback"),
        ("claims_checked", "sentences checked"),
        ("claims_moved", "citations moved to the supporting passage"),
        ("claims_removed", "sentences removed as unsupported"),
        ("first_token_s.p50", "time to first token, p50 (s)"),
        ("first_token_s.p95", "time to first token, p95 (s)"),
        ("answer_s.p50", "full answer (generate + check), p50 (s)"),
        ("answer_s.p95", "full answer (generate + check), p95 (s)"),
        ("llm_prompt_tokens.p50", "prompt tokens, p50"),
        ("llm_prompt_tok_s.p50", "prompt reading, tokens/s, p50"),
        ("llm_gen_tok_s.p50", "generation, tokens/s, p50"),
    ]
    for key, label in rows:
        print(f"| {label} | " + " | ".join(fmt(r.get(key)) for _, r in runs) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
