"""The HTTP API (under /v1, OpenAPI docs at /docs), on the same FastAPI server as the chat app.

* `POST /v1/chat/completions`: OpenAI-compatible, streaming (server-sent events) or not. The
  model is the index name ("rag-council" is the default index). The last user message is the
  question; the earlier user messages are the conversation, so a follow-up ("and in 2018?") is
  rewritten to stand alone first. Optional extra fields: `filters` {committee, doc_type, since,
  until} and `generator` (extractive, local, openai). The message content is the checked answer
  with its [n] markers. The sources travel in the extra field `rag_council` of the response:
  the answer's JSON (`Answer.to_json()`: citations with their exact quotes, the checked claims,
  the retrieved passages, timings) plus `read_as`, the standalone question that was asked. When
  streaming, the content arrives in deltas and the last chunk before `data: [DONE]` carries
  `finish_reason` and `rag_council`. The model's unchecked draft is never streamed: a sentence
  that fails the check would already be on the client's screen. For a front end that shows only
  the content, ask for model "rag-council:sources" (or send `sources_in_content: true`): the
  content then ends with the numbered sources and their quotes.
* `POST /v1/retrieve`: passages with labels and scores; `GET /v1/passages/{chunk_id}`.
* `GET /v1/documents`, `POST /v1/ingest` (multipart files, the app's upload checks and limit),
  `DELETE /v1/documents/{doc_id}`.
* `GET /v1/records`: the council's records (meetings, decisions) once the index keeps them.
* `GET /healthz`.

Errors are JSON in OpenAI's shape, {"error": {"message", "type", "param", "code"}}, with the
same one-line message and fix as the CLI."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, File, HTTPException, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from rag_council import Answer, Engine, Filters, Hit
from rag_council.errors import (
    ConfigError,
    GeneratorError,
    IndexMismatchError,
    IndexNotFoundError,
    LoaderError,
    QuestionError,
    RagCouncilError,
    StoreError,
)

from .context import AppContext
from .library import accept_uploads

DEFAULT_MODEL = "rag-council"
SOURCES_SUFFIX = ":sources"  # a model name ending so: the sources are written into the content too
EXTRA = "rag_council"  # the extra field of a chat completion that carries the sources


class FiltersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    committee: str | None = Field(None, description="only this committee, e.g. 'Cabinet'")
    doc_type: str | None = Field(None, description="only this kind of document, e.g. 'minutes'")
    since: dt.date | None = Field(None, description="only meetings on or after this date")
    until: dt.date | None = Field(None, description="only meetings on or before this date")

    def filters(self) -> Filters:
        return Filters(committee=self.committee, doc_type=self.doc_type, since=self.since, until=self.until)


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):  # OpenAI's content parts: keep the text ones
            return " ".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    # OpenAI's other fields (temperature, max_tokens, ...) are accepted and ignored: the
    # answer is written and checked by rag-council's own settings.
    model_config = ConfigDict(extra="allow")
    model: str = DEFAULT_MODEL
    messages: list[Message]
    stream: bool = False
    filters: FiltersIn | None = None
    generator: str | None = Field(None, description="extractive, local or openai (default: the server's)")
    top_k: int | None = Field(None, ge=1, le=50)
    sources_in_content: bool | None = Field(
        None,
        description="end the content with the numbered sources (default: when the model ends in ':sources')",
    )


class RetrieveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    query: str = Field(min_length=1)
    top_k: int | None = Field(None, ge=1, le=50)
    filters: FiltersIn | None = None


def passage_json(hit: Hit) -> dict[str, Any]:
    c = hit.chunk
    return {
        "rank": hit.rank,
        "chunk_id": c.chunk_id,
        "doc_id": c.doc_id,
        "document": c.document,
        "label": c.label,
        "title": c.title,
        "section": c.section or None,
        "date": c.date,
        "page": c.page,
        "score": round(float(hit.score), 6),
        "dense_score": None if hit.dense is None else round(float(hit.dense), 6),
        "keyword_score": None if hit.keyword is None else round(float(hit.keyword), 6),
        "text": c.text,
    }


def document_json(record: Any) -> dict[str, Any]:
    return {
        "doc_id": record.doc_id,
        "name": record.name,
        "title": record.title,
        "format": record.format,
        "pages": record.pages,
        "chunks": len(record.chunk_ids),
        "meta": {k: v for k, v in record.meta.items() if k != "page_breaks"},
        "warnings": list(record.warnings),
        "ingested": record.ingested,
        "source_url": f"/source/{record.doc_id}",
    }


def status_of(exc: RagCouncilError) -> int:
    if isinstance(exc, IndexNotFoundError):
        return 404
    if isinstance(exc, LoaderError):
        return 422
    if isinstance(exc, StoreError):
        return 503
    if isinstance(exc, GeneratorError):
        return 502  # the answer's writer (a model server, the local model) failed
    if isinstance(exc, IndexMismatchError):
        return 409
    if isinstance(exc, ConfigError | QuestionError):
        return 400
    return 500


def error_body(status: int, message: str, kind: str, param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": param, "code": status}}


def conversation(messages: list[Message]) -> tuple[list[str], str]:
    """(earlier user questions, the last user message)."""
    asked = [m.text().strip() for m in messages if m.role == "user" and m.text().strip()]
    if not asked:
        raise QuestionError(
            "The request has no user message.", "Send the question as a message with role 'user'."
        )
    return asked[:-1], asked[-1]


def add_api_routes(server: FastAPI, ctx: AppContext) -> None:
    engine = ctx.engine

    @server.exception_handler(RagCouncilError)
    async def rag_council_error(request: Request, exc: RagCouncilError) -> JSONResponse:
        status = status_of(exc)
        return JSONResponse(error_body(status, str(exc), type(exc).__name__), status_code=status)

    @server.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        message = f"Bad request: {where + ': ' if where else ''}{first.get('msg')}. See /docs for the request schema."
        return JSONResponse(error_body(400, message, "invalid_request_error", where or None), status_code=400)

    @server.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kinds = {401: "unauthorized", 404: "not_found", 413: "too_large", 501: "not_implemented"}
        return JSONResponse(
            error_body(exc.status_code, str(exc.detail), kinds.get(exc.status_code, "error")),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @server.get("/healthz", tags=["service"])
    def healthz() -> dict[str, Any]:
        """Liveness: the open index and what it holds (needs no login)."""
        return {
            "status": "ok",
            "index": engine.index.name,
            "documents": len(engine.index.records()),
            "chunks": engine.index.count(),
            "generator": engine.generator.name,
        }

    def check_model(model: str) -> None:
        model = model.removesuffix(SOURCES_SUFFIX)
        if model not in (DEFAULT_MODEL, engine.index.name):
            raise HTTPException(
                404,
                f"No model '{model}' here: this server answers from the index '{engine.index.name}'. "
                f"Use model '{DEFAULT_MODEL}' (or '{engine.index.name}'); GET /v1/models lists them.",
            )

    @server.get("/v1/models", tags=["chat"])
    def models() -> dict[str, Any]:
        """The models an OpenAI client can name: the default and the open index."""
        names = dict.fromkeys([DEFAULT_MODEL, engine.index.name, DEFAULT_MODEL + SOURCES_SUFFIX])
        return {
            "object": "list",
            "data": [{"id": n, "object": "model", "created": 0, "owned_by": "rag-council"} for n in names],
        }

    @server.post("/v1/chat/completions", tags=["chat"])
    def chat_completions(body: ChatRequest) -> Any:
        """An OpenAI chat completion whose content is the checked, cited answer; the sources are in
        the extra field `rag_council` (and in the last streamed chunk before [DONE])."""
        check_model(body.model)
        history, last = conversation(body.messages)
        answering = ctx.engine_for(body.generator)
        filters = body.filters.filters() if body.filters else None
        question = answering.standalone(history, last) if history else last
        completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        created = int(time.time())
        with_sources = (
            body.sources_in_content
            if body.sources_in_content is not None
            else body.model.endswith(SOURCES_SUFFIX)
        )
        if not body.stream:
            answer = answering.ask(question, filters, top_k=body.top_k)
            return {
                "id": completion_id,
                "object": "chat.completion",
                "created": created,
                "model": body.model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content(answer, with_sources)},
                        "finish_reason": "stop",
                    }
                ],
                "usage": usage(answer),
                EXTRA: extra(answer, question),
            }
        return StreamingResponse(
            stream_events(
                answering, question, filters, body.top_k, completion_id, created, body.model, with_sources
            ),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @server.post("/v1/retrieve", tags=["search"])
    def retrieve(body: RetrieveRequest) -> dict[str, Any]:
        """The passages the retriever ranks highest for a query, with labels and scores."""
        filters = body.filters.filters() if body.filters else None
        k = body.top_k or ctx.settings.retrieval.top_k
        q = " ".join(body.query.split())
        hits = engine.retriever.retrieve(q, k, filters)
        return {
            "query": q,
            "understood": engine.understood(q, filters),
            "passages": [passage_json(h) for h in hits],
        }

    @server.get("/v1/passages/{chunk_id}", tags=["search"])
    def passage(chunk_id: str) -> dict[str, Any]:
        """One passage by its chunk id: text, label, document, page."""
        found = engine.index.chunks([chunk_id])
        if not found:
            raise HTTPException(404, f"No passage '{chunk_id}' in the index. Take ids from /v1/retrieve.")
        return passage_json(Hit(found[0], 0.0, 0))

    @server.get("/v1/documents", tags=["documents"])
    def documents() -> dict[str, Any]:
        """The indexed documents with their metadata and ingestion warnings."""
        return {"index": engine.index.name, "documents": [document_json(r) for r in engine.index.records()]}

    @server.get("/v1/records", tags=["documents"])
    def records(
        kind: str | None = Query(
            None, description="meeting, attendance, item, recommendation, question, document"
        ),
        committee: str | None = None,
        since: dt.date | None = None,
        until: dt.date | None = None,
        limit: int = Query(100, ge=1, le=1000),
    ) -> dict[str, Any]:
        """The council's records (meetings, attendance, items with their resolutions,
        recommendations, public questions, document details), each field an exact span of its
        document. 501 until this rag-council keeps a records store."""
        store = records_store(engine)
        if store is None:
            raise HTTPException(
                501,
                "This rag-council keeps no records store yet (meetings, decisions as records). "
                "Use /v1/retrieve and /v1/documents, or upgrade rag-council and re-ingest.",
            )
        found = store.list(kind=kind or None, committee=committee or None)
        lo, hi = (since.isoformat() if since else ""), (until.isoformat() if until else "9999")
        dated = [r for r in found if not (since or until) or (r.date and lo <= r.date <= hi)]
        return {
            "index": engine.index.name,
            "total": len(dated),
            "records": [to_plain(r) for r in dated[:limit]],
        }

    @server.post("/v1/ingest", tags=["documents"])
    async def ingest(files: list[UploadFile] = File(...)) -> dict[str, Any]:  # noqa: B008
        """Add files (PDF, text, Markdown, HTML) to the open index, with the app's checks and upload
        limit (app.max_upload_mb). Files that fail a check are listed in `rejected`."""
        limit = ctx.settings.app.max_upload_mb * 1e6
        tmp = Path(tempfile.mkdtemp(prefix="rag-council-upload-"))
        try:
            received: list[tuple[Path, str]] = []
            rejected: list[dict[str, str]] = []
            for i, upload in enumerate(files):
                name = Path(upload.filename or f"upload-{i}").name
                target = tmp / f"{i}-{name}"
                size = 0
                with target.open("wb") as out:
                    while chunk := await upload.read(1 << 20):
                        size += len(chunk)
                        if size > limit:
                            break
                        out.write(chunk)
                if size > limit:
                    rejected.append(
                        {"file": name, "reason": f"the file is over the upload limit of {limit / 1e6:g} MB"}
                    )
                    target.unlink(missing_ok=True)
                    continue
                received.append((target, name))
            from starlette.concurrency import run_in_threadpool

            report, problems = await run_in_threadpool(accept_uploads, ctx, received)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        rejected += [{"file": name, "reason": reason} for name, reason in problems]
        return {
            "index": engine.index.name,
            "added": (report.added + report.replaced) if report else [],
            "unchanged": report.unchanged if report else [],
            "rejected": rejected,
            "warnings": report.warnings if report else {},
            "documents": len(engine.index.records()),
        }

    @server.delete("/v1/documents/{doc_id}", tags=["documents"])
    def delete_document(doc_id: str) -> dict[str, Any]:
        """Remove a document (its passages and its copy of the text) from the index."""
        record = next((r for r in engine.index.records() if r.doc_id == doc_id), None)
        if record is None:
            raise HTTPException(404, f"No document '{doc_id}' in the index. GET /v1/documents lists them.")
        with ctx.ingest_lock:
            removed = engine.index.remove([record.name])
        return {"removed": removed, "doc_id": doc_id, "documents": len(engine.index.records())}


def records_store(engine: Engine) -> Any:
    """The index's records store (rag_council.index.records, from the records issue), or None
    where this rag-council has none. `Index.records()` is the document manifest, not this."""
    try:
        from rag_council.index.records import RecordStore  # type: ignore[import-not-found]
    except ImportError:
        return None
    return RecordStore.at(engine.index.directory)


def to_plain(value: Any) -> Any:
    to_json = getattr(value, "to_json", None)
    if callable(to_json):
        return to_json()
    if hasattr(value, "__dataclass_fields__"):
        from dataclasses import asdict

        return asdict(value)
    return value


def content(answer: Answer, with_sources: bool) -> str:
    """The message content: the answer, and with `with_sources` its sources in plain Markdown."""
    if not with_sources:
        return answer.text
    lines = [answer.text, ""]
    if answer.citations:
        lines.append("Sources:")
        for c in answer.citations:
            quote = " ".join(c.quote.split())
            lines.append(f"[{c.marker}] {c.chunk.label} ({c.chunk.document}): “{quote}”")
    elif answer.retrieved:
        lines.append("Nearest sources:")
        lines += [f"- {h.chunk.label} ({h.chunk.document})" for h in answer.retrieved[:3]]
    return "\n".join(lines).rstrip()


def extra(answer: Answer, question: str) -> dict[str, Any]:
    """The `rag_council` field: the answer's JSON and the question as it was read."""
    return answer.to_json() | {"read_as": question}


