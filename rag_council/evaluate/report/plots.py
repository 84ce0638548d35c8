"""The two plots of a report as inline SVG (no plotting library): per-kind bars and the
latency histogram."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any


def svg_kind_bars(
    report: dict[str, Any], metrics: Sequence[str] = ("hit@5", "citation_hit", "key_fact_recall")
) -> str:
    """Grouped bars: for each kind, one bar per metric (0..1)."""
    kinds = list(report.get("by_kind", {}))
    colours = ["#3b6ea5", "#e08a2c", "#4a9a5b", "#b04a5a"]
    group_w, bar_w, h, top, left = 30 + 18 * len(metrics), 18, 180, 20, 36
    width = left + group_w * len(kinds) + 10
    height = top + h + 90
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">'
    ]
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        y = top + h - tick * h
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 5}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{tick:.2f}</text>')
    for i, kind in enumerate(kinds):
        x0 = left + i * group_w + 10
        for j, metric in enumerate(metrics):
            value = report["by_kind"][kind].get(metric)
            if value is None:
                continue
            bh = value * h
            x = x0 + j * bar_w
            parts.append(
                f'<rect x="{x}" y="{top + h - bh:.1f}" width="{bar_w - 3}" height="{bh:.1f}" fill="{colours[j % 4]}">'
                f"<title>{html.escape(kind)} {metric}: {value:.3f}</title></rect>"
            )
        cx = x0 + len(metrics) * bar_w / 2
        parts.append(
            f'<text x="{cx:.1f}" y="{top + h + 12}" text-anchor="end" transform="rotate(-35 {cx:.1f} {top + h + 12})">'
            f"{html.escape(kind)}</text>"
        )
    for j, metric in enumerate(metrics):
        x = left + j * 120
        parts.append(f'<rect x="{x}" y="{height - 14}" width="10" height="10" fill="{colours[j % 4]}"/>')
        parts.append(f'<text x="{x + 14}" y="{height - 5}">{html.escape(metric)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def svg_histogram(values: Sequence[float], label: str = "total seconds per question", bins: int = 20) -> str:
    width, h, top, left = 520, 150, 15, 36
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{top + h + 40}" font-family="sans-serif" font-size="11">'
    ]
    if not values:
        parts.append('<text x="10" y="30">no timings</text></svg>')
        return "".join(parts)
    hi = max(values) or 1.0
    step = hi / bins
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int(v / step) if step else 0)] += 1
    peak = max(counts)
    bar_w = (width - left - 10) / bins
    for i, c in enumerate(counts):
        bh = c / peak * h
        x = left + i * bar_w
        parts.append(
            f'<rect x="{x:.1f}" y="{top + h - bh:.1f}" width="{bar_w - 1:.1f}" height="{bh:.1f}" fill="#3b6ea5">'
            f"<title>{i * step:.2f}–{(i + 1) * step:.2f} s: {c}</title></rect>"
        )
    parts.append(f'<text x="{left - 4}" y="{top + 8}" text-anchor="end">{peak}</text>')
    parts.append(f'<text x="{left - 4}" y="{top + h}" text-anchor="end">0</text>')
    parts.append(f'<text x="{left}" y="{top + h + 14}">0</text>')
    parts.append(f'<text x="{width - 10}" y="{top + h + 14}" text-anchor="end">{hi:.2f} s</text>')
    parts.append(
        f'<text x="{width / 2:.0f}" y="{top + h + 32}" text-anchor="middle">{html.escape(label)}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)
