"""Real servers for the integration tests, each a child process on a loopback port that is
stopped (by its pid) when the test is done: `rag-council api`, and a llama.cpp server (the
xllamacpp wheel's own HTTP server) with the bundled GGUF."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]

LLAMA_SERVER = """
import signal, sys, threading, xllamacpp
from rag_council.answer.model import resolve_model_path
from rag_council.settings import LocalLLMSettings
s = LocalLLMSettings()
p = xllamacpp.CommonParams()
p.model.path = str(resolve_model_path(s.model_path, s.model, s.cache_dir, progress=False))
p.n_ctx = 4096
p.n_parallel = 1
p.warmup = False
p.verbosity = -1
p.cpuparams.n_threads = 2
p.cpuparams_batch.n_threads = 2
p.sampling.temp = 0.0
p.sampling.top_k = 1
p.hostnames = ["127.0.0.1"]
p.port = int(sys.argv[1])
server = xllamacpp.Server(p)
print("listening", server.listening_address, flush=True)
done = threading.Event()
signal.signal(signal.SIGTERM, lambda *a: done.set())
done.wait()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_COUNCIL_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "app"), env.get("PYTHONPATH", "")])
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    env.update(extra)
    return env


@contextmanager
def child(
    args: list[str],
    ready_url: str,
    env: dict[str, str],
    timeout_s: float = 240,
    ready_status: int | None = 200,
) -> Iterator[subprocess.Popen]:
    """Start `args`, wait until `ready_url` answers `ready_status` (None: anything), yield, then
    stop it (SIGTERM, then SIGKILL)."""
    log = tempfile.NamedTemporaryFile("w+", prefix="rag-council-child-", suffix=".log", delete=False)  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"{args[:4]} exited with {proc.returncode}:\n{Path(log.name).read_text()[-3000:]}"
                )
            try:
                status = httpx.get(ready_url, timeout=2).status_code
                if ready_status is None or status == ready_status:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{args[:4]} not ready after {timeout_s} s:\n{Path(log.name).read_text()[-3000:]}"
                )
            time.sleep(0.5)
        yield proc
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(5)
        log.close()
        Path(log.name).unlink(missing_ok=True)


@contextmanager
def rag_council_api(index_root: Path, index: str, **env: str) -> Iterator[str]:
    """`rag-council api --index INDEX` on a free loopback port; yields its base URL."""
    port = free_port()
    args = [sys.executable, "-m", "rag_council.cli", "api", "--index", index, "--port", str(port)]
    with child(
        args, f"http://127.0.0.1:{port}/healthz", child_env(RAG_COUNCIL_INDEX_ROOT=str(index_root), **env)
    ):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def llama_server() -> Iterator[str]:
    """llama.cpp's server (from the xllamacpp wheel) with the bundled GGUF; yields its /v1 URL."""
    port = free_port()
    with child(
        [sys.executable, "-c", LLAMA_SERVER, str(port)], f"http://127.0.0.1:{port}/health", child_env()
    ):
        yield f"http://127.0.0.1:{port}/v1"


@contextmanager
def app_in_thread(server: object, settings: object) -> Iterator[str]:
    """A built server (rag_council_app.build_server) run by uvicorn as `serve()` runs it
    (rag_council_app.main.uvicorn_config), in a thread on a free loopback port; yields its URL."""
    import threading

    import uvicorn
    from rag_council_app.main import uvicorn_config

    port = free_port()
    running = uvicorn.Server(uvicorn_config(server, settings, "127.0.0.1", port))
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.05)
    if not running.started:
        raise RuntimeError("the app did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        running.should_exit = True
        thread.join(timeout=15)
