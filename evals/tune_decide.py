"""Tune and measure the decision to answer (rag_council.answer.decide) on the gold questions.

    python evals/tune_decide.py evals/gold.jsonl --index default [--cache FILE] [--out evals/decide_curve.md]

1. Every gold question is answered once by the engine with the decision step off; what the
   decision reads (anchors, the kind asked for, coverage, relevance) is kept (--cache).
2. The curve: abstention F1 against false abstention over the threshold, for each weight.
3. 5-fold cross-validation over questions, stratified by kind (folds by question id): the weight,
   threshold, kind coverage and rule switches are chosen on four folds (best abstention F1 with
   false abstention <= TRAIN_CEILING, 0.04: a margin under the 0.05 target) and measured on the
   fifth; the figures are those of the held-out folds.

With --merge, what the decision reads is computed again from the kept answers (the .pickle files
beside the shards' .partial.jsonl), so a change to the decision's features is measured without
answering the questions again.

Declining is the positive class; the truth is kind == "unanswerable". A question the engine
declines before the decision (no relevant passage, an anchor no passage names, no supported
sentence) counts as declined at every threshold."""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

from rag_council import open_index
from rag_council.answer.decide import Params, decide_from, features, idf_of
from rag_council.evaluate import load_gold
from rag_council.settings import Settings

WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(0, 19))
MAX_FALSE_ABSTENTION = 0.05  # the target, on questions not tuned on
# The ceiling each training part keeps to: a margin under the target, because the held-out rate
# runs above the training one (at 0.05 on training, 0.058 held out; see decide_curve.md).
TRAIN_CEILING = 0.04
FOLDS = 5


class Replay:
    """The engine's answers (kept from `collect`) with the decision step applied afterwards, for
    the evaluation runner: each question decided with the parameters of `params_of`."""

    def __init__(
        self, engine: Any, answers: dict[str, tuple[Any, dict | None]], params_of: dict[str, Params]
    ):
        self.engine, self.answers, self.params_of = engine, answers, params_of

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)

    def ask(self, question: str, filters: Any = None, top_k: int | None = None) -> Any:
        answer, feats = self.answers[question]
        if answer.abstained or feats is None:
            return answer
        decision = decide_from(feats, self.params_of[question])
        if decision.answer:
            return answer
        declined = self.engine._decline(question, answer.retrieved, None, answer.timings, decision.reason)
        declined.claims = answer.claims
        declined.understood = answer.understood
        return declined


def from_records(answer: Any) -> bool:
    return "answered from the council's records" in (answer.notice or "")


def features_of(engine: Any, question: str, answer: Any, idf: dict[str, float]) -> dict:
    """What the engine's decision reads for `answer`, as the engine computes it: the passages
    the generator read (for an answer from the records, the spans it cites) and the citations
    the checked text's markers number."""
    cited = engine._numbered(answer)
    passages = cited if from_records(answer) else engine.passages(answer.retrieved)
    return features(question, passages, answer.text, idf, cited, records=from_records(answer))


ENGINE: dict[str, Any] = {}
ANSWERS: dict[str, tuple[Any, dict | None]] = {}


def collect(
    gold: Path,
    index: str | None,
    partial: Path | None = None,
    shard: tuple[int, int] = (0, 1),
    reverse: bool = False,
    max_words: int | None = None,
) -> list[dict]:
    settings = Settings()
    update: dict[str, object] = {"check_answer_kind": False}
    if max_words is not None:
        update["max_answer_words"] = max_words
    settings = settings.model_copy(update={"answer": settings.answer.model_copy(update=update)})
    engine = open_index(index, settings)
    ENGINE["engine"] = engine
    idf = idf_of(engine.index)
    rows = []
    k, of = shard
    numbered = list(enumerate(load_gold(gold), start=1))
    for n, item in reversed(numbered) if reverse else numbered:
        if (n - 1) % of != k:
            continue  # another process answers it (--shard)
        started = time.perf_counter()
        answer = engine.ask(item.question)
        row = {
            "id": item.id,
            "question": item.question,
            "kind": item.kind,
            "unanswerable": not item.answerable,
            "pre_declined": answer.abstained,
            "answer": answer.text,
            "seconds": time.perf_counter() - started,
        }
        row["from_records"] = from_records(answer)
        if not answer.abstained:
            t0 = time.perf_counter()
            row["features"] = features_of(engine, item.question, answer, idf)
            row["decide_s"] = time.perf_counter() - t0
        ANSWERS[item.question] = (answer, row.get("features"))
        rows.append(row)
        if partial is not None:
            with partial.open("a", encoding="utf-8") as f:
                f.write(json.dumps(row) + "\n")
            with partial.with_suffix(".pickle").open("ab") as f:
                pickle.dump((item.question, answer, row.get("features")), f)
        print(f"\r{n} {item.id}", end="", file=sys.stderr)
    print(file=sys.stderr)
    return rows


