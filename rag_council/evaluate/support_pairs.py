"""How well a support checker does on labelled claim/passage pairs (evals/support_pairs.jsonl)."""

from __future__ import annotations

from collections.abc import Sequence

from rag_council.verify.support import SupportChecker


def score_pairs(checker: SupportChecker, pairs: Sequence[dict]) -> dict:
    """Accuracy, precision and recall (of 'supported') of a checker on labelled pairs
    ({"claim", "passage", "label": "supported"|"unsupported", "perturbation"?})."""
    tp = fp = tn = fn = 0
    by_kind: dict[str, list[int]] = {}
    errors: list[dict] = []
    for pair in sorted(pairs, key=lambda p: str(p.get("id", ""))):
        verdict = checker.check(pair["claim"], [pair["passage"]])
        gold = pair["label"] == "supported"
        ok = verdict.supported == gold
        if gold and verdict.supported:
            tp += 1
        elif gold:
            fn += 1
        elif verdict.supported:
            fp += 1
        else:
            tn += 1
        stats = by_kind.setdefault(str(pair.get("perturbation", "")), [0, 0])
        stats[0] += ok
        stats[1] += 1
        if not ok:
            errors.append(
                {
                    "id": pair.get("id"),
                    "label": pair["label"],
                    "perturbation": pair.get("perturbation"),
                    "claim": pair["claim"],
                    "verdict": verdict.to_json(),
                }
            )
    n = tp + fp + tn + fn
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = 2 * precision * recall / (precision + recall) if precision and recall else 0.0 if n else None
    return {
        "checker": checker.name,
        "pairs": n,
        "accuracy": (tp + tn) / n if n else None,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "confusion": {"tp": tp, "fp": fp, "tn": tn, "fn": fn},
        "accuracy_by_perturbation": {k: v[0] / v[1] for k, v in sorted(by_kind.items())},
        "count_by_perturbation": {k: v[1] for k, v in sorted(by_kind.items())},
        "errors": errors,
    }
