"""The drafting desk: an officer pastes a question from a member of the public and gets the
similar earlier public questions with the council's responses, the relevant facts with citations,
and an editable draft response (every statement cited) to export as .docx and Markdown."""

from __future__ import annotations

import re
import time
from typing import Any

import gradio as gr

from rag_council.drafting import build_draft, to_docx, to_markdown

from .context import AppContext
from .render import earlier_html, facts_html, references_html


def build_drafting_tab(ctx: AppContext) -> None:
    gr.Markdown(
        "Paste a question from a member of the public. The draft is built only from the council's "
        "documents: every statement ends with a numbered reference. Edit it, then export it."
    )
    with gr.Row():
        pasted = gr.Textbox(
            label="Question from a member of the public", lines=4, scale=4, elem_id="draft-question"
        )
        go = gr.Button("Prepare a draft", variant="primary", scale=1, elem_id="draft-go")
    with gr.Row():
        with gr.Column(scale=1):
            gr.Markdown("### Similar earlier public questions")
            earlier = gr.HTML("", elem_id="earlier")
            gr.Markdown("### Relevant facts")
            facts = gr.HTML("", elem_id="facts")
        with gr.Column(scale=1):
            draft = gr.Textbox(
                label="Draft response (editable)", lines=16, max_lines=40, elem_id="draft-text"
            )
            gr.Markdown("### References")
            refs = gr.HTML("", elem_id="draft-refs")
            export = gr.Button("Export .docx and Markdown", elem_id="draft-export")
            files = gr.File(
                label="Downloads", file_count="multiple", interactive=False, elem_id="draft-files"
            )
            status = gr.Markdown("", elem_id="draft-status")
    state = gr.State(None)  # (question, references)

    def prepare(question: str) -> tuple[Any, ...]:
        question = (question or "").strip()
        if not question:
            return "", "", "", "", None, "Paste a question first."
        d = build_draft(ctx.engine, question)
        note = (
            "The documents do not answer this question: the draft says so."
            if d.facts is None or d.facts.abstained
            else f"Draft built from {len(d.references)} passage(s)."
        )
        return (
            earlier_html(d.earlier),
            facts_html(d.facts, d.references),
            d.text,
            references_html(d.references),
            (question, d.references),
            note,
        )

    go.click(prepare, [pasted], [earlier, facts, draft, refs, state, status], concurrency_id="answer")

    def do_export(text: str, state_: Any) -> tuple[Any, str]:
        if not state_ or not (text or "").strip():
            return None, "Prepare a draft first."
        question, references = state_
        stem = re.sub(r"[^a-z0-9]+", "-", question.lower())[:40].strip("-") or "draft"
        folder = ctx.work_dir / f"draft-{time.time_ns()}"
        folder.mkdir(parents=True)
        md = folder / f"draft-{stem}.md"
        md.write_text(to_markdown(question, text, references), encoding="utf-8")
        docx = to_docx(question, text, references, folder / f"draft-{stem}.docx")
        cited = {int(m) for m in re.findall(r"\[(\d+)\]", text)}
        unknown = sorted(cited - {r.marker for r in references})
        warning = (
            f" Note: the draft cites [{'], ['.join(map(str, unknown))}], which no reference has."
            if unknown
            else ""
        )
        return [str(docx), str(md)], "Exported." + warning

    export.click(do_export, [draft, state], [files, status])
