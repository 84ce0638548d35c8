"""`rag-council mcp`: the engine for assistants that call tools over MCP (the official `mcp` SDK).

stdio by default (an MCP client starts `rag-council mcp` itself); `--http` serves streamable
HTTP at http://127.0.0.1:PORT/mcp instead, on a loopback address only (it has no login).
Tools:
* `search_records`: the passages that best match a query, narrowed by committee, document type
  and dates;
* `get_passage`: one passage by its chunk id;
* `ask`: a checked answer with its citations, or the decline with the nearest sources;
* `list_documents`: what the index holds.
Like the app, it is an interface over rag_council's Engine and knows nothing of its insides."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rag_council import Engine, Filters, Hit, Settings, open_index
from rag_council.errors import ConfigError, RagCouncilError

from .api import document_json, passage_json
from .main import is_loopback

INSTRUCTIONS = (
    "rag-council answers questions about a local council's records (minutes, reports, agendas, "
    "public questions) from its own index, citing the exact passages. Use `ask` for an answer with "
    "citations; quote its citations, and when it declines (abstained: true) say that the records do "
    "not say. Use `search_records` to find passages, `get_passage` to read one, `list_documents` to "
    "see what is indexed."
)


def _date(value: str | None, what: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(
            f"'{value}' is not a date for {what}.", "Use YYYY-MM-DD, e.g. 2017-06-22."
        ) from None


def _filters(committee: str | None, doc_type: str | None, since: str | None, until: str | None) -> Filters:
    return Filters(
        committee=committee or None,
        doc_type=doc_type or None,
        since=_date(since, "since"),
        until=_date(until, "until"),
    )


def build_mcp(engine: Engine) -> Any:
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError

    server = MCPServer("rag-council", instructions=INSTRUCTIONS, log_level="WARNING")

    def guarded(fn: Any) -> Any:
        """A RagCouncilError becomes a tool error with its one-line message and fix."""
        import functools

        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except RagCouncilError as exc:
                raise ToolError(str(exc)) from None

        return call

    @server.tool(
        description=(
            "Search the council's records for passages matching a query. Optional filters: committee "
            "(e.g. 'Cabinet'), doc_type (e.g. 'minutes', 'report'), since/until (YYYY-MM-DD, meeting "
            "dates, inclusive). Returns {query, understood, passages: [{rank, chunk_id, doc_id, "
            "document, label, title, section, date, page, score, dense_score, keyword_score, text}]}, "
            "best first; pass a chunk_id to get_passage to read it again."
        )
    )
    @guarded
    def search_records(
        query: str,
        committee: str | None = None,
        doc_type: str | None = None,
        since: str | None = None,
        until: str | None = None,
        top_k: int = 5,
    ) -> dict[str, Any]:
        filters = _filters(committee, doc_type, since, until)
        q = " ".join(query.split())
        if not q:
            raise ConfigError("The query is empty.", "Pass a few words to search for.")
        hits = engine.retriever.retrieve(q, max(1, min(top_k, 50)), filters)
        return {
            "query": q,
            "understood": engine.understood(q, filters),
            "passages": [passage_json(h) for h in hits],
        }

    @server.tool(
        description=(
            "Read one passage by its chunk_id (from search_records or ask). Returns {chunk_id, doc_id, "
            "document, label (a citable place such as 'Cabinet minutes, 22 June 2017, item 3, p. 4'), "
            "title, section, date, page, text}."
        )
    )
    @guarded
    def get_passage(chunk_id: str) -> dict[str, Any]:
        found = engine.index.chunks([chunk_id])
        if not found:
            raise ConfigError(f"No passage '{chunk_id}' in the index.", "Take chunk ids from search_records.")
        out = passage_json(Hit(found[0], 0.0, 0))
        for key in ("rank", "score", "dense_score", "keyword_score"):
            out.pop(key)
        return out

    @server.tool(
        description=(
            "Ask a question of the council's records. Returns a checked answer: {answer (text with [n] "
            "markers), abstained, citations: [{marker, chunk_id, document, label, date, page, quote (the "
            "exact words of the passage that support the sentence), text}], claims (each sentence and "
            "whether it was supported), retrieved (the nearest passages), notice}. When the records do "
            "not answer it, abstained is true, the answer says so and `retrieved` lists the nearest "
            "sources. Optional filters as in search_records."
        )
    )
    @guarded
    def ask(
        question: str,
        committee: str | None = None,
        doc_type: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> dict[str, Any]:
        answer = engine.ask(question, _filters(committee, doc_type, since, until))
        out = answer.to_json()
        out["retrieved"] = out["retrieved"][:5]
        return out

    @server.tool(
        description=(
            "List the indexed documents. Returns {index, documents: [{doc_id, name, title, format, "
            "pages, chunks, meta (committee, doc_type, date ...), warnings, ingested}]}."
        )
    )
    @guarded
    def list_documents() -> dict[str, Any]:
        docs = [document_json(r) for r in engine.index.records()]
        for d in docs:
            d.pop("source_url")
        return {"index": engine.index.name, "documents": docs}

    return server


def run(
    settings: Settings,
    *,
    http: bool = False,
    host: str = "127.0.0.1",
    port: int = 8765,
    engine: Engine | None = None,
) -> None:
    if http and not is_loopback(host):
        raise ConfigError(
            f"Refusing to serve MCP over HTTP on {host}: it has no login.",
            "Serve it on 127.0.0.1 (the default), or use stdio (without --http).",
        )
    engine = engine or open_index(settings.index, settings)
    server = build_mcp(engine)
    if http:
        import sys

        print(f"rag-council: MCP (streamable HTTP) on http://{host}:{port}/mcp", file=sys.stderr, flush=True)
        server.run("streamable-http", host=host, port=port)
    else:
        server.run("stdio")
