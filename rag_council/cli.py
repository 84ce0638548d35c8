"""`rag-council`: a thin command line over the library. Errors become one line and exit 1."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rag_council.errors import RagCouncilError
from rag_council.settings import BUNDLED_CORPUS, Settings
from rag_council.types import Answer, Filters, format_date

if TYPE_CHECKING:  # pragma: no cover
    from rag_council.engine import Engine


def _quiet_libraries() -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    for name in ("transformers", "sentence_transformers", "chromadb", "httpx", "openai", "pypdf"):
        logging.getLogger(name).setLevel(logging.ERROR)
    # transformers reads these when (and only if) a model is loaded; importing it here would
    # cost seconds on commands that load none (an unchanged re-ingest).
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a date; use YYYY-MM-DD") from None


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag-council", description=__doc__)
    parser.add_argument("--config", help="a TOML settings file (default: ./rag-council.toml if present)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="add files and folders to an index (default: the bundled corpus)")
    p.add_argument(
        "paths", nargs="*", help="files or folders (.txt .md .html .pdf); folders are read recursively"
    )
    p.add_argument("--index", help="index name (default: default)")
    p.add_argument("--rebuild", action="store_true", help="delete the index and build it again")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--wait",
        action="store_true",
        help="when another process is writing the index, wait for it (default: refuse)",
    )

    p = sub.add_parser("check", help="check that an index's manifest, store and keyword index agree")
    p.add_argument("--index")
    p.add_argument(
        "--repair", action="store_true", help="fix what is found (orphans, stale keyword index, ...)"
    )

    p = sub.add_parser("ask", help="answer questions from an index, with citations")
    p.add_argument("questions", nargs="+", metavar="QUESTION")
    p.add_argument("--index")
    p.add_argument("--json", action="store_true", help="one JSON object per question (JSON Lines)")
    p.add_argument("--top-k", type=_positive, help="passages to retrieve")
    p.add_argument("--committee", help="only this committee, e.g. 'Cabinet'")
    p.add_argument("--doc-type", help="only this kind of document, e.g. minutes")
    p.add_argument("--since", type=_date, help="only meetings on or after YYYY-MM-DD")
    p.add_argument("--until", type=_date, help="only meetings on or before YYYY-MM-DD")
    add_generator_argument(p)

    p = sub.add_parser("documents", help="list what an index holds")
    p.add_argument("--index")
    p.add_argument("--json", action="store_true")

    # --- records (issue 12) ---
    p = sub.add_parser(
        "records",
        help="list the council's records read at ingest: meetings, attendance, decisions, "
        "recommendations, public questions, document details",
    )
    p.add_argument("--index")
    p.add_argument("--kind", choices=list(RECORD_CHOICES), help="only this kind of record")
    p.add_argument("--committee", help="only this committee, e.g. 'Cabinet'")
    p.add_argument("--json", action="store_true", help="one JSON object per record (JSON Lines)")
    # --- end records ---

    p = sub.add_parser("timeline", help="what the records say about a topic, in date order, cited")
    p.add_argument("topic", metavar="TOPIC")
    p.add_argument("--since", type=_date, help="only records on or after YYYY-MM-DD")
    p.add_argument("--until", type=_date, help="only records on or before YYYY-MM-DD")
    p.add_argument("--committee", help="only this committee, e.g. 'Cabinet'")
    p.add_argument("--index")
    p.add_argument("--json", action="store_true", help="JSON Lines, one entry a line, dates ascending")

    p = sub.add_parser("serve", help="open the chat app in a browser")
    p.add_argument("--index")
    p.add_argument("--host", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 7860)")
    add_generator_argument(p)

    p = sub.add_parser(
        "api", help="serve the HTTP API (OpenAI-compatible chat, retrieve, documents) and the app"
    )
    p.add_argument("--index")
    p.add_argument("--host", help="address to bind (default 127.0.0.1; any other needs app.api_key)")
    p.add_argument("--port", type=int, help="port (default 7860)")
    add_generator_argument(p)

    p = sub.add_parser("mcp", help="serve the engine to MCP clients (stdio; --http for streamable HTTP)")
    p.add_argument("--index")
    p.add_argument(
        "--http", action="store_true", help="streamable HTTP on a loopback address instead of stdio"
    )
    p.add_argument("--host", default="127.0.0.1", help="with --http: a loopback address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="with --http: port (default 8765)")
    add_generator_argument(p)

    from rag_council.evaluate.command import add_arguments as add_eval_arguments

    p = sub.add_parser("config", help="print the settings in force, where each came from, and what it does")
    p.add_argument("--json", action="store_true", help="one JSON object per setting (JSON Lines)")

    p = sub.add_parser("eval", help="run the grounding test suite on gold questions")
    add_eval_arguments(p)
    add_generator_argument(p)
    return parser


def add_generator_argument(p: argparse.ArgumentParser) -> None:
    from rag_council.registry import GENERATORS

    p.add_argument(
        "--generator",
        choices=GENERATORS.names(),
        help="who writes the answer: "
        + "; ".join(f"{name}, {text}" for name, text in GENERATORS.descriptions().items()),
    )


def main(argv: Sequence[str] | None = None) -> int:
    from rag_council.terminal import SafeStream, printable, quiet_broken_pipe

    args = build_parser().parse_args(argv)
    _quiet_libraries()
    stdout, sys.stdout = sys.stdout, SafeStream(sys.stdout)  # type: ignore[assignment]  # no escapes
    try:
        settings = Settings.load(args.config)
        settings = settings.with_generator(getattr(args, "generator", None))
        return _COMMANDS[args.command](args, settings)
    except RagCouncilError as exc:
        print(f"rag-council: error: {printable(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("rag-council: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `rag-council documents | head`
        return quiet_broken_pipe()
    finally:
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            quiet_broken_pipe()
        sys.stdout = stdout


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from rag_council import build_index

    paths = [Path(p) for p in args.paths] or [BUNDLED_CORPUS]
    bar = None
    if not args.no_progress:
        from tqdm import tqdm

        bar = tqdm(total=0, unit="file", file=sys.stderr, dynamic_ncols=True)

    def progress(name: str, done: int, total: int) -> None:
        if bar is None:
            return
        bar.total = total
        bar.n = done
        bar.set_description(name[-40:] if name else "done")
        bar.refresh()

    from rag_council.index.lock import lock_policy

    try:
        with lock_policy(wait=args.wait):  # another writer: wait for it (--wait) or refuse
            report = build_index(paths, settings, index=args.index, rebuild=args.rebuild, progress=progress)
    finally:
        if bar is not None:
            bar.close()
    print(report.summary())
    return 0


def _filters(args: argparse.Namespace) -> Filters:
    return Filters(committee=args.committee, doc_type=args.doc_type, since=args.since, until=args.until)


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from rag_council import open_index

    engine = open_index(args.index, settings)
    filters = _filters(args)
    streaming = not args.json and engine.generator.incremental
    for question in args.questions:
        if args.json:
            answer = engine.ask(question, filters, top_k=args.top_k)
            print(json.dumps(answer.to_json(), ensure_ascii=False), flush=True)
        elif streaming:
            print(format_answer(_stream_to_stdout(engine, question, filters, args.top_k)), flush=True)
        else:
            print(format_answer(engine.ask(question, filters, top_k=args.top_k)), flush=True)
    return 0


def _stream_to_stdout(engine: Engine, question: str, filters: Filters, top_k: int | None) -> Answer:
    """Prints the text as it is generated, then returns the checked answer (printed after)."""
    shown = 0
    final: Answer | None = None
    for partial in engine.stream(question, filters, top_k):
        final = partial
        if partial.notice == "partial":
            if shown == 0:
                print(f"Q: {question.strip()[:300]}\n\n(writing…) ", end="", flush=True)
            sys.stdout.write(partial.text[shown:])
            sys.stdout.flush()
            shown = len(partial.text)
    assert final is not None
    if shown:
        print("\n\n(checked against the sources:)\n", flush=True)
    return final


def format_answer(answer: Answer) -> str:
    lines = [f"Q: {answer.question.strip()[:300]}", "", answer.text, ""]
    if answer.citations:
        lines.append("Sources:")
        for c in answer.citations:
            quote = " ".join(c.quote.split())
            lines.append(f"  [{c.marker}] {c.chunk.label} ({c.chunk.document})")
            lines.append(f"      “{quote[:400]}{'…' if len(quote) > 400 else ''}”")
    elif answer.retrieved:
        lines.append("Nearest sources:")
        for h in answer.retrieved[:3]:
            snippet = " ".join(h.chunk.text.split())[:160]
            similarity = h.dense if h.dense is not None else h.score
            lines.append(f"  - {h.chunk.label} ({h.chunk.document}), similarity {similarity:.2f}: {snippet}…")
    for note in answer.notes:
        lines.append(f"Note: {note}")
    if answer.understood:
        lines.append(f"(looked first at: {answer.understood})")
    return "\n".join(lines) + "\n"


def cmd_documents(args: argparse.Namespace, settings: Settings) -> int:
    from rag_council.embedding import make_embedder
    from rag_council.index import Index

    settings = settings.with_index(args.index)
    index = Index.open(settings, make_embedder(settings.embedder))
    records = index.records()
    if args.json:
        from rag_council.timeline.entries import statuses_by_document

        statuses = statuses_by_document(index)
        for r in records:
            print(
                json.dumps(
                    {k: v for k, v in r.__dict__.items() if k != "chunk_ids"}
                    | {
                        "chunks": len(r.chunk_ids),
                        "status": [s.to_json() for s in statuses.get(r.doc_id, [])],
                    }
                )
            )
        return 0
    if not records:
        print(f"Index '{index.name}' is empty. Add documents: rag-council ingest PATH --index {index.name}")
        return 0
    print(f"Index '{index.name}': {len(records)} documents, {sum(len(r.chunk_ids) for r in records)} chunks")
    from rag_council.timeline.entries import statuses_by_document

    statuses = statuses_by_document(index)
    for r in records:
        date = r.meta.get("date")
        dates = [d for d in str(r.meta.get("dates") or date or "").split(",") if d]
        kind = r.meta.get("doc_type", r.format)
        committee = r.meta.get("committee", "")
        print(
            f"- {r.name}: {r.title[:80]} | {kind}"
            + (f" | {committee}" if committee else "")
            + (f" | {format_date(str(date))}" if date else "")
            + (f" | {r.pages} pages" if r.pages else "")
            + (f" | {r.meta['sections']} sections" if r.meta.get("sections") else "")
            + f" | {len(r.chunk_ids)} chunks"
        )
        others = [d for d in dates if d != date]
        if others:
            print("    meetings: " + ", ".join(format_date(d) for d in sorted(dates)))
        if r.meta.get("tables"):
            print(f"    tables: {r.meta['tables']} (tab-separated rows, kept whole where they fit)")
        if r.meta.get("boilerplate_dropped"):
            print(f"    not indexed (boilerplate): {r.meta['boilerplate_dropped']}")
        if r.meta.get("source_url"):
            print(f"    source: {r.meta['source_url']}")
        for w in r.warnings:
            print(f"    ! {w}")
        for status in statuses.get(r.doc_id, []):  # strategies and policies over time (issue 13)
            print(f"    {status.type}: {status.title}: {status.describe()}")
    return 0


def cmd_timeline(args: argparse.Namespace, settings: Settings) -> int:
    from rag_council.embedding import make_embedder
    from rag_council.index import Index
    from rag_council.timeline import format_timeline, timeline

    settings = settings.with_index(args.index)
    index = Index.open(settings, make_embedder(settings.embedder))
    entries = timeline(index, args.topic, since=args.since, until=args.until, committee=args.committee)
    if args.json:
        for e in entries:
            print(json.dumps(e.to_json(), ensure_ascii=False))
    else:
        print(format_timeline(args.topic, entries), end="")
    return 0


# --- records (issue 12) ---
RECORD_CHOICES = {
    "meeting": "meeting",
    "attendance": "attendance",
    "decision": "item",
    "item": "item",
    "recommendation": "recommendation",
    "question": "question",
    "document": "document",
}


def cmd_records(args: argparse.Namespace, settings: Settings) -> int:
    from rag_council.answer.records import describe_record
    from rag_council.embedding import make_embedder
    from rag_council.index import Index
    from rag_council.index.records import index_records

    settings = settings.with_index(args.index)
    directory = settings.index_dir()
    index = Index.open(settings, make_embedder(settings.embedder))  # the embedder loads only if used
    held = index.records()
    documents = {r.doc_id: r.name for r in held}
    store = index_records(directory, documents)
    kind = RECORD_CHOICES.get(args.kind) if args.kind else None
    records = store.list(kind, doc_ids=documents, committee=args.committee)
    if args.kind == "decision":
        records = [r for r in records if r.notes.get("decision")]
    if args.json:
        for r in records:
            print(json.dumps(r.to_json(), ensure_ascii=False))
        return 0
    warnings = store.warnings(documents)
    print(f"Index '{settings.index}': {len(records)} record(s) from {len(documents)} document(s)")
    for name in sorted(set(documents.values())):
        mine = [r for r in records if r.document == name]
        if not mine and not warnings.get(name):
            continue
        record = next(r for r in held if r.name == name)
        print(f"\n== {name}: {record.title}")
        for r in mine:
            print("  " + describe_record(r).replace("\n", "\n    "))
        for w in warnings.get(name, []):
            print(f"  ! {w}")
    return 0


# --- end records ---


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    from rag_council.index.check import run_check

    return run_check(settings.with_index(args.index), repair=args.repair)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from rag_council_app import serve

    settings = settings.with_index(args.index)
    serve(settings, host=args.host, port=args.port)
    return 0


def cmd_config(args: argparse.Namespace, settings: Settings) -> int:
    from rag_council.settings import config_path, describe

    rows = describe(settings, args.config)
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return 0
    path, _ = config_path(args.config)
    print(
        f"Settings in force (TOML file: {path if path.is_file() else 'none'}; RAG_COUNCIL_* variables win):"
    )
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        print(f"  {r['name']:<{width}} = {json.dumps(r['value'], ensure_ascii=False)}  [{r['source']}]")
        print(f"  {'':<{width}}   {r['description']}")
    return 0


def cmd_api(args: argparse.Namespace, settings: Settings) -> int:
    from rag_council_app import serve

    settings = settings.with_index(args.index)
    serve(settings, host=args.host, port=args.port, api=True)
    return 0


def cmd_mcp(args: argparse.Namespace, settings: Settings) -> int:
    from rag_council_app.mcp_server import run

    run(settings.with_index(args.index), http=args.http, host=args.host, port=args.port)
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from rag_council.evaluate.command import run

    return run(args, settings)


_COMMANDS = {
    "ingest": cmd_ingest,
    "ask": cmd_ask,
    "documents": cmd_documents,
    "records": cmd_records,
    "timeline": cmd_timeline,
    "check": cmd_check,
    "serve": cmd_serve,
    "config": cmd_config,
    "api": cmd_api,
    "mcp": cmd_mcp,
    "eval": cmd_eval,
}

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
