"""What the local model adds as a judge ("do these passages answer the question: yes/no") and
what it costs, on a sample of the gold questions.

    python evals/judge_sample.py evals/gold.jsonl --index default --per-class 8 [--out FILE]

The sample: every n-th answerable and every n-th unanswerable question (by id). Each is answered
by the engine as shipped (the judge off); for those it answers, the judge is asked and timed.
The judge would decline when P(yes) < 0.5."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rag_council import open_index
from rag_council.answer.decide import local_judge
from rag_council.evaluate import load_gold
from rag_council.settings import Settings


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("gold", type=Path)
    ap.add_argument("--index")
    ap.add_argument("--per-class", type=int, default=8)
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("judge_sample.md"))
    args = ap.parse_args()
    settings = Settings()
    engine = open_index(args.index, settings)
    judge = local_judge(settings.answer.local)
    items = load_gold(args.gold)
    sample = []
    for answerable in (True, False):
        group = [i for i in items if i.answerable == answerable]
        step = max(1, len(group) // args.per_class)
        sample += group[::step][: args.per_class]
    rows = []
    for item in sample:
        answer = engine.ask(item.question)
        p = seconds = None
        if not answer.abstained:
            passages = engine.passages(answer.retrieved)
            started = time.perf_counter()
            p = judge(item.question, passages)
            seconds = time.perf_counter() - started
        rows.append((item, answer.abstained, p, seconds))
        print(item.id, answer.abstained, p, seconds, flush=True)
    judged = [r for r in rows if r[2] is not None]
    caught = sum(1 for it, _, p, _ in judged if not it.answerable and p < 0.5)
    let_through = sum(1 for it, _, p, _ in judged if not it.answerable)
    wrong = sum(1 for it, _, p, _ in judged if it.answerable and p < 0.5)
    answered_ok = sum(1 for it, _, p, _ in judged if it.answerable)
    times = sorted(s for *_, s in judged)
    lines = [
        "# The local model as a judge: a sample",
        "",
        f"Model: {Path(judge.generator.model_path or '').name}, through xllamacpp (logprobs of the first"
        " token: P(yes) / (P(yes) + P(no)) over the top 5). Sample: "
        f"{len(rows)} gold questions ({sum(r[0].answerable for r in rows)} answerable). The engine as shipped"
        " answered "
        f"{len(judged)} of them; the judge was asked about those.",
        "",
        f"* unanswerable questions the engine answered: {let_through}; the judge (P(yes) < 0.5) would decline {caught}",
        f"* answerable questions the engine answered: {answered_ok}; the judge would wrongly decline {wrong}",
        f"* time per judgement: median {times[len(times) // 2]:.1f} s, max {times[-1]:.1f} s"
        if times
        else "* no judgements",
        "",
        "| id | answerable | engine declined | P(yes) | judge s |",
        "|---|---|---|---|---|",
    ]
    for it, declined, p, s in rows:
        p_text = f"{p:.3f}" if p is not None else "–"
        s_text = f"{s:.1f}" if s is not None else "–"
        lines.append(f"| {it.id} | {it.answerable} | {declined} | {p_text} | {s_text} |")
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
