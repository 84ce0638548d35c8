"""HTML and Markdown for answers, sources and passages. Pure functions: easy to test, no Gradio."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import quote as urlquote

from rag_council import Answer, Chunk
from rag_council.types import format_date

CSS = """
.passage { border-left: 4px solid #1f6feb; padding: 8px 12px; margin: 0 0 12px 0; background: #f6f8fa;
           border-radius: 4px; }
.passage .label { font-weight: 600; font-size: 1.05em; }
.passage .meta { color: #57606a; font-size: 0.9em; margin: 4px 0; }
.passage .meta span + span::before { content: " · "; }
.passage mark { background: #ffe066; padding: 0 1px; }
.passage pre { white-space: pre-wrap; font-family: inherit; margin: 8px 0 0 0; max-height: 520px; position: relative;
               overflow-y: auto; }
.passage a.original { font-size: 0.9em; }
.passage.declined { border-left-color: #bf8700; }
.notice { background: #fff8c5; border: 1px solid #d4a72c; padding: 8px 12px; border-radius: 4px;
          margin-bottom: 10px; }
.earlier { border-left: 4px solid #8250df; padding: 8px 12px; margin: 0 0 12px 0; background: #fbf7ff; }
.earlier .who { font-weight: 600; }
.earlier .q, .earlier .r { white-space: pre-wrap; margin: 4px 0; max-height: 220px; overflow-y: auto; }
.refs li { margin-bottom: 8px; }
.refs q { font-style: italic; }
#source-list label { width: 100%; }
#source-request { display: none !important; }
table.documents { border-collapse: collapse; width: 100%; font-size: 0.92em; }
table.documents th, table.documents td { border-bottom: 1px solid #d0d7de; padding: 4px 6px; text-align: left;
                                         vertical-align: top; }
table.documents .warning { color: #9a6700; font-size: 0.9em; }
"""


def source_url(chunk: Chunk, page: int | None = None) -> str:
    """The link that opens the original file (served only for indexed files), at the page for PDFs."""
    url = f"/source/{urlquote(chunk.doc_id)}"
    if str(chunk.meta.get("doc_format", "")) == "pdf" and page:
        url += f"#page={page}"
    return url


def meta_spans(chunk: Chunk, page: int | None = None) -> list[str]:
    """Committee, meeting date, item, page and document, as far as they are known."""
    m = chunk.meta
    parts: list[str] = []
    if m.get("committee"):
        parts.append(str(m["committee"]))
    if m.get("meeting") and not m.get("date"):
        parts.append(f"meeting {m['meeting']}")
    if chunk.date:
        parts.append(
            f"meeting of {format_date(chunk.date)}" if m.get("committee") else format_date(chunk.date)
        )
    if m.get("item_no"):
        parts.append(f"item {m['item_no']}" + (f": {m['item_title']}" if m.get("item_title") else ""))
    elif chunk.section and not m.get("questioner"):
        parts.append(chunk.section)
    if m.get("questioner"):
        parts.append(f"asked by {m['questioner']}")
    shown_page = page if page is not None else chunk.page
    if shown_page is not None:
        parts.append(f"page {shown_page}")
    parts.append(chunk.document)
    return [html.escape(str(p)) for p in parts]


def _passage(
    chunk: Chunk, title: str, quote_start: int | None, quote: str, page: int | None, extra: str = ""
) -> str:
    text = chunk.text
    if quote_start is not None and quote:
        a, b = quote_start, quote_start + len(quote)
        body = html.escape(text[:a]) + "<mark>" + html.escape(text[a:b]) + "</mark>" + html.escape(text[b:])
    else:
        body = html.escape(text)
    meta = "".join(f"<span>{p}</span>" for p in meta_spans(chunk, page))
    link = (
        f"<a class='original' href='{html.escape(source_url(chunk, page))}' target='_blank' rel='noopener'>"
        "Open the original document ↗</a>"
    )
    cls = "passage" if quote_start is not None else "passage declined"
    return (
        f"<div class='{cls}'><div class='label'>{html.escape(title)}</div>"
        f"<div class='meta'>{meta}{extra}</div>{link}<pre>{body}</pre></div>"
    )


def source_choices(answer: Answer | None) -> list[tuple[str, str]]:
    """(shown, value) for the source picker: the numbered citations, or the nearest passages of
    a declined answer."""
    if answer is None:
        return []
    if answer.citations:
        return [
            (f"[{c.marker}] {c.chunk.label} — “{_snippet(c.quote)}”", f"c{c.marker}")
            for c in answer.citations
        ]
    return [(f"(nearest) {h.chunk.label}", f"h{i}") for i, h in enumerate(answer.retrieved[:5])]


def _snippet(text: str, n: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n].rsplit(" ", 1)[0] + "…"


def passage_html(answer: Answer | None, choice: str | None = None) -> str:
    """The chosen source of an answer (default: the first) with the cited span highlighted."""
    if answer is None:
        return "<p>Ask a question: click a numbered source to see the passage here.</p>"
    if answer.notice == "partial":
        return "<p>Answering…</p>"
    choices = [v for _, v in source_choices(answer)]
    if not choices:
        return f"<div class='notice'><b>No answer found.</b> {html.escape(answer.notice or '')}</div>"
    choice = choice if choice in choices else choices[0]
    if choice.startswith("c"):
        c = next(c for c in answer.citations if f"c{c.marker}" == choice)
        return _passage(c.chunk, f"[{c.marker}] {c.chunk.label}", c.quote_start, c.quote, c.page)
    h = answer.retrieved[int(choice[1:])]
    similarity = h.dense if h.dense is not None else h.score
    notice = (
        "<div class='notice'><b>No answer found.</b> The documents I have do not say; "
        "this is one of the nearest passages, in case it helps.</div>"
    )
    return notice + _passage(
        h.chunk, h.chunk.label, None, "", h.chunk.page, f"<span>similarity {similarity:.2f}</span>"
    )


def _md(text: str) -> str:
    return text.replace("[", "(").replace("]", ")")


# Clicking a numbered source in a chat message opens it beside the chat: the click is turned into
# a request ("answer:marker") in a hidden textbox that the app listens to.
SOURCE_CLICK_JS = """
<script>
document.addEventListener('click', (event) => {
  const link = event.target.closest && event.target.closest('#chat a[href*="#source-"]');
  if (!link) return;
  event.preventDefault();
  event.stopPropagation();
  const marker = link.getAttribute('href').split('#source-')[1];
  const rows = [...document.querySelectorAll('#chat .bot-row')];
  const answer = rows.indexOf(link.closest('.bot-row'));
  const box = document.querySelector('#source-request textarea, #source-request input');
  if (!box || answer < 0) return;
  box.value = answer + ':' + marker + ':' + Date.now();
  box.dispatchEvent(new Event('input', {bubbles: true}));
}, true);
// Long passages scroll inside their box: bring the highlighted span into view.
new MutationObserver(() => {
  document.querySelectorAll('#passage pre, #facts pre').forEach((pre) => {
    const mark = pre.querySelector('mark');
    if (mark && pre.dataset.scrolled !== mark.textContent) {
      pre.dataset.scrolled = mark.textContent;
      pre.scrollTop = Math.max(0, mark.offsetTop - 60);  // pre is position: relative
    }
  });
}).observe(document.documentElement, {subtree: true, childList: true});
</script>
"""


def answer_markdown(answer: Answer) -> str:
    """The chat message: the answer, then its numbered sources (or, declined, the nearest ones)."""
    text = answer.text
    if answer.notice == "partial":
        return text + " …"
    if answer.citations:
        text += "\n\n**Sources** (click one to see the passage)\n" + "\n".join(
            f"{c.marker}. [{_md(c.chunk.label)}](#source-{c.marker})" for c in answer.citations
        )
    elif answer.abstained and answer.retrieved:
        text += "\n\n**Nearest sources** (none of them answers the question)\n" + "\n".join(
            f"- {h.chunk.label}" for h in answer.retrieved[:5]
        )
    if answer.notes:  # time: draft minutes, later versions, "as at", "this year" (issue 13)
        text += "\n\n" + "\n".join(f"> **Note:** {_md(n)}" for n in answer.notes)
    if answer.understood:
        text += f"\n\n*Looked first at: {_md(answer.understood)}*"
    return text


def earlier_html(earlier: list[Any]) -> str:
    if not earlier:
        return "<p>No similar earlier public questions were found.</p>"
    blocks = []
    for eq in earlier:
        who = html.escape(eq.questioner or "a member of the public")
        kind = "supplementary question" if eq.supplementary else "public question"
        where = html.escape(", ".join(p for p in (eq.committee, eq.when, f"similarity {eq.score:.2f}") if p))
        response = html.escape(eq.response[:1500]) or "<i>No response recorded.</i>"
        blocks.append(
            f"<div class='earlier'><div class='who'>{who} — {kind}</div><div class='meta'>{where}"
            f" · <a href='{html.escape(source_url(eq.chunk))}' target='_blank' rel='noopener'>original</a></div>"
            f"<div><b>Question</b></div><div class='q'>{html.escape(eq.question[:1200])}</div>"
            f"<div><b>Council's response</b></div><div class='r'>{response}</div></div>"
        )
    return "\n".join(blocks)


def facts_html(answer: Answer | None, references: list[Any] | None = None) -> str:
    """The passages behind the draft's facts, numbered as in the draft, cited spans highlighted."""
    if answer is None:
        return ""
    if answer.abstained or not answer.citations:
        return f"<div class='notice'>{html.escape(answer.text)}</div>"
    numbers = {(r.doc_id, r.quote): r.marker for r in references or []}
    blocks = []
    for c in answer.citations:
        n = numbers.get((c.chunk.doc_id, c.quote)) if references is not None else c.marker
        if n is not None:
            blocks.append(_passage(c.chunk, f"[{n}] {c.chunk.label}", c.quote_start, c.quote, c.page))
    return "\n".join(blocks) or "<p>No passage states a fact that answers this question.</p>"


def references_html(references: list[Any]) -> str:
    if not references:
        return "<p>No references.</p>"
    items = "".join(
        f"<li><b>[{r.marker}] {html.escape(r.label)}</b> — {html.escape(r.document)}"
        + (f", p. {r.page}" if r.page else "")
        + f"<br><q>{html.escape(' '.join(r.quote.split()))}</q></li>"
        for r in references
    )
    return f"<ol class='refs' style='list-style:none;padding-left:0'>{items}</ol>"
