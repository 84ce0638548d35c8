"""Files -> raw text. One function per format; failures are LoaderErrors naming the file and
the fix. `discover` walks folders and reports what it will not read, with the reason."""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

from rag_council.errors import (
    CorruptFileError,
    EmptyDocumentError,
    FileTooLargeError,
    UnsupportedFileError,
)
from rag_council.ingest.manifest import MANIFEST_NAME
from rag_council.ingest.pdf import read_pdf_pages
from rag_council.ingest.walk import dangling, walk
from rag_council.types import SkippedFile

SUPPORTED = {
    ".txt": "txt",
    ".text": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
}


@dataclass
class RawDocument:
    """What a loader read: the text, page boundaries (PDF only) and warnings."""

    name: str
    path: Path
    format: str
    text: str
    sha256: str
    page_texts: list[str] | None = None  # PDF: one string per page; text is their join
    title: str = ""
    warnings: list[str] = field(default_factory=list)


@dataclass
class Discovered:
    files: list[tuple[Path, str]]  # (absolute path, name as ingested)
    skipped: list[SkippedFile]


def discover(paths: list[Path]) -> Discovered:
    """Expand folders recursively. A file's name is its path relative to the folder given
    (or its own name when given directly)."""
    files: list[tuple[Path, str]] = []
    skipped: list[SkippedFile] = []
    seen: set[Path] = set()
    for given in paths:
        path = Path(given).expanduser()
        if not path.exists():
            skipped.append(
                SkippedFile(str(given), dangling(path) if path.is_symlink() else "no such file or folder")
            )
            continue
        if path.is_dir():
            candidates, problems = walk(path)  # loops, dangling links, unreadable folders reported
            skipped.extend(problems)
            root = path
        else:
            candidates = [path]
            root = path.parent
        for file in candidates:
            rel = file.relative_to(root)
            if any(part.startswith(".") for part in rel.parts):
                continue  # hidden files and folders (.git, .DS_Store)
            if file.name == MANIFEST_NAME:
                continue  # the sidecar manifest describes the documents; it is not one
            resolved = file.resolve()
            if resolved in seen:
                continue
            seen.add(resolved)
            if file.suffix.lower() not in SUPPORTED:
                skipped.append(
                    SkippedFile(
                        str(file),
                        f"unsupported file type '{file.suffix or file.name}' (supported: .txt .md .html .pdf)",
                    )
                )
                continue
            files.append((resolved, rel.as_posix()))
    return Discovered(files, skipped)


def load_raw(path: Path, name: str, max_bytes: int) -> RawDocument:
    fmt = SUPPORTED.get(path.suffix.lower())
    if fmt is None:
        raise UnsupportedFileError(
            f"{name}: unsupported file type '{path.suffix}'.", "Convert it to PDF, text or HTML."
        )
    size = path.stat().st_size
    if size > max_bytes:
        raise FileTooLargeError(
            f"{name}: {size / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB limit.",
            "Split the file, or raise RAG_COUNCIL_MAX_FILE_MB.",
        )
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if fmt == "pdf":
        pages, warnings = read_pdf_pages(path)
        return RawDocument(name, path, fmt, "\n\n".join(pages), digest, page_texts=pages, warnings=warnings)
    text, warnings = decode_text(data, name)
    if not text.strip():
        raise EmptyDocumentError(
            f"{name}: the file has no text.", "Remove it or replace it with the real document."
        )
    title = ""
    if fmt == "html":
        title, text = html_to_text(text)
        if not text.strip():
            raise EmptyDocumentError(f"{name}: the HTML page has no visible text.", "Check the file.")
    return RawDocument(name, path, fmt, text, digest, title=title, warnings=warnings)


def decode_text(data: bytes, name: str) -> tuple[str, list[str]]:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252 with a warning.
    Binary data is refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), []
    if b"\x00" in data[:8192]:
        raise CorruptFileError(
            f"{name}: binary data, not text.", "Check the file type; only text, HTML and PDF are read."
        )
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        bad = exc.start
    text = data.decode("cp1252", errors="replace")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > len(text) // 100 + 1 or text.count("\ufffd") > len(text) // 100 + 1:
        raise CorruptFileError(
            f"{name}: not UTF-8 text (invalid byte at offset {bad}) and not readable as Windows-1252.",
            "Re-save it as UTF-8.",
        )
    return text, [f"not valid UTF-8 (first bad byte at offset {bad}); read as Windows-1252"]


class _HTMLText(HTMLParser):
    _BLOCK: ClassVar[set[str]] = {
        "p",
        "div",
        "br",
        "li",
        "tr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "section",
        "article",
        "ul",
        "ol",
    }
    _SKIP: ClassVar[set[str]] = {"script", "style", "noscript", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: list[str] = []
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        elif tag in self._BLOCK:
            self.parts.append("\n")
        if tag in {"h1", "h2", "h3", "h4"}:
            self.parts.append("#" * int(tag[1]) + " ")
        if tag in {"td", "th"}:
            self.parts.append("\t")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag == "title":
            self._in_title = False
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._in_title:
            self.title.append(data)
        else:
            self.parts.append(data)


def html_to_text(markup: str) -> tuple[str, str]:
    parser = _HTMLText()
    parser.feed(markup)
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \t]*\n[ \t]*", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return html.unescape(" ".join("".join(parser.title).split())), text
