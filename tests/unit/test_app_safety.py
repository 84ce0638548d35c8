"""The app's safe defaults, without a browser: binding, uploads, rendering."""

import pytest
from rag_council_app import check_bind
from rag_council_app.library import check_upload, safe_name
from rag_council_app.render import answer_markdown, passage_html, source_url

from rag_council import Settings
from rag_council.errors import ConfigError
from rag_council.types import Answer, Chunk, Citation


def test_loopback_needs_no_password_but_a_network_address_does():
    s = Settings()
    assert check_bind("127.0.0.1", s) is None and check_bind("localhost", s) is None
    with pytest.raises(ConfigError, match="username and password"):
        check_bind("0.0.0.0", s)
    with pytest.raises(ConfigError):
        check_bind("0.0.0.0", Settings(app={"username": "officer"}))
    s = Settings(app={"username": "officer", "password": "s3cret"})
    creds = check_bind("0.0.0.0", s)
    assert creds is not None and (creds.username, creds.password) == ("officer", "s3cret")
    with pytest.raises(ConfigError, match="API key"):
        check_bind("0.0.0.0", s, api=True)
    keyed = check_bind("0.0.0.0", Settings(app={"api_key": "k"}), api=True)
    assert keyed is not None and keyed.key_ok("k") and not keyed.key_ok("K")


def test_uploads_are_checked(tmp_path):
    good = tmp_path / "a.txt"
    good.write_text("Minutes.")
    assert check_upload(good, 1) is None
    fake = tmp_path / "b.pdf"
    fake.write_bytes(b"hello")
    assert "not a PDF" in check_upload(fake, 1)
    exe = tmp_path / "c.exe"
    exe.write_bytes(b"MZ")
    assert "unsupported" in check_upload(exe, 1)
    big = tmp_path / "d.txt"
    big.write_bytes(b"x" * 2_000_001)
    assert "limit is 2 MB" in check_upload(big, 2)
    binary = tmp_path / "e.txt"
    binary.write_bytes(b"ab\x00cd")
    assert "binary" in check_upload(binary, 1)
    assert safe_name("../../etc/pass wd.TXT") == "pass-wd.txt"


def test_passage_highlights_the_quote_and_links_the_pdf_page():
    text = "Item 3. The committee approved the <budget> of £4.2 million. Other business."
    chunk = Chunk(
        "c",
        "abc",
        "m.pdf",
        text,
        0,
        len(text),
        0,
        page=2,
        meta={"doc_format": "pdf", "committee": "Cabinet", "date": "2025-03-03"},
    )
    quote = "The committee approved the <budget> of £4.2 million."
    answer = Answer(
        "q", "The committee approved the budget. [1]", False, citations=[Citation(1, chunk, quote, 8)]
    )
    html = passage_html(answer)
    assert "<mark>The committee approved the &lt;budget&gt; of £4.2 million.</mark>" in html
    assert "/source/abc#page=2" in html and "Cabinet" in html and "3 March 2025" in html
    assert source_url(chunk, 2) == "/source/abc#page=2"
    assert "(#source-1)" in answer_markdown(answer)


def test_declined_answer_says_so_and_lists_nearest_sources():
    from rag_council.types import Hit

    chunk = Chunk("c", "abc", "m.txt", "Something else entirely.", 0, 24, 0, title="Minutes")
    answer = Answer("q", "The documents I have do not say.", True, retrieved=[Hit(chunk, 0.2, 1, dense=0.2)])
    assert "Nearest sources" in answer_markdown(answer)
    assert "No answer found" in passage_html(answer)
