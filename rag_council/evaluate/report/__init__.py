"""Writing the results of an evaluation run: answers.jsonl, report.json, report.md,
report.html (plots as inline SVG, no plotting library), the difference from a baseline report,
and floors for CI.

* `floors`: metric names (`flatten`), floors and ceilings (`parse_floors`, `check_floors`);
* `baselines`: `baseline_diff`, `load_report`;
* `plots`: `svg_kind_bars`, `svg_histogram`;
* `render`: `render_markdown`, `render_html`, `worst`, `fmt`;
* `write`: `write_outputs`, `summary`."""

from rag_council.evaluate.report.baselines import baseline_diff, load_report
from rag_council.evaluate.report.floors import (
    FloorError,
    check_floors,
    flatten,
    known_metric,
    lower_is_better,
    parse_floors,
)
from rag_council.evaluate.report.plots import svg_histogram, svg_kind_bars
from rag_council.evaluate.report.render import WORST, fmt, render_html, render_markdown, worst
from rag_council.evaluate.report.write import summary, write_outputs

__all__ = [
    "WORST",
    "FloorError",
    "baseline_diff",
    "check_floors",
    "flatten",
    "fmt",
    "known_metric",
    "load_report",
    "lower_is_better",
    "parse_floors",
    "render_html",
    "render_markdown",
    "summary",
    "svg_histogram",
    "svg_kind_bars",
    "worst",
    "write_outputs",
]
