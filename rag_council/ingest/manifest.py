"""The optional sidecar manifest: sets or corrects a document's title, committee, date,
document type and source URL.

    # ingest/manifest.toml (next to, or one or two folders above, the files)
    [documents."000_33f019037055ced6.txt"]
    title = "Minutes: Children and Young People Scrutiny Committee, 14 November 2023"
    committee = "Children and Young People Scrutiny Committee"
    date = "2023-11-14"
    doc_type = "minutes"
    source_url = "https://..."

Entries are keyed by the file name (or its path relative to the ingest folder).

A `[council]` table changes the council rules of the parser for every file under the manifest
(see rag_council.ingest.council.profile):

    [council]
    name = "Shropshire"
    running_header = 'Shropshire Council \\d{1,2} [A-Z]{3,9} \\d{4}'
"""

from __future__ import annotations

import datetime as dt
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from rag_council.types import DocType

MANIFEST_NAME = "manifest.toml"
FIELDS = ("title", "committee", "date", "doc_type", "source_url")


def find_manifest(path: Path, levels: int = 2) -> Path | None:
    folder = path.parent
    for _ in range(levels + 1):
        candidate = folder / MANIFEST_NAME
        if candidate.is_file():
            return candidate
        if folder.parent == folder:
            break
        folder = folder.parent
    return None


@lru_cache(maxsize=16)
def _read(path: str, mtime: float) -> tuple[dict[str, Any], str]:
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8")), ""
    except (OSError, tomllib.TOMLDecodeError) as exc:
        return {}, f"manifest {path} is unreadable ({exc}); ignored"


def _load(path: str, mtime: float) -> tuple[dict[str, dict[str, Any]], str]:
    data, problem = _read(path, mtime)
    docs = data.get("documents", {})
    return ({str(k): dict(v) for k, v in docs.items() if isinstance(v, dict)}, problem)


def manifest_council(path: Path) -> dict[str, Any]:
    """The `[council]` table of the manifest that governs the file at `path` ({} if none)."""
    manifest = find_manifest(path)
    if manifest is None:
        return {}
    data, _ = _read(str(manifest), manifest.stat().st_mtime)
    table = data.get("council", {})
    return dict(table) if isinstance(table, dict) else {}


def manifest_entry(path: Path, name: str) -> tuple[dict[str, str], list[str]]:
    """The manifest entry for a file (validated), and warnings about it."""
    manifest = find_manifest(path)
    if manifest is None:
        return {}, []
    docs, problem = _load(str(manifest), manifest.stat().st_mtime)
    warnings = [problem] if problem else []
    entry = docs.get(name) or docs.get(Path(name).name) or {}
    out: dict[str, str] = {}
    for key, value in entry.items():
        if key not in FIELDS:
            warnings.append(f"manifest field '{key}' is not one of {', '.join(FIELDS)}; ignored")
            continue
        if key == "date":
            if isinstance(value, dt.date):
                value = value.isoformat()
            try:
                dt.date.fromisoformat(str(value))
            except ValueError:
                warnings.append(f"manifest date '{value}' is not YYYY-MM-DD; ignored")
                continue
        if key == "doc_type":
            try:
                value = DocType(str(value))
            except ValueError:
                kinds = ", ".join(t.value for t in DocType)
                warnings.append(f"manifest doc_type '{value}' is not one of {kinds}; ignored")
                continue
        out[key] = value if isinstance(value, DocType) else str(value)
    return out, warnings