def usage(answer: Answer) -> dict[str, int]:
    """Token counts where the model reported them (0 for the extractive answerer)."""
    prompt = int(answer.timings.get("llm_prompt_tokens", 0))
    completion = int(answer.timings.get("llm_generated_tokens", 0))
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _event(data: Any) -> str:
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


def deltas(text: str, size: int = 6) -> Iterator[str]:
    """The answer in pieces of a few words each (whitespace kept, so they join back exactly)."""
    words = text.split(" ")
    for i in range(0, len(words), size):
        piece = " ".join(words[i : i + size])
        yield piece if i + size >= len(words) else piece + " "


def stream_events(
    engine: Engine,
    question: str,
    filters: Filters | None,
    top_k: int | None,
    completion_id: str,
    created: int,
    model: str,
    with_sources: bool = False,
) -> Iterator[str]:
    def chunk(delta: dict[str, Any], finish: Literal["stop"] | None = None, **more: Any) -> str:
        return _event(
            {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            | more
        )

    yield chunk({"role": "assistant", "content": ""})
    final: Answer | None = None
    try:
        for partial in engine.stream(question, filters, top_k):
            final = partial
            if partial.notice == "partial":
                yield ": writing\n\n"  # an SSE comment: keeps the connection alive, clients ignore it
    except RagCouncilError as exc:
        yield _event(error_body(status_of(exc), str(exc), type(exc).__name__))
        yield "data: [DONE]\n\n"
        return
    except Exception as exc:  # the response has started: say what broke instead of cutting it off
        message = (
            f"The answer failed: {type(exc).__name__}: {exc}. This is a bug; the server log has the details."
        )
        yield _event(error_body(500, message, "internal_error"))
        yield "data: [DONE]\n\n"
        raise
    assert final is not None
    for piece in deltas(content(final, with_sources)):
        yield chunk({"content": piece})
    yield chunk({}, "stop", usage=usage(final), **{EXTRA: extra(final, question)})
    yield "data: [DONE]\n\n"
