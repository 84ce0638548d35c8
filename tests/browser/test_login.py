"""The login in a real browser: with credentials set, the app sends a visitor to FastAPI's login
page (not Gradio's), refuses a wrong password, and after the right one the chat answers with
sources and a source opens (/source/... is behind the same login)."""

from __future__ import annotations

import threading
import time

import pytest
from rag_council_app import build_server
from rag_council_app.auth import Credentials

from tests.browser.conftest import free_port, screenshot

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def guarded_url(corpus_engine):
    import uvicorn

    port = free_port()
    app = build_server(corpus_engine, Credentials("officer", "s3cret", api_key="k3y"))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 60
    while not server.started and time.time() < deadline:
        time.sleep(0.1)
    assert server.started, "the app did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_login_then_ask_and_open_a_source(page, guarded_url, corpus_engine):
    page.goto(guarded_url)
    page.wait_for_selector("form[action='/login']")
    assert "/login" in page.url
    page.fill("#username", "officer")
    page.fill("#password", "wrong")
    page.click("button[type=submit]")
    page.wait_for_selector(".error")
    assert "Wrong username or password" in page.inner_text(".error")
    page.fill("#username", "officer")
    page.fill("#password", "s3cret")
    page.click("button[type=submit]")
    page.wait_for_selector("#question textarea", timeout=60_000)
    screenshot(page, "login-then-app")
    page.fill("#question textarea", "What did the scrutiny committee resolve about co-opted members?")
    page.click("#ask")
    page.wait_for_function(
        """() => { const last = [...document.querySelectorAll('#chat .bot-row')].pop();
                   const passage = document.querySelector('#passage');
                   return last && passage && passage.innerText.indexOf('Answering') === -1
                          && /\\[1\\]|do not say/.test(last.innerText); }""",
        timeout=120_000,
    )
    screenshot(page, "login-answer")
    assert page.locator("#chat .bot-row").count() >= 1
    doc_id = corpus_engine.index.records()[0].doc_id
    opened = page.request.get(f"{guarded_url}/source/{doc_id}")
    assert opened.status == 200  # the session cookie opens the sources too
    anonymous = page.context.browser.new_context().request.get(f"{guarded_url}/source/{doc_id}")
    assert anonymous.status == 401
