"""PDF in and out, with pypdf only.

`read_pdf_pages` extracts text page by page and turns pypdf's failures into LoaderErrors
that say what to do. `write_text_pdf` makes a real PDF with a text layer (and optionally an
image-only page or encryption): the tests and benchmarks build their fixtures with it.
"""

from __future__ import annotations

import logging
import textwrap
import zlib
from pathlib import Path

from rag_council.errors import CorruptFileError, EmptyDocumentError, EncryptedPdfError, NoTextError


def read_pdf_pages(path: Path) -> tuple[list[str], list[str]]:
    """Text of each page (index 0 = page 1) and warnings."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError, PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    if path.stat().st_size == 0:
        raise EmptyDocumentError(
            f"{path.name}: the file is empty.", "Remove it or replace it with the real PDF."
        )
    try:
        reader = PdfReader(str(path), strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception:  # pypdf raises several kinds here, e.g. for unsupported ciphers
                opened = 0
            if not opened:
                raise EncryptedPdfError(
                    f"{path.name}: the PDF is password-protected.",
                    "Save an unprotected copy (e.g. `qpdf --decrypt in.pdf out.pdf`) and ingest that.",
                )
        pages = [page.extract_text() or "" for page in reader.pages]
    except EncryptedPdfError:
        raise
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, OSError, AssertionError) as exc:
        raise CorruptFileError(
            f"{path.name}: not a readable PDF ({type(exc).__name__}: {str(exc)[:120]}).",
            "Re-export or re-download the file.",
        ) from None
    if not pages:
        raise EmptyDocumentError(f"{path.name}: the PDF has no pages.", "Check the file.")
    empty = [i + 1 for i, text in enumerate(pages) if not text.strip()]
    if len(empty) == len(pages):
        raise NoTextError(
            f"{path.name}: no text found on any of its {len(pages)} page(s); it looks scanned.",
            "Run OCR on it first (e.g. `ocrmypdf in.pdf out.pdf`) and ingest the result.",
        )
    warnings = []
    if empty:
        warnings.append(f"no text on page(s) {_ranges(empty)} (images or scans are not read)")
    return pages, warnings


def _ranges(numbers: list[int]) -> str:
    out: list[str] = []
    start = prev = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(out)


# --- writing --------------------------------------------------------------------------------


def _pdf_escape(line: str) -> bytes:
    data = line.encode("cp1252", errors="replace")
    return data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def write_text_pdf(
    path: str | Path,
    pages: list[str | None],
    *,
    password: str | None = None,
    title: str | None = None,
    width: int = 95,
) -> Path:
    """Write a PDF with one page per item of `pages` (Helvetica text, wrapped at `width`
    characters). A `None` page is image-only: a grey picture and no text layer, like a scan.
    With `password`, the file is encrypted (AES-256) and needs it to open."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject, NumberObject, StreamObject

    writer = PdfWriter()
    font = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
                NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
            }
        )
    )
    for body in pages:
        page = writer.add_blank_page(612, 792)
        resources = DictionaryObject()
        stream = DecodedStreamObject()
        if body is None:
            side = 64
            image = StreamObject()
            image._data = zlib.compress(bytes([180]) * side * side)
            image.update(
                {
                    NameObject("/Type"): NameObject("/XObject"),
                    NameObject("/Subtype"): NameObject("/Image"),
                    NameObject("/Width"): NumberObject(side),
                    NameObject("/Height"): NumberObject(side),
                    NameObject("/ColorSpace"): NameObject("/DeviceGray"),
                    NameObject("/BitsPerComponent"): NumberObject(8),
                    NameObject("/Filter"): NameObject("/FlateDecode"),
                }
            )
            resources[NameObject("/XObject")] = DictionaryObject(
                {NameObject("/Im1"): writer._add_object(image)}
            )
            stream.set_data(b"q 468 0 0 648 72 72 cm /Im1 Do Q")
        else:
            resources[NameObject("/Font")] = DictionaryObject({NameObject("/F1"): font})
            lines: list[str] = []
            for paragraph in body.split("\n"):
                lines.extend(textwrap.wrap(paragraph, width) or [""])
            ops = [b"BT /F1 10 Tf 13 TL 56 740 Td"]
            for line in lines[:56]:
                ops.append(b"(" + _pdf_escape(line) + b") Tj T*")
            ops.append(b"ET")
            stream.set_data(b"\n".join(ops))
        page[NameObject("/Resources")] = resources
        page[NameObject("/Contents")] = writer._add_object(stream)
    if title:
        writer.add_metadata({"/Title": title})
    if password:
        writer.encrypt(user_password=password, owner_password=password, algorithm="AES-256")
    out = Path(path)
    with out.open("wb") as fh:
        writer.write(fh)
    return out
