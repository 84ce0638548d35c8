"""The chat tab: streaming answers with numbered sources, a source picker beside the chat that
shows the passage with its cited span highlighted, filters, the answerer, feedback."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import gradio as gr

from rag_council import Answer, Filters
from rag_council.errors import RagCouncilError

from .context import AppContext
from .render import answer_markdown, passage_html, source_choices

ALL = "All"
DOC_TYPES = [
    "minutes",
    "agenda",
    "public_questions",
    "officer_report",
    "appendix",
    "strategy",
    "work_programme",
]
EXAMPLES = [
    "How many children left the care of Herefordshire Council between April 2022 and March 2023?",
    "What did the council answer about special guardianship orders?",
    "How many children were adopted in 2016-17?",
]


def parse_filters(committee: str, doc_type: str, since: str, until: str) -> Filters:
    """Filters from the controls; a bad date raises ValueError with a plain message."""

    def day(value: str, what: str) -> dt.date | None:
        value = (value or "").strip()
        if not value:
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"The {what} date '{value}' is not a date: use YYYY-MM-DD.") from None

    return Filters(
        committee=None if committee in (None, "", ALL) else committee,
        doc_type=None if doc_type in (None, "", ALL) else doc_type,
        since=day(since, "from"),
        until=day(until, "to"),
    )


def build_chat_tab(ctx: AppContext) -> dict[str, Any]:
    with gr.Row():
        with gr.Column(scale=3):
            chat = gr.Chatbot(label="Conversation", height=480, elem_id="chat")
            question = gr.Textbox(
                label="Your question",
                placeholder="e.g. What did the committee resolve about co-opted members?",
                elem_id="question",
                lines=1,
                max_lines=4,
            )
            with gr.Row():
                send = gr.Button("Ask", variant="primary", elem_id="ask")
                new = gr.Button("New conversation", elem_id="new-conversation")
            with gr.Accordion("Filters and answerer", open=False, elem_id="controls"):
                with gr.Row():
                    committee = gr.Dropdown(
                        [ALL, *ctx.committees()], value=ALL, label="Committee", elem_id="committee"
                    )
                    doc_type = gr.Dropdown(
                        [ALL, *DOC_TYPES], value=ALL, label="Document type", elem_id="doc-type"
                    )
                with gr.Row():
                    since = gr.Textbox(label="From (YYYY-MM-DD)", elem_id="since")
                    until = gr.Textbox(label="To (YYYY-MM-DD)", elem_id="until")
                    answerers = ctx.answerers()
                    answerer = gr.Dropdown(
                        answerers, value=answerers[0], label="Answerer", elem_id="answerer"
                    )
            gr.Examples(EXAMPLES, inputs=question)
            with gr.Row(elem_id="feedback"):
                comment = gr.Textbox(
                    label="Feedback on the last answer (optional comment)", scale=4, elem_id="comment"
                )
                up = gr.Button("Helpful", scale=1, elem_id="thumbs-up")
                down = gr.Button("Not helpful", scale=1, elem_id="thumbs-down")
            feedback_status = gr.Markdown("", elem_id="feedback-status")
        with gr.Column(scale=2):
            gr.Markdown("### Sources")
            picker = gr.Radio(
                [],
                label="Sources of the selected answer (click one)",
                elem_id="source-list",
                interactive=True,
            )
            passage = gr.HTML(passage_html(None), elem_id="passage")

    answers = gr.State([])  # one Answer per assistant message
    asked = gr.State([])  # the standalone questions so far
    selected = gr.State(-1)  # which answer the source picker shows

    def respond(
        message: str,
        history: list[dict[str, Any]],
        answers_: list[Answer],
        asked_: list[str],
        committee_: str,
        doc_type_: str,
        since_: str,
        until_: str,
        answerer_: str,
    ) -> Iterator[tuple[Any, ...]]:
        message = (message or "").strip()
        if not message:
            return
        history = [*history, {"role": "user", "content": message}]
        try:
            filters = parse_filters(committee_, doc_type_, since_, until_)
            engine = ctx.engine_for(answerer_)
        except (ValueError, RagCouncilError) as exc:
            yield (
                [*history, {"role": "assistant", "content": str(exc)}],
                "",
                [*answers_, None],
                asked_,
                len(answers_),
                gr.update(choices=[], value=None),
                passage_html(None),
            )
            return
        standalone = engine.standalone(asked_, message)
        final: Answer | None = None
        for partial in engine.stream(standalone, filters):
            final = partial
            if partial.notice == "partial":
                yield (
                    [*history, {"role": "assistant", "content": answer_markdown(partial)}],
                    "",
                    answers_,
                    asked_,
                    -1,
                    gr.update(),
                    passage_html(partial),
                )
        assert final is not None
        shown = answer_markdown(final)
        if standalone != message:
            shown = f"*Read as: “{standalone}”*\n\n" + shown
        choices = source_choices(final)
        yield (
            [*history, {"role": "assistant", "content": shown}],
            "",
            [*answers_, final],
            [*asked_, standalone],
            len(answers_),
            gr.update(choices=choices, value=choices[0][1] if choices else None),
            passage_html(final),
        )

    outputs = [chat, question, answers, asked, selected, picker, passage]
    inputs = [question, chat, answers, asked, committee, doc_type, since, until, answerer]
    send.click(respond, inputs, outputs, concurrency_id="answer")
    question.submit(respond, inputs, outputs, concurrency_id="answer")

    def show_source(choice: str | None, answers_: list[Answer], selected_: int) -> str:
        if not answers_ or selected_ < 0 or selected_ >= len(answers_) or answers_[selected_] is None:
            return passage_html(None)
        return passage_html(answers_[selected_], choice)

    picker.input(show_source, [picker, answers, selected], passage)

    # A click on a numbered source inside a chat message (see render.SOURCE_CLICK_JS).
    request = gr.Textbox(elem_id="source-request", show_label=False, container=False)

    def open_requested(value: str, answers_: list[Answer]) -> tuple[Any, ...]:
        try:
            n, marker = (int(x) for x in value.split(":")[:2])
        except ValueError:
            return gr.update(), gr.update(), gr.update()
        if n >= len(answers_) or answers_[n] is None:
            return gr.update(), gr.update(), gr.update()
        choices = source_choices(answers_[n])
        value_ = f"c{marker}"
        return n, gr.update(choices=choices, value=value_), passage_html(answers_[n], value_)

    request.change(open_requested, [request, answers], [selected, picker, passage])

    def select_message(answers_: list[Answer], evt: gr.SelectData) -> tuple[Any, ...]:
        i = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
        n = int(i) // 2
        if n >= len(answers_) or answers_[n] is None:
            return gr.update(), gr.update(), gr.update()
        choices = source_choices(answers_[n])
        return (
            n,
            gr.update(choices=choices, value=choices[0][1] if choices else None),
            passage_html(answers_[n]),
        )

    chat.select(select_message, [answers], [selected, picker, passage])

    def start_over() -> tuple[Any, ...]:
        return [], "", [], [], -1, gr.update(choices=[], value=None), passage_html(None), "", ""

    new.click(start_over, None, [*outputs, comment, feedback_status])

    def rate(rating: str, comment_: str, answers_: list[Answer], asked_: list[str]) -> tuple[str, str]:
        done = [a for a in answers_ if a is not None]
        if not done:
            return comment_, "Ask a question first: feedback is about an answer."
        ctx.feedback.record(
            done[-1], rating, comment_ or "", index=ctx.engine.index.name, asked=asked_[-1] if asked_ else ""
        )
        return (
            "",
            f"Thank you: your {'thumbs-up' if rating == 'up' else 'thumbs-down'} feedback on the last answer is saved.",
        )

    up.click(lambda c, a, q: rate("up", c, a, q), [comment, answers, asked], [comment, feedback_status])
    down.click(lambda c, a, q: rate("down", c, a, q), [comment, answers, asked], [comment, feedback_status])

    def like(answers_: list[Answer], evt: gr.LikeData) -> str:
        i = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
        n = int(i) // 2
        if n >= len(answers_) or answers_[n] is None:
            return ""
        rating = "up" if evt.liked is True else "down" if evt.liked is False else ""
        if rating:
            ctx.feedback.record(answers_[n], rating, index=ctx.engine.index.name)
        return "Thank you: your feedback is saved." if rating else ""

    chat.like(like, [answers], feedback_status)
    return {"committee": committee, "question": question}
