"""The library tab: what is indexed (metadata and ingestion warnings), uploading new files into
the open index with a progress bar, and the feedback export for evaluators."""

from __future__ import annotations

import contextlib
import html
import os
import re
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.utils import get_upload_folder

from rag_council.ingest.loaders import SUPPORTED
from rag_council.ingest.pipeline import file_id
from rag_council.types import IngestReport, format_date

from .chat import ALL
from .context import AppContext

COLUMNS = ["Document", "Title and warnings", "Type", "Committee", "Date", "Pages", "Chunks"]


def documents_html(ctx: AppContext) -> str:
    """The indexed documents with their metadata and ingestion warnings."""
    rows = []
    for r in ctx.engine.index.records():
        date = str(r.meta.get("date") or "")
        warnings = "".join(f"<div class='warning'>⚠ {html.escape(w)}</div>" for w in r.warnings)
        rows.append(
            "<tr>"
            f"<td><a href='/source/{html.escape(r.doc_id)}' target='_blank' rel='noopener'>{html.escape(r.name)}</a></td>"
            f"<td>{html.escape(r.title[:120])}{warnings}</td>"
            f"<td>{html.escape(str(r.meta.get('doc_type', r.format)))}</td>"
            f"<td>{html.escape(str(r.meta.get('committee', '')))}</td>"
            f"<td>{format_date(date) if date else ''}</td>"
            f"<td>{r.pages or ''}</td><td>{len(r.chunk_ids)}</td>"
            "</tr>"
        )
    head = "".join(f"<th>{c}</th>" for c in COLUMNS)
    return (
        f"<p>{len(rows)} documents.</p><table class='documents'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    ) + statuses_html(ctx)


def statuses_html(ctx: AppContext) -> str:
    """Strategies and policies over time: version, period, draft, review date, superseded (issue 13)."""
    from rag_council.timeline.entries import statuses

    rows = [
        f"<tr><td>{html.escape(s.title)}</td><td>{html.escape(', '.join(s.documents))}</td>"
        f"<td>{html.escape(s.describe())}</td></tr>"
        for s in statuses(ctx.engine.index)
    ]
    if not rows:
        return ""
    return (
        "<h4>Strategies and policies over time</h4><table class='documents' id='document-status'>"
        "<thead><tr><th>Document</th><th>File</th><th>Version, period, status</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def check_upload(path: Path, max_mb: float) -> str | None:
    """Why an uploaded file cannot be ingested, or None when it looks right."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        return f"unsupported file type '{suffix or path.name}' (supported: {' '.join(sorted(SUPPORTED))})"
    try:
        size = path.stat().st_size
    except OSError:
        return "the uploaded file is no longer on the server (uploads are kept for an hour); upload it again"
    if size == 0:
        return "the file is empty"
    if size > max_mb * 1e6:
        return f"the file is {size / 1e6:.1f} MB; the upload limit is {max_mb:g} MB"
    head = path.read_bytes()[:4096]
    if suffix == ".pdf":
        if not head.startswith(b"%PDF-"):
            return "this is not a PDF file (it does not start with %PDF-)"
    elif b"\x00" in head:
        return "this looks like a binary file, not text"
    return None


def safe_name(name: str) -> str:
    stem, dot, suffix = Path(name).name.rpartition(".")
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem if dot else suffix).strip("-.") or "upload"
    return f"{stem[:80]}.{suffix.lower()}" if dot else stem


def accept_uploads(
    ctx: AppContext, files: list[tuple[Path, str]], progress: Any = None
) -> tuple[IngestReport | None, list[tuple[str, str]]]:
    """Ingest uploaded files ((where it was received, its original name)) into the open index,
    each checked first (check_upload); one ingest at a time. Returns the report (None when no
    file passed the checks) and (name, why) for each file not added. The API's /v1/ingest
    uses it too, so both doors accept and refuse the same files."""
    folder = ctx.engine.index.directory / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    accepted: list[Path] = []
    problems: list[tuple[str, str]] = []
    with ctx.ingest_lock:
        # The index keeps the uploaded copy (/source opens it). A copy replacing a file of the
        # same name that is already indexed keeps the old one aside until the new one is taken:
        # a refused replacement must not cost the indexed document its original.
        kept = folder / ".replaced"
        try:
            for source, original in files:
                reason = check_upload(source, ctx.settings.app.max_upload_mb)
                if reason:
                    problems.append((original, reason))
                    continue
                target = folder / safe_name(original)
                if target.exists() and not (kept / target.name).exists():
                    kept.mkdir(exist_ok=True)
                    os.replace(target, kept / target.name)
                shutil.copyfile(source, target)
                accepted.append(target)
            if not accepted:
                return None, problems
            report = ctx.engine.index.ingest(accepted, progress=progress)
            for s in report.skipped:
                problems.append((Path(s.path).name, s.reason))
                (folder / Path(s.path).name).unlink(missing_ok=True)
            for name in {Path(s.path).name for s in report.skipped}:
                if (kept / name).exists():
                    os.replace(kept / name, folder / name)
        except BaseException:
            # The ingest failed: each replaced original goes back unless its replacement made it in.
            try:
                indexed = {r.name: r.doc_id for r in ctx.engine.index.records()}
            except Exception:
                indexed = {}
            for target in accepted:
                if (kept / target.name).exists() and indexed.get(target.name) != file_id(target):
                    os.replace(kept / target.name, target)
            raise
        finally:
            shutil.rmtree(kept, ignore_errors=True)
    return report, problems


def is_upload(path: Path) -> bool:
    """Whether `path` (links followed) is inside Gradio's upload folder: the only files the
    library adds or deletes. (Gradio itself refuses an event naming any other file, see
    main.build_server; this holds should that ever change.)"""
    return Path(get_upload_folder()).resolve() in Path(path).resolve().parents


def discard_received(paths: Iterable[Path]) -> None:
    """Delete uploads from Gradio's upload folder (GRADIO_TEMP_DIR, else <tmp>/gradio; each file
    in a folder named by its hash) once they are ingested (the index has its own copy) or
    refused. Nothing outside that folder is touched."""
    root = Path(get_upload_folder()).resolve()
    for path in paths:
        resolved = Path(path).resolve()
        if root not in resolved.parents:
            continue
        resolved.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # only when empty
            if resolved.parent != root:
                resolved.parent.rmdir()


def received_files(files: list[Any]) -> list[tuple[Path, str]]:
    """(where Gradio stored it, its original name) for each file of the upload box: Gradio's
    file data (a dict with `path` and `orig_name`), or a path."""
    received = []
    for f in files:
        if isinstance(f, dict):
            path = Path(str(f.get("path") or ""))
            original = str(f.get("orig_name") or path.name)
        else:
            path = Path(f if isinstance(f, str) else f.name)
            original = str(getattr(f, "orig_name", None) or path.name)
        received.append((path, Path(original).name))
    return received


def build_library_tab(ctx: AppContext, committee: Any) -> None:
    """`committee` is the chat's committee filter, refreshed when uploads add a committee."""
    gr.Markdown("### Indexed documents")
    table = gr.HTML(documents_html(ctx), elem_id="documents")
    gr.Markdown(
        f"### Add documents\nPDF, text, Markdown or HTML, up to {ctx.settings.app.max_upload_mb:g} MB each. "
        "They are added to the open index and can be asked about at once."
    )
    upload = gr.File(
        label="Files to add",
        file_count="multiple",
        file_types=sorted(SUPPORTED),
        elem_id="upload",
    )
    ingest = gr.Button("Add to the index", variant="primary", elem_id="ingest")
    status = gr.Markdown("", elem_id="ingest-status")
    gr.Markdown("### Feedback for evaluators")
    export = gr.Button("Export feedback (JSON Lines)", elem_id="feedback-export")
    exported = gr.File(label="Feedback", interactive=False, height=90, elem_id="feedback-file")

    def add(files: list[Any] | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        if not files:
            return gr.update(), "Choose one or more files first.", None, gr.update()
        received, foreign = [], []
        for path, name in received_files(files):
            if is_upload(path):
                received.append((path, name))
            else:  # never read, copied or deleted
                foreign.append((name, "not a file uploaded to this app; choose the file to upload it"))
        progress(0, desc="Reading files")

        def step(name: str, done: int, total: int) -> None:
            progress((done, total), desc=f"Ingesting {name}" if name else "Indexing", unit="files")

        try:
            report, rejected = accept_uploads(ctx, received, step)
        finally:
            discard_received(path for path, _ in received)
        problems = [f"- **{name}**: {reason}" for name, reason in foreign + rejected]
        lines = []
        if report:
            added = report.added + report.replaced
            if added:
                lines.append(f"Added {len(added)} file(s): {', '.join(added)}. You can ask about them now.")
            if report.unchanged:
                lines.append(f"Already indexed, unchanged: {', '.join(report.unchanged)}.")
            if report.warnings:
                lines.append("\nWarnings:\n")
            for name, warnings in report.warnings.items():
                lines += [f"- {name}: {w}" for w in warnings]
        if problems:
            lines.append("\n**Not added:**\n")
            lines += problems
        return documents_html(ctx), "\n".join(lines), None, gr.update(choices=[ALL, *ctx.committees()])

    # preprocess=False: `add` gets Gradio's file data as received (is_upload checks the paths),
    # so that every refusal is ours and the file is deleted: Gradio's own
    # preprocessing would refuse a wrong type before `add` could delete it, and leaves an empty
    # temporary file in its upload folder for each file it passes on.
    ingest.click(add, [upload], [table, status, upload, committee], concurrency_limit=1, preprocess=False)

    def export_feedback() -> tuple[str | None]:
        target = ctx.work_dir / f"feedback-{time.strftime('%Y%m%d-%H%M%S')}.jsonl"
        ctx.feedback.export(target)
        return str(target)

    export.click(export_feedback, None, exported)
