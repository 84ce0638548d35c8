"""Metric names and floors: every figure of a report under one name, and the floors (or
ceilings) CI holds them to."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rag_council.errors import RagCouncilError
from rag_council.evaluate.runner import LOWER_IS_BETTER, METRICS, STAGES


class FloorError(RagCouncilError):
    hint = "Write floors as METRIC=VALUE, e.g. --fail-under hit@5=0.6 kind.decision.mrr=0.4 support.accuracy=0.75."


# ------------------------------------------------------------------------------ metric names


def flatten(report: dict[str, Any]) -> dict[str, float | None]:
    """Every figure of a report under one name: overall metrics bare ('hit@5'), per kind as
    'kind.decision.hit@5', the support checker as 'support.accuracy', latency as
    'latency.total_s.p95'. Sorted by name."""
    out: dict[str, float | None] = {}
    for name in METRICS:
        out[name] = report.get("overall", {}).get(name)
    for kind, figures in report.get("by_kind", {}).items():
        for name in METRICS:
            out[f"kind.{kind}.{name}"] = figures.get(name)
    support = report.get("support")
    if support:
        for name in ("accuracy", "precision", "recall", "f1"):
            out[f"support.{name}"] = support.get(name)
    for stage, figures in report.get("latency", {}).items():
        for q in ("p50", "p95"):
            if figures.get(q) is not None:
                out[f"latency.{stage}.{q}"] = figures[q]
    return dict(sorted(out.items()))


def lower_is_better(name: str) -> bool:
    return name.rsplit(".", 1)[-1] in LOWER_IS_BETTER or name.startswith("latency.")


def parse_floors(specs: Sequence[str]) -> list[tuple[str, float]]:
    floors: list[tuple[str, float]] = []
    for spec in specs:
        name, sep, value = spec.partition("=")
        if not sep or not name.strip():
            raise FloorError(f"'{spec}' is not METRIC=VALUE.")
        try:
            number = float(value)
        except ValueError:
            raise FloorError(f"'{spec}': '{value}' is not a number.") from None
        if not known_metric(name.strip()):
            raise FloorError(
                f"Unknown metric '{name.strip()}'. Known: {', '.join(METRICS)}, kind.KIND.METRIC, "
                "support.accuracy|precision|recall|f1, latency.STAGE.p50|p95."
            )
        floors.append((name.strip(), number))
    return floors


def known_metric(name: str) -> bool:
    """Could a report have this metric? (Kinds depend on the gold file, so any kind passes.)"""
    parts = name.split(".")
    if len(parts) == 1:
        return name in METRICS
    if parts[0] == "kind":
        return len(parts) == 3 and parts[2] in METRICS
    if parts[0] == "support":
        return len(parts) == 2 and parts[1] in ("accuracy", "precision", "recall", "f1")
    if parts[0] == "latency":
        return len(parts) == 3 and parts[1] in STAGES and parts[2] in ("p50", "p95")
    return False


def check_floors(report: dict[str, Any], floors: Sequence[tuple[str, float]]) -> list[dict[str, Any]]:
    """One row per floor: the metric, its value, the floor and whether it holds. A metric
    that is lower-is-better (false_abstention_rate, latency) is a ceiling instead."""
    figures = flatten(report)
    rows: list[dict[str, Any]] = []
    for name, floor in floors:
        if name not in figures:
            close = [n for n in figures if n.endswith(name) or name in n][:5]
            raise FloorError(
                f"Unknown metric '{name}'."
                + (f" Did you mean: {', '.join(close)}?" if close else f" Known: {', '.join(METRICS)}.")
            )
        value = figures[name]
        ceiling = lower_is_better(name)
        ok = value is not None and (value <= floor if ceiling else value >= floor)
        rows.append({"metric": name, "value": value, "floor": floor, "ceiling": ceiling, "ok": ok})
    return rows