def declines(row: dict, params: Params, rules: bool = True) -> bool:
    if row["pre_declined"]:
        return True
    return not decide_from(row["features"], params, rules=rules).answer


def scores(rows: list[dict], params: Params, rules: bool = True) -> dict[str, float]:
    tp = fp = fn = 0
    answerable = declined_answerable = 0
    for row in rows:
        d = declines(row, params, rules)
        if row["unanswerable"]:
            tp += d
            fn += not d
        else:
            answerable += 1
            declined_answerable += d
            fp += d
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    fa = declined_answerable / answerable if answerable else 0.0
    return {"precision": p, "recall": r, "f1": f1, "false_abstention": fa}


KIND_COVERAGES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6)


GRID_WEIGHTS = (0.0, 0.5, 1.0)
GRID_THRESHOLDS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6)


def grid() -> list[Params]:
    return [
        Params(w, t, cy, kc, kb, sy, counted, bodies)
        for cy in (False, True)
        # the subject with the answer's sentence before: held out, it declined more answerable
        # questions than it caught (0.064 false abstention at a training ceiling of 0.05, 0.058
        # without it), so it is left out of the search
        for kb in (False,)
        for sy in (False, True)
        for counted in (False, True)
        for bodies in (False, True)
        for kc in KIND_COVERAGES
        for w in GRID_WEIGHTS
        for t in GRID_THRESHOLDS
        if not (sy and not cy)  # years from sentences is a form of the years rule
        and not (kb and kc == 0.0)  # no coverage asked, so none with the sentence before either
        and not (w != 0.5 and t == 0.0)  # a threshold of 0 declines nothing, whatever the weight
    ]


def best(rows: list[dict], ceiling: float = TRAIN_CEILING) -> Params:
    """Best abstention F1 with false abstention at or under the ceiling (ties: the lower
    thresholds, the simpler rules)."""
    choice, key = Params(0.5, 0.0, False), (-1.0,)
    for p in grid():
        s = scores(rows, p)
        k = (
            s["f1"],
            -s["false_abstention"],
            -p.threshold,
            -p.kind_coverage,
            -(p.cited_years + p.sentence_years + p.counted + p.bodies + p.kind_before),
        )
        if s["false_abstention"] <= ceiling and k > key:
            choice, key = p, k
    return choice


def describe(p: Params) -> str:
    return (
        f"w {p.weight}, t {p.threshold}, cited years {p.cited_years}, kind coverage {p.kind_coverage}"
        f"{' (with the sentence before)' if p.kind_before else ''},"
        f" sentence years {p.sentence_years}, counted {p.counted}, bodies {p.bodies}"
    )


def folds(rows: list[dict]) -> list[int]:
    by_kind: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        by_kind[row["kind"]].append(i)
    fold = [0] * len(rows)
    for members in by_kind.values():
        for j, i in enumerate(sorted(members, key=lambda i: rows[i]["id"])):
            fold[i] = j % FOLDS
    return fold


def cross_validate(rows: list[dict], ceiling: float = TRAIN_CEILING) -> tuple[dict[str, float], list[Params]]:
    fold = folds(rows)
    held_out: list[dict] = []
    chosen = []
    for k in range(FOLDS):
        train = [r for r, f in zip(rows, fold, strict=True) if f != k]
        test = [r for r, f in zip(rows, fold, strict=True) if f == k]
        params = best(train, ceiling)
        chosen.append(params)
        for row in test:
            held_out.append({**row, "_params": params})
    tp = fp = fn = answerable = 0
    for row in held_out:
        d = declines(row, row["_params"])
        if row["unanswerable"]:
            tp += d
            fn += not d
        else:
            answerable += 1
            fp += d
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f1, "false_abstention": fp / answerable}, chosen


