"""An in-process llama.cpp model (through the `xllamacpp` wheel) as a Generator.

Why xllamacpp: it is a prebuilt wheel (no compiler, installs in seconds) and its llama.cpp
build picks AVX2/FMA kernels at run time. llama-cpp-python built from source for the host CPU
reads prompts faster but takes minutes to compile; see evals/generators/README.md.

The model is loaded on first use (a second or two for the 1.1 GB default) and then kept.
One generation runs at a time; others wait for the lock."""

from __future__ import annotations

import importlib.util
import os
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag_council.answer.base import GenerationResult, Generator, declines
from rag_council.answer.model import DEFAULT_MODEL, MODELS, resolve_model_path
from rag_council.answer.prompt import messages
from rag_council.errors import ConfigError, GeneratorError
from rag_council.types import Hit

if TYPE_CHECKING:  # pragma: no cover
    from rag_council.settings import LocalLLMSettings

_DONE = object()


def runtime_available() -> str | None:
    """None when xllamacpp imports and runs on this CPU, else why not."""
    try:
        import xllamacpp
    except ImportError:
        return "xllamacpp is not installed (pip install -e '.[local]', or make install)"
    except OSError as exc:  # a wheel built for another platform
        return f"xllamacpp does not load here: {exc}"
    try:
        info = xllamacpp.get_system_info()
    except Exception as exc:  # pragma: no cover
        return f"xllamacpp does not run here: {exc}"
    return None if "CPU" in info else f"xllamacpp reports no CPU backend: {info[:80]}"


def problem(settings: LocalLLMSettings) -> str | None:
    """None when the local generator can run (runtime importable, model file or parts present),
    else why not. Cheap: nothing is loaded."""
    reason = runtime_available()
    if reason:
        return reason
    if settings.model_path:
        path = Path(settings.model_path).expanduser()
        return None if path.is_file() else f"no model file at {settings.model_path}"
    model = MODELS[settings.model or DEFAULT_MODEL]
    missing = [m for m in model.modules() if importlib.util.find_spec(m) is None]
    return f"the model packages are not installed ({missing[0]} ...)" if missing else None


def _threads(value: int) -> int:
    return value if value > 0 else max(1, min(os.cpu_count() or 2, 8))


class LocalGenerator(Generator):
    name = "local"
    description = "an in-process llama.cpp model (xllamacpp) on a GGUF file"

    def __init__(self, settings: LocalLLMSettings, *, progress: bool = True) -> None:
        self.settings = settings
        self.progress = progress
        self._server: Any = None
        self._lock = threading.Lock()
        self.model_path: str | None = None

    def load(self) -> Any:
        if self._server is not None:
            return self._server
        problem = runtime_available()
        if problem:
            raise ConfigError(f"The local generator cannot run: {problem}.", "Or use --generator extractive.")
        import xllamacpp

        s = self.settings
        path = resolve_model_path(s.model_path, s.model, s.cache_dir, progress=self.progress)
        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.n_ctx = s.n_ctx
        params.n_batch = 512
        params.n_ubatch = 512
        params.n_parallel = 1
        params.n_predict = s.max_tokens
        params.cpuparams.n_threads = _threads(s.threads)
        params.cpuparams_batch.n_threads = _threads(s.threads)
        params.warmup = False
        params.verbosity = -1  # llama.cpp logs only errors
        params.cache_prompt = True  # the rules and labels repeat: their KV is reused
        params.sampling.temp = 0.0
        params.sampling.top_k = 1
        self._server = xllamacpp.Server(params)
        self.model_path = str(path)
        return self._server

    def request(self, question: str, passages: list[Hit]) -> dict[str, Any]:
        s = self.settings
        return {
            "messages": messages(question, passages[: s.max_passages], s.passage_chars),
            "max_tokens": s.max_tokens,
            "temperature": 0.0,
            "top_k": 1,
            "stream": True,
            "timings_per_token": False,
        }

    def write(self, question: str, passages: list[Hit], result: GenerationResult) -> Iterator[str]:
        server = self.load()
        req = self.request(question, passages)
        out: queue.Queue[Any] = queue.Queue()
        stop = threading.Event()
        timings: dict[str, float] = {}

        def on_chunk(chunk: Any) -> bool:
            if isinstance(chunk, dict):
                if "error" in chunk or chunk.get("code", 200) >= 400:
                    out.put(RuntimeError(str(chunk.get("error") or chunk.get("message") or chunk)))
                    return True
                for choice in chunk.get("choices") or []:
                    piece = (choice.get("delta") or {}).get("content")
                    if piece:
                        out.put(piece)
                if isinstance(chunk.get("timings"), dict):
                    timings.update(chunk["timings"])
            return stop.is_set()  # True stops the generation

        def run() -> None:
            try:
                server.handle_chat_completions(req, on_chunk)
            except Exception as exc:  # surfaced to the caller
                out.put(exc)
            finally:
                out.put(_DONE)

        with self._lock:
            started = time.perf_counter()
            first: float | None = None
            parts: list[str] = []
            worker = threading.Thread(target=run, name="rag-council-llm", daemon=True)
            worker.start()
            try:
                while True:
                    item = out.get()
                    if item is _DONE:
                        break
                    if isinstance(item, Exception):
                        raise GeneratorError(f"The local model failed: {item}.")
                    if first is None:
                        first = time.perf_counter() - started
                    parts.append(item)
                    yield item
            finally:
                stop.set()
                worker.join()
                result.timings.update(
                    {
                        "first_token_s": first or 0.0,
                        "total_s": time.perf_counter() - started,
                        "prompt_tokens": float(timings.get("prompt_n", 0)),
                        "prompt_tok_s": float(timings.get("prompt_per_second", 0.0)),
                        "generated_tokens": float(timings.get("predicted_n", 0)),
                        "gen_tok_s": float(timings.get("predicted_per_second", 0.0)),
                    }
                )
        text = "".join(parts)
        result.raw = text
        if not text.strip() or declines(text):
            result.outcome, result.reason = "declined", "the model declined"

    def complete(self, prompt: str) -> str:
        """A plain completion (for LLMSupportChecker)."""
        server = self.load()
        with self._lock:
            reply = server.handle_chat_completions(
                {"messages": [{"role": "user", "content": prompt}], "max_tokens": 48, "temperature": 0.0}
            )
        try:
            return reply["choices"][0]["message"]["content"] or ""
        except (KeyError, IndexError, TypeError):
            raise GeneratorError(f"The local model failed: {str(reply)[:200]}.") from None
