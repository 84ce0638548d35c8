"""The Timeline tab: what the records say about a topic, in date order, grouped by meeting,
with the gaps said and each entry's cited quote one click away (the same entries as
`rag-council timeline`)."""

from __future__ import annotations

import html
from typing import Any

import gradio as gr

from rag_council.timeline import TimelineEntry, group_by_meeting, timeline
from rag_council.timeline.entries import gap_between

from .chat import ALL, parse_filters
from .context import AppContext
from .render import _passage

CSS = """
.timeline .meeting { font-weight: 600; margin: 12px 0 4px 0; }
.timeline .gap { color: #9a6700; font-style: italic; margin: 8px 0; }
.timeline .entry { margin: 2px 0 2px 12px; }
.timeline .kind { display: inline-block; min-width: 8em; font-weight: 600; text-transform: uppercase;
                  font-size: 0.8em; color: #1f6feb; }
.timeline .status { color: #8250df; font-size: 0.85em; margin-left: 4px; }
.timeline .note { color: #57606a; font-size: 0.85em; margin-left: 12em; }
"""


def timeline_html(topic: str, entries: list[TimelineEntry]) -> str:
    """The entries grouped by meeting, numbered as in the quote picker, gaps said."""
    if not topic.strip():
        return "<p>Type a topic, e.g. <i>corporate parenting</i>, and press Show timeline.</p>"
    if not entries:
        return f"<p>No records about “{html.escape(topic)}” in the index.</p>"
    out = [
        f"<style>{CSS}</style><div class='timeline'><p>{len(entries)} entries about “{html.escape(topic)}”.</p>"
    ]
    n = 0
    last = ""
    for label, group in group_by_meeting(entries):
        if last and group[0].date:
            gap = gap_between(last, group[0].date)
            if gap:
                out.append(f"<div class='gap'>… {html.escape(gap)} …</div>")
        out.append(f"<div class='meeting'>{html.escape(label)}</div>")
        for e in group:
            n += 1
            status = f"<span class='status'>[{html.escape(e.status)}]</span>" if e.status else ""
            out.append(
                f"<div class='entry' data-kind='{html.escape(e.kind)}' data-date='{html.escape(e.date)}'>"
                f"{n}. <span class='kind'>{html.escape(e.kind)}</span>{html.escape(e.date or 'undated')} "
                f"{status} {html.escape(e.text)}</div>"
            )
            for note in e.notes:
                out.append(f"<div class='note'>note: {html.escape(note)}</div>")
        last = group[-1].date or last
    out.append("</div>")
    return "".join(out)


def choices(entries: list[TimelineEntry]) -> list[tuple[str, str]]:
    return [
        (f"{i}. {e.date or 'undated'} {e.kind}: {' '.join(e.citation.quote.split())[:70]}", str(i - 1))
        for i, e in enumerate(entries, start=1)
    ]


def entry_passage_html(entries: list[TimelineEntry], choice: str | None) -> str:
    """The chosen entry's chunk with its quote highlighted (the chat's passage view)."""
    if not entries or choice in (None, ""):
        return "<p>Choose an entry to see its quote in the passage.</p>"
    e = entries[int(choice)]
    c = e.citation
    if c.chunk is None:
        return f"<p>{html.escape(c.quote)}</p>"
    return _passage(c.chunk, f"{e.kind}: {c.label}", c.quote_start, c.quote, c.page)


def build_timeline_tab(ctx: AppContext) -> None:
    with gr.Row():
        topic = gr.Textbox(
            label="Topic", placeholder="e.g. corporate parenting", elem_id="timeline-topic", scale=3
        )
        since = gr.Textbox(label="Since (YYYY-MM-DD)", elem_id="timeline-since", scale=1)
        until = gr.Textbox(label="Until (YYYY-MM-DD)", elem_id="timeline-until", scale=1)
        committee = gr.Dropdown([ALL, *ctx.committees()], value=ALL, label="Committee", scale=2)
    go = gr.Button("Show timeline", variant="primary", elem_id="timeline-go")
    state = gr.State([])
    with gr.Row():
        with gr.Column(scale=3):
            listing = gr.HTML(timeline_html("", []), elem_id="timeline-entries")
        with gr.Column(scale=2):
            pick = gr.Radio([], label="Quote of entry", elem_id="timeline-pick")
            passage = gr.HTML(entry_passage_html([], None), elem_id="timeline-passage")

    def show(text: str, a: str, b: str, c: str) -> tuple[Any, ...]:
        try:
            f = parse_filters(c, "", a, b)  # the chat tab's reading of the same controls
        except ValueError as exc:
            raise gr.Error(str(exc)) from None
        entries = timeline(ctx.engine.index, text, f.since, f.until, f.committee) if text.strip() else []
        return (
            entries,
            timeline_html(text, entries),
            gr.update(choices=choices(entries), value=None),
            entry_passage_html(entries, None),
        )

    go.click(show, [topic, since, until, committee], [state, listing, pick, passage])
    topic.submit(show, [topic, since, until, committee], [state, listing, pick, passage])
    pick.change(entry_passage_html, [state, pick], [passage])
