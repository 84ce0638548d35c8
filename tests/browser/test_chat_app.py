"""The app in a real browser, on the bundled corpus with the real model: ask, see the streamed
answer and its sources, open a source and check the highlight, follow up, give feedback, use the
drafting desk and download the .docx, upload a file and ask about it, two sessions at once.
Screenshots of each step go to test-artifacts/."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from rag_council_app import build_server

from rag_council.ingest.pdf import write_text_pdf
from tests.browser.conftest import free_port, screenshot
from tests.conftest import CORPUS_FILES, MEETING_PAGES

pytestmark = [pytest.mark.slow, pytest.mark.browser]
ANSWER_TIMEOUT = 120_000


@pytest.fixture(scope="module")
def app_url(corpus_engine):
    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(build_server(corpus_engine), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 60
    while not server.started and time.time() < deadline:
        time.sleep(0.1)
    assert server.started, "the app did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    # Leave the session's corpus index as it was for the other tests.
    corpus = {p.name for p in CORPUS_FILES}
    corpus_engine.index.remove([r.name for r in corpus_engine.index.records() if r.name not in corpus])


def _open(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#question textarea", timeout=60_000)


def _ask(page, question: str) -> str:
    """Ask and wait for the final answer (the question box empties and the sources appear)."""
    before = page.locator("#chat .bot-row").count()
    page.fill("#question textarea", question)
    page.click("#ask")
    page.wait_for_function(
        """(n) => document.querySelectorAll('#chat .bot-row').length > n
               && !document.querySelector('#chat .bot-row:last-of-type')?.innerText.trim().endsWith('…')
               && document.querySelector('#passage')?.innerText.indexOf('Answering') === -1""",
        arg=before,
        timeout=ANSWER_TIMEOUT,
    )
    page.wait_for_timeout(300)
    return page.locator("#chat .bot-row").last.inner_text()


def test_answer_streams_with_sources_and_a_source_opens_highlighted(page, app_url):
    _open(page, app_url)
    # Record every text the answer bubble shows, to see it stream in.
    page.evaluate(
        """() => { window.seen = [];
           new MutationObserver(() => { const b = [...document.querySelectorAll('#chat .bot-row')].pop();
             if (b) { const t = b.innerText.trim(); if (t && window.seen.at(-1) !== t) window.seen.push(t); } })
           .observe(document.querySelector('#chat'), {subtree: true, childList: true, characterData: true}); }"""
    )
    bot = _ask(
        page, "How many children left the care of Herefordshire Council between April 2022 and March 2023?"
    )
    seen = page.evaluate("window.seen")
    assert len(seen) >= 2 and any(t.endswith("…") for t in seen[:-1]), seen  # partial, then final
    assert "105 children" in bot and "[1]" in bot and "Sources" in bot
    screenshot(page, "01-chat-answer")

    sources = page.locator("#source-list label")
    assert sources.count() >= 1
    assert sources.first.inner_text().startswith("[1]")
    # The source that says "105 children" is labelled with its meeting and committee; a click on
    # its marker in the answer opens it beside the chat, highlighted.
    number = next(i for i in range(sources.count()) if "105 children" in sources.nth(i).inner_text()) + 1
    page.locator("#chat .bot-row").last.locator(f"a[href$='#source-{number}']").click()
    page.wait_for_selector(f"#passage .label:has-text('[{number}]')")
    passage = page.locator("#passage .passage")
    meta = passage.locator(".meta").inner_text()
    assert "Children and Young People Scrutiny Committee" in meta and "14 November 2023" in meta
    assert "105 children" in passage.locator("mark").inner_text()
    assert len(passage.locator("pre").inner_text()) > len(passage.locator("mark").inner_text())
    screenshot(page, "02-source-highlighted")

    # The original file opens through the app; files that are not indexed do not.
    href = passage.locator("a.original").get_attribute("href")
    assert href.startswith("/source/")
    original = page.request.get(app_url + href.split("#")[0])
    assert original.status == 200 and "105 children" in original.text()
    assert page.request.get(app_url + "/source/0000000000000000").status == 404
    assert page.request.get(app_url + "/source/..%2F..%2Fetc%2Fpasswd").status == 404

    # An answer with several sources: clicking source 2 in the answer opens that passage, and
    # selects it in the list of sources beside it ...
    bot = _ask(page, "What has the council decided about the corporate parenting strategy over the years?")
    sources = page.locator("#source-list label")
    assert sources.count() >= 2 and "[2]" in bot
    page.locator("#chat .bot-row").last.locator("a[href$='#source-2']").click()
    page.wait_for_selector("#passage .label:has-text('[2]')")
    assert page.locator("#source-list input:checked").get_attribute("value") == "c2"
    passage = page.locator("#passage .passage")
    label = passage.locator(".label").inner_text()
    mark = passage.locator("mark").inner_text()
    assert label.startswith("[2]") and label[4:].split(",")[0] in sources.nth(1).inner_text()
    # (a records answer quotes a field's span, such as "Meeting: Cabinet": short, but exact)
    assert mark.strip() and " ".join(mark.split()) in " ".join(passage.locator("pre").inner_text().split())
    # ... and so does a click in the list.
    sources.first.click()
    page.wait_for_selector("#passage .label:has-text('[1]')")
    assert page.locator("#passage mark").count() == 1


def test_unanswerable_question_declines_plainly_with_nearest_sources(page, app_url):
    _open(page, app_url)
    bot = _ask(page, "How many special guardianship orders were granted in Q3 of 2023/24?")
    assert "The documents I have do not say" in bot and "Nearest sources" in bot
    assert "No answer found" in page.locator("#passage").inner_text()
    assert page.locator("#source-list label").first.inner_text().startswith("(nearest)")
    screenshot(page, "03-chat-declined")


def test_follow_up_filters_feedback_and_new_conversation(page, app_url, corpus_engine):
    _open(page, app_url)
    _ask(page, "What did the council say about special guardianship orders on 14 November 2023?")
    bot = _ask(page, "and what did they decide?")
    assert "Read as" in bot and "special guardianship orders" in bot.lower()
    screenshot(page, "04-follow-up")

    page.fill("#comment textarea", "Clear and well sourced.")
    page.click("#thumbs-up")
    page.wait_for_selector("#feedback-status :text('saved')")
    entries = [
        json.loads(x) for x in (corpus_engine.index.directory / "feedback.jsonl").read_text().splitlines()
    ]
    last = entries[-1]
    assert last["rating"] == "up" and last["comment"] == "Clear and well sourced."
    assert "special guardianship" in last["question"].lower() and last["answer"]

    page.click("#new-conversation")
    page.wait_for_function("document.querySelectorAll('#chat .bot-row').length === 0")

    # Filters: only Cabinet's papers.
    page.click("#controls button, #controls .label-wrap")
    page.click("#committee input")
    page.click("ul[role=listbox] li:has-text('Cabinet')")
    _ask(page, "How many children were adopted in 2016-17?")
    labels = page.locator("#source-list label").all_inner_texts()
    assert labels and all("Cabinet" in x for x in labels), labels
    screenshot(page, "05-filtered")


def test_drafting_desk_builds_a_cited_draft_and_exports_docx(page, app_url, tmp_path):
    from docx import Document

    _open(page, app_url)
    page.get_by_role("tab", name="Drafting desk").click()
    page.fill(
        "#draft-question textarea",
        "When will the council increase the number of special guardianship orders?",
    )
    page.click("#draft-go")
    page.wait_for_selector("#earlier .earlier", timeout=ANSWER_TIMEOUT)
    earlier = page.locator("#earlier").inner_text()
    assert "Ms Reid" in earlier and "14 November 2023" in earlier and "Council's response" in earlier
    draft = page.locator("#draft-text textarea").input_value()
    assert "[1]" in draft and "[2]" in draft
    refs = page.locator("#draft-refs").inner_text()
    assert "[1]" in refs and "[2]" in refs
    assert page.locator("#facts mark").count() >= 1
    screenshot(page, "06-drafting-desk")

    edited = draft + "\n\nWe will write to you again when the figures for Q3 are published."
    page.fill("#draft-text textarea", edited)
    page.click("#draft-export")
    page.wait_for_selector("#draft-files a[download$='.docx']", timeout=60_000)
    with page.expect_download() as download:
        page.locator("#draft-files a[download$='.docx']").click()
    path = tmp_path / "draft.docx"
    download.value.save_as(path)
    text = "\n".join(p.text for p in Document(str(path)).paragraphs)
    assert "figures for Q3 are published" in text and "References" in text and "[1]" in text
    with page.expect_download() as download:
        page.locator("#draft-files a[download$='.md']").click()
    md = Path(download.value.path()).read_text(encoding="utf-8")
    assert md.startswith("# Draft response") and "## References" in md
    screenshot(page, "07-drafting-exported")


def test_upload_a_file_and_ask_about_it(page, app_url, tmp_path):
    good = tmp_path / "parks-minutes.txt"
    good.write_text(
        "Minutes of the Example Parks Committee held on 2 April 2025.\n\n"
        "1. PLAYGROUND SAFETY\nThe committee agreed that the Riverside playground will reopen on "
        "1 May 2025 after new safety surfacing costing £48,000 was installed.\n",
        encoding="utf-8",
    )
    bad = tmp_path / "budget.pdf"
    bad.write_bytes(b"this is not really a pdf")
    pdf = tmp_path / "example-minutes.pdf"
    write_text_pdf(pdf, MEETING_PAGES, title="Example minutes")
    _open(page, app_url)
    page.get_by_role("tab", name="Library").click()
    assert "000_33f019037055ced6.txt" in page.locator("#documents").inner_text()
    page.set_input_files("#upload input[type=file]", [str(good), str(bad), str(pdf)])
    page.wait_for_timeout(1000)
    page.click("#ingest")
    page.wait_for_selector("#ingest-status :text('Added 2 file')", timeout=ANSWER_TIMEOUT)
    status = page.locator("#ingest-status").inner_text()
    assert "parks-minutes.txt" in status and "budget.pdf" in status and "not a PDF" in status
    assert "parks-minutes.txt" in page.locator("#documents").inner_text()
    screenshot(page, "08-library-upload")

    # The feedback given so far downloads as JSON Lines for evaluators.
    page.click("#feedback-export")
    link = page.locator("#feedback-file a[download$='.jsonl']")
    link.wait_for(timeout=30_000)
    with page.expect_download() as download:
        link.click()
    entries = [json.loads(x) for x in Path(download.value.path()).read_text(encoding="utf-8").splitlines()]
    assert entries and {"rating", "question", "answer", "sources"} <= set(entries[-1])

    page.get_by_role("tab", name="Ask").click()
    page.click("#controls button, #controls .label-wrap")
    page.click("#committee input")
    assert page.locator("ul[role=listbox] li:has-text('Example Scrutiny Committee')").count() == 1
    page.keyboard.press("Escape")
    bot = _ask(page, "When will the Riverside playground reopen?")
    assert "1 May 2025" in bot and "[1]" in bot
    screenshot(page, "09-ask-uploaded")

    # A PDF's source opens the original file at the cited page.
    bot = _ask(page, "When will the central library open on Sundays?")
    assert "1 June 2025" in bot
    href = page.locator("#passage a.original").get_attribute("href")
    assert href.endswith("#page=3"), href
    assert "page 3" in page.locator("#passage .meta").inner_text()
    original = page.request.get(app_url + href.split("#")[0])
    assert original.status == 200 and original.headers["content-type"] == "application/pdf"
    screenshot(page, "10-ask-uploaded-pdf")


def test_two_sessions_asking_at_once_both_get_answers(browser, app_url):
    pages = []
    for _ in range(2):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        pages.append((context, context.new_page()))
    try:
        questions = [
            "How many children were adopted in 2016-17?",
            "How many children left the care of Herefordshire Council between April 2022 and March 2023?",
        ]
        for (_, pg), q in zip(pages, questions, strict=True):
            _open(pg, app_url)
            pg.fill("#question textarea", q)
        for _, pg in pages:
            pg.click("#ask")
        for _, pg in pages:
            pg.wait_for_selector("#passage .passage, #passage .notice", timeout=ANSWER_TIMEOUT)
            assert "Sources" in pg.locator("#chat .bot-row").last.inner_text()
        screenshot(pages[1][1], "11-second-session")
    finally:
        for context, _ in pages:
            context.close()
