from pathlib import Path

import pytest

from rag_council.errors import (
    CorruptFileError,
    EmptyDocumentError,
    EncryptedPdfError,
    FileTooLargeError,
    NoTextError,
)
from rag_council.ingest import discover, load_document
from rag_council.ingest.loaders import decode_text


def test_discover_recurses_and_reports_what_it_skips(tmp_path: Path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.txt").write_text("First document text.")
    (tmp_path / "two.md").write_text("# Heading\nSecond.")
    (tmp_path / "sheet.xlsx").write_bytes(b"PK\x03\x04")
    (tmp_path / ".hidden.txt").write_text("ignored")
    found = discover([tmp_path, tmp_path / "missing.pdf"])
    assert [name for _, name in found.files] == ["a/one.txt", "two.md"]
    reasons = {Path(s.path).name: s.reason for s in found.skipped}
    assert "unsupported file type" in reasons["sheet.xlsx"]
    assert reasons["missing.pdf"] == "no such file or folder"


def test_windows_1252_text_is_read_with_a_warning():
    text, warnings = decode_text("Budget: £4.2m – approved".encode("cp1252"), "old.txt")
    assert text == "Budget: £4.2m – approved"
    assert warnings and "Windows-1252" in warnings[0]


def test_binary_and_empty_files_are_refused(tmp_path: Path):
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02" * 100)
    (tmp_path / "empty.txt").write_text("   \n")
    with pytest.raises(CorruptFileError, match="binary"):
        load_document(tmp_path / "bin.txt", "bin.txt", 10**6)
    with pytest.raises(EmptyDocumentError, match="no text"):
        load_document(tmp_path / "empty.txt", "empty.txt", 10**6)


def test_too_large_file_is_refused_with_the_setting_to_change(tmp_path: Path):
    (tmp_path / "big.txt").write_text("word " * 1000)
    with pytest.raises(FileTooLargeError, match="RAG_COUNCIL_MAX_FILE_MB"):
        load_document(tmp_path / "big.txt", "big.txt", 100)


def test_html_is_read_as_visible_text(tmp_path: Path):
    (tmp_path / "page.html").write_text(
        "<html><head><title>Cabinet 5 May</title><style>p{}</style></head>"
        "<body><h1>Decisions</h1><p>Cabinet approved the plan &amp; budget.</p><script>x()</script></body></html>"
    )
    doc = load_document(tmp_path / "page.html", "page.html", 10**6)
    assert doc.title == "Cabinet 5 May"
    assert "Cabinet approved the plan & budget." in doc.text
    assert "x()" not in doc.text and "p{}" not in doc.text


def test_pdf_pages_are_kept(pdf_dir: Path):
    doc = load_document(pdf_dir / "minutes-2025-03-03.pdf", "minutes.pdf", 10**7)
    assert [p.number for p in doc.pages] == [1, 2, 3]
    school = doc.text.index("school transport budget")
    assert doc.page_at(school) == 2
    assert doc.page_at(doc.text.index("Sunday opening")) == 3


def test_bad_pdfs_raise_clear_errors(pdf_dir: Path):
    with pytest.raises(CorruptFileError, match="not a readable PDF"):
        load_document(pdf_dir / "corrupt.pdf", "corrupt.pdf", 10**7)
    with pytest.raises(EncryptedPdfError, match="password"):
        load_document(pdf_dir / "encrypted.pdf", "encrypted.pdf", 10**7)
    with pytest.raises(NoTextError, match="OCR"):
        load_document(pdf_dir / "scanned.pdf", "scanned.pdf", 10**7)
    with pytest.raises(EmptyDocumentError):
        load_document(pdf_dir / "empty.pdf", "empty.pdf", 10**7)


def test_pdf_with_one_scanned_page_warns(tmp_path: Path):
    from rag_council.ingest.pdf import write_text_pdf

    write_text_pdf(tmp_path / "mixed.pdf", ["Page one has text about libraries.", None])
    doc = load_document(tmp_path / "mixed.pdf", "mixed.pdf", 10**7)
    assert any("no text on page(s) 2" in w for w in doc.warnings)
