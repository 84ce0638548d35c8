"""The Timeline tab in a real browser: the same entries as `rag-council timeline`, in date
order, grouped by meeting, marked (recommendation, draft, superseded), each entry's quote one
click away, highlighted in its passage. The bundled corpus is indexed with the hash embedder:
the timeline reads the records, not the model."""

from __future__ import annotations

import threading
import time

import pytest
from rag_council_app import build_server

from rag_council import BUNDLED_CORPUS, HashEmbedder, Settings, build_index, open_index
from rag_council.timeline import timeline
from tests.browser.conftest import free_port, screenshot

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory):
    settings = Settings(index_root=tmp_path_factory.mktemp("timeline-app"), embedder={"kind": "hash"})
    build_index([BUNDLED_CORPUS], settings, embedder=HashEmbedder())
    return open_index(None, settings, embedder=HashEmbedder())


@pytest.fixture(scope="module")
def app_url(engine):
    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(build_server(engine), host="127.0.0.1", port=port, log_level="warning")
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


def test_the_timeline_tab_lists_the_records_in_date_order_with_quotes_one_click_away(page, app_url, engine):
    expected = timeline(engine.index, "corporate parenting")
    page.goto(app_url)
    page.get_by_role("tab", name="Timeline").click()
    page.fill("#timeline-topic textarea", "corporate parenting")
    page.click("#timeline-go")
    page.wait_for_selector("#timeline-entries .entry", timeout=60_000)
    entries = page.locator("#timeline-entries .entry")
    assert entries.count() == len(expected)
    dates = [entries.nth(i).get_attribute("data-date") for i in range(entries.count())]
    assert dates == [e.date for e in expected] and dates == sorted(dates)
    assert dates[0].startswith("2017") and dates[-1].startswith("2024")
    listing = page.locator("#timeline-entries").inner_text()
    for mark in (
        "[recommendation]",
        "[draft]",
        "[superseded]",
        "Cabinet, 20 July 2017",
        "no records on this topic",
    ):
        assert mark in listing, mark
    screenshot(page, "timeline-1-listing")
    # One click on an entry shows its quote highlighted in the passage it is cited from.
    superseded = next(i for i, e in enumerate(expected) if e.status == "superseded")
    page.locator("#timeline-pick label").nth(superseded).click()
    page.wait_for_selector("#timeline-passage mark", timeout=30_000)
    shown = " ".join(page.locator("#timeline-passage mark").inner_text().split())
    assert shown == " ".join(expected[superseded].citation.quote.split())
    assert expected[superseded].citation.label in page.locator("#timeline-passage").inner_text()
    screenshot(page, "timeline-2-quote")


def test_the_timeline_tab_filters_by_committee_and_date(page, app_url, engine):
    page.goto(app_url)
    page.get_by_role("tab", name="Timeline").click()
    page.fill("#timeline-topic textarea", "corporate parenting")
    page.fill("#timeline-since textarea", "2020-01-01")
    page.click("#timeline-go")
    page.wait_for_selector("#timeline-entries .entry", timeout=60_000)
    entries = page.locator("#timeline-entries .entry")
    dates = [entries.nth(i).get_attribute("data-date") for i in range(entries.count())]
    assert dates and all(d >= "2020-01-01" for d in dates)
    page.fill("#timeline-since textarea", "not a date")
    page.click("#timeline-go")
    page.wait_for_selector("text=is not a date", timeout=30_000)
