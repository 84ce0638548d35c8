"""Chat with the council's documents: answers stream in, each ends with numbered sources, and
every cited passage is shown beside the chat with the quoted span highlighted."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import gradio as gr

from rag_council import Answer, Engine, Settings, open_index
from rag_council.types import format_date

CSS = """
.passage { border-left: 4px solid #1f6feb; padding: 6px 10px; margin: 0 0 12px 0; background: #f6f8fa; }
.passage .label { font-weight: 600; }
.passage .meta { color: #57606a; font-size: 0.9em; }
.passage mark { background: #fff3b0; padding: 0 1px; }
.passage pre { white-space: pre-wrap; font-family: inherit; margin: 6px 0 0 0; }
.declined { border-left-color: #bf8700; }
"""

EXAMPLES = [
    "What did the scrutiny committee resolve on 14 November 2023?",
    "What did the council answer about special guardianship orders?",
    "How many children were adopted in 2016-17?",
]


def passage_html(answer: Answer | None) -> str:
    """The cited passages (or, for a declined answer, the nearest ones) as HTML."""
    if answer is None:
        return "<p>Ask a question: the passages an answer cites appear here.</p>"
    blocks: list[str] = []
    if answer.citations:
        for c in answer.citations:
            text = c.chunk.text
            a, b = c.quote_start, c.quote_start + len(c.quote)
            body = html.escape(text[:a]) + "<mark>" + html.escape(text[a:b]) + "</mark>" + html.escape(text[b:])
            blocks.append(
                f"<div class='passage' id='source-{c.marker}'><div class='label'>[{c.marker}] {html.escape(c.chunk.label)}</div>"
                f"<div class='meta'>{_meta(c.chunk)}</div><pre>{body}</pre></div>"
            )
    elif answer.retrieved:
        blocks.append("<p><b>No answer found.</b> The nearest passages:</p>")
        for h in answer.retrieved[:3]:
            blocks.append(
                f"<div class='passage declined'><div class='label'>{html.escape(h.chunk.label)}</div>"
                f"<div class='meta'>{_meta(h.chunk)} · relevance {h.score:.2f}</div>"
                f"<pre>{html.escape(h.chunk.text)}</pre></div>"
            )
    return "\n".join(blocks) or "<p>No sources.</p>"


def _meta(chunk: Any) -> str:
    parts = [html.escape(chunk.document)]
    if chunk.date:
        parts.append(format_date(chunk.date))
    if chunk.page is not None:
        parts.append(f"page {chunk.page}")
    if chunk.section:
        parts.append(html.escape(chunk.section))
    return " · ".join(parts)


def answer_markdown(answer: Answer) -> str:
    text = answer.text
    if answer.citations:
        text += "\n\n**Sources**\n" + "\n".join(
            f"{c.marker}. {c.chunk.label} — *{c.chunk.document}*" for c in answer.citations
        )
    elif answer.abstained and answer.retrieved:
        text += "\n\n**Nearest sources**\n" + "\n".join(f"- {h.chunk.label}" for h in answer.retrieved[:3])
    return text


def build_app(engine: Engine) -> gr.Blocks:
    with gr.Blocks(title="rag-council") as demo:
        gr.Markdown(
            f"## rag-council\nAsk about the council's records (index **{html.escape(engine.index.name)}**, "
            f"{len(engine.index.records())} documents). Every answer cites the passages it stands on."
        )
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="Conversation", height=520, elem_id="chat")
                question = gr.Textbox(
                    label="Your question", placeholder="e.g. What did Cabinet decide about the carers strategy?",
                    elem_id="question", lines=1, max_lines=4,
                )
                with gr.Row():
                    send = gr.Button("Ask", variant="primary", elem_id="ask")
                    clear = gr.Button("New conversation", elem_id="new-conversation")
                gr.Examples(EXAMPLES, inputs=question)
            with gr.Column(scale=2):
                gr.Markdown("### Sources")
                sources = gr.HTML(passage_html(None), elem_id="sources")

        def respond(message: str, history: list[dict[str, Any]]) -> Iterator[tuple[list[dict[str, Any]], str, str]]:
            history = [*history, {"role": "user", "content": message}]
            final: Answer | None = None
            for partial in engine.stream(message):
                final = partial
                shown = partial.text if partial.notice == "partial" else answer_markdown(partial)
                yield [*history, {"role": "assistant", "content": shown}], passage_html(partial if partial.notice != "partial" else None), ""
            if final is not None:
                yield [*history, {"role": "assistant", "content": answer_markdown(final)}], passage_html(final), ""

        send.click(respond, [question, chat], [chat, sources, question])
        question.submit(respond, [question, chat], [chat, sources, question])
        clear.click(lambda: ([], passage_html(None), ""), None, [chat, sources, question])
    return demo


def serve(settings: Settings, host: str | None = None, port: int | None = None, open_browser: bool = False) -> None:
    engine = open_index(settings.index, settings)
    demo = build_app(engine)
    demo.queue(default_concurrency_limit=4).launch(
        server_name=host or settings.app.host,
        server_port=port or settings.app.port,
        inbrowser=open_browser,
        show_error=True,
        css=CSS,
    )
