"""A report against a baseline report, metric by metric."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rag_council.errors import RagCouncilError
from rag_council.evaluate.report.floors import flatten, lower_is_better


def baseline_diff(report: dict[str, Any], baseline: dict[str, Any]) -> list[dict[str, Any]]:
    """Metric by metric: before, after, change, and whether the change is for the better."""
    now, before = flatten(report), flatten(baseline)
    rows: list[dict[str, Any]] = []
    for name in sorted(set(now) | set(before)):
        a, b = before.get(name), now.get(name)
        delta = round(b - a, 6) if a is not None and b is not None else None
        better = None
        if delta and not name.endswith("answered_rate"):  # answering more is not better in itself
            better = (delta < 0) if lower_is_better(name) else (delta > 0)
        rows.append({"metric": name, "before": a, "after": b, "delta": delta, "better": better})
    return rows


def load_report(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if path.is_dir():
        path = path / "report.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RagCouncilError(f"Baseline report {path} does not exist.") from None
    except json.JSONDecodeError as exc:
        raise RagCouncilError(f"Baseline report {path} is not JSON: {exc}.") from None
    if not isinstance(data, dict) or "overall" not in data:
        raise RagCouncilError(f"{path} is not a report.json written by `rag-council eval`.")
    return data