def report(rows: list[dict]) -> str:
    n_un = sum(r["unanswerable"] for r in rows)
    lines = [
        "# Deciding to answer: the abstention curve and its cross-validated operating point",
        "",
        f"Gold: {len(rows)} questions ({n_un} unanswerable). Generated by `evals/tune_decide.py`;"
        " declining is the positive class.",
        "",
    ]
    pre = sum(r["pre_declined"] for r in rows)
    lines.append(
        f"Declined before the decision step (no relevant passage, an anchor no passage names, no"
        f" supported sentence): {pre} questions ({sum(r['pre_declined'] and r['unanswerable'] for r in rows)}"
        " unanswerable)."
    )
    lines += [
        "",
        "## Without and with the rules (threshold 0)",
        "",
        "| | P | R | F1 | false abstention |",
        "|---|---|---|---|---|",
    ]
    final = best(rows)
    off = Params(
        0.5, 0.0, cited_years=False, kind_coverage=0.0, sentence_years=False, counted=False, bodies=False
    )
    for name, rules, params in (
        ("anchors only (score off, kind rules off)", False, off),
        ("anchors + kind rules (the answer's sentences give the kind asked for)", True, off),
        ("+ a figure's year in the papers cited", True, replace(off, cited_years=True)),
        (
            "+ a figure's year in the sentence giving it (or the passage around it)",
            True,
            replace(off, cited_years=True, sentence_years=True),
        ),
        (
            "+ a body's decision from its papers or a sentence saying it decided",
            True,
            replace(off, cited_years=True, sentence_years=True, bodies=True),
        ),
        (
            "+ the counted thing in a sentence giving a number",
            True,
            replace(off, cited_years=True, sentence_years=True, bodies=True, counted=True),
        ),
        (
            f"the final fit's rules, kind coverage >= {final.kind_coverage} (threshold 0)",
            True,
            replace(final, weight=0.5, threshold=0.0),
        ),
    ):
        s = scores(rows, params, rules)
        lines.append(
            f"| {name} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | {s['false_abstention']:.3f} |"
        )
    lines += [
        "",
        "## The curve (all questions; descriptive, not for choosing)",
        "",
        "Two knobs: the share of the question's subject that the sentences giving the kind asked for"
        " must say (kind coverage), and score = weight * coverage + (1 - weight) * relevance with a"
        f" threshold below which the answer is declined (weight {final.weight}, the years rules as"
        " chosen by the final fit). Rows that change nothing are left out.",
        "",
        "| kind coverage | threshold | P | R | F1 | false abstention |",
        "|---|---|---|---|---|---|",
    ]
    for kc in KIND_COVERAGES:
        last = None
        for t in THRESHOLDS:
            s = scores(
                rows,
                replace(final, threshold=t, kind_coverage=kc),
            )
            key = (round(s["f1"], 3), round(s["false_abstention"], 3))
            if key == last:
                continue
            last = key
            lines.append(
                f"| {kc} | {t} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | {s['false_abstention']:.3f} |"
            )
            if s["false_abstention"] > 0.2:
                break
    lines += [
        "",
        "## Held-out figures at other ceilings on false abstention",
        "",
        "The same cross-validation with the ceiling the training part must keep to set elsewhere: the"
        " held-out trade-off (each question measured with parameters tuned without it).",
        "",
        "| ceiling | P | R | F1 | false abstention |",
        "|---|---|---|---|---|",
    ]
    for ceiling in (0.03, 0.035, 0.04, 0.045, 0.05, 0.06, 0.08):
        cvc, _ = cross_validate(rows, ceiling)
        lines.append(
            f"| {ceiling} | {cvc['precision']:.3f} | {cvc['recall']:.3f} | {cvc['f1']:.3f} |"
            f" {cvc['false_abstention']:.3f} |"
        )
    cv, chosen = cross_validate(rows)
    d = [r["decide_s"] for r in rows if "decide_s" in r] or [0.0]
    lines += [
        "",
        f"## Cross-validated ({FOLDS} folds by question id, stratified by kind)",
        "",
        f"Chosen on each training part (best F1 with false abstention <= {TRAIN_CEILING} on it, a margin"
        f" under the target of {MAX_FALSE_ABSTENTION} held out): "
        + "; ".join(f"({describe(p)})" for p in chosen),
        "",
        "| held-out folds | P | R | F1 | false abstention |",
        "|---|---|---|---|---|",
        f"| all {len(rows)} questions, each measured with parameters tuned without it | {cv['precision']:.3f} |"
        f" {cv['recall']:.3f} | {cv['f1']:.3f} | {cv['false_abstention']:.3f} |",
        "",
        f"Operating point for the shipped default (chosen on all questions): {describe(final)}.",
        "",
        f"Time per question (engine with the decision off): "
        f"{sorted(r['seconds'] for r in rows)[len(rows) // 2]:.2f} s median; the decision step itself "
        f"(features + decision, the index's word rarities cached): "
        f"{1000 * sorted(d)[len(d) // 2]:.1f} ms median, {1000 * sorted(d)[int(0.95 * (len(d) - 1))]:.1f} ms p95.",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("gold", type=Path)
    ap.add_argument("--index")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/decide-cache.json"))
    ap.add_argument("--refresh", action="store_true", help="answer the questions again")
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("decide_curve.md"))
    ap.add_argument(
        "--eval-out",
        type=Path,
        help="also write the full evaluation report with each question decided by parameters tuned "
        "without it (needs the questions answered in this run, not read from --cache)",
    )
    ap.add_argument("--shard", default="0/1", help="K/N: answer every N-th question from the K-th (0-based)")
    ap.add_argument("--reverse", action="store_true", help="answer the shard's questions last first")
    ap.add_argument("--max-words", type=int, help="answer.max_answer_words for this run")
    ap.add_argument("--novelty", type=float, help="answer.extractive.NOVELTY for this run")
    ap.add_argument(
        "--merge", type=Path, nargs="+", help="the .partial.jsonl files of shards to merge (no answering)"
    )
    args = ap.parse_args()
    if args.merge:
        by_id: dict[str, dict] = {}
        for part in args.merge:
            for line in part.read_text(encoding="utf-8").splitlines():
                row = json.loads(line)
                by_id[row["id"]] = row
            pickled = part.with_suffix(".pickle")
            if pickled.is_file():
                with pickled.open("rb") as f:
                    while True:
                        try:
                            question, answer, feats = pickle.load(f)
                        except EOFError:
                            break
                        ANSWERS[question] = (answer, feats)
        # what the decision reads is computed again from each kept answer, so that a change to
        # the decision's features is measured without answering the questions again
        engine = open_index(args.index, Settings())
        ENGINE["engine"] = engine
        idf = idf_of(engine.index)
        by_question = {row["question"]: row for row in by_id.values()}
        for question, (answer, _feats) in list(ANSWERS.items()):
            row = by_question.get(question)
            if row is None:
                continue
            row["from_records"] = from_records(answer)
            if answer.abstained:
                continue
            t0 = time.perf_counter()
            feats = features_of(engine, question, answer, idf)
            row["decide_s"] = time.perf_counter() - t0
            row["features"] = feats
            ANSWERS[question] = (answer, feats)
        order = {item.id: n for n, item in enumerate(load_gold(args.gold))}
        rows = sorted(by_id.values(), key=lambda r: order.get(r["id"], 10**6))
        missing = len(order) - len(rows)
        if missing:
            print(f"warning: {missing} gold questions not answered by the shards", file=sys.stderr)
        args.cache.write_text(json.dumps(rows))
    elif args.cache.is_file() and not args.refresh:
        rows = json.loads(args.cache.read_text())
    else:
        k, of = (int(x) for x in args.shard.split("/"))
        partial = args.cache.with_suffix(f".{k}of{of}{'r' if args.reverse else ''}.partial.jsonl")
        partial.unlink(missing_ok=True)
        partial.with_suffix(".pickle").unlink(missing_ok=True)
        if args.novelty is not None:
            import rag_council.answer.extractive as extractive

            extractive.NOVELTY = args.novelty
        rows = collect(args.gold, args.index, partial, (k, of), args.reverse, args.max_words)
        args.cache.write_text(json.dumps(rows))
    text = report(rows)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    if args.eval_out and ANSWERS:
        from rag_council.evaluate.report import summary, write_outputs
        from rag_council.evaluate.runner import evaluate

        fold = folds(rows)
        params_of: dict[str, Params] = {}
        for k in range(FOLDS):
            params = best([r for r, f in zip(rows, fold, strict=True) if f != k])
            for r, f in zip(rows, fold, strict=True):
                if f == k:
                    params_of[r["question"]] = params
        from rag_council.evaluate import load_gold as _load

        answered = [i for i in _load(args.gold) if i.question in ANSWERS]
        everything = len(answered) == len(_load(args.gold))
        pairs = args.gold.parent / "support_pairs.jsonl"
        result = evaluate(
            Replay(ENGINE["engine"], ANSWERS, params_of),
            args.gold if everything else answered,
            support_pairs=pairs if pairs.is_file() else None,
        )
        out = write_outputs(result, args.eval_out)
        print(summary(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
