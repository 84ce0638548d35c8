"""Load: N concurrent users asking questions through the server's real HTTP interfaces, on
loopback only, with a bounded number of users, questions and seconds:

* `--route gradio`: the chat app's Gradio API that the browser uses (`/respond`, via gradio_client:
  queue, SSE stream);
* `--route api`: the HTTP API's `POST /v1/chat/completions` (OpenAI-compatible, not streamed), one
  httpx client per user;
* `--route both`: one after the other, each on a server of its own (started fresh, so neither
  finds the other's answers in the query-time embedding cache).

Prints per level: p50/p95/max latency, throughput, errors, the server's CPU seconds (all its
threads, from /proc) and this load generator's own, and the load average.

    .venv/bin/python bench/load.py [--route gradio|api|both] [--index default] [--users 1,4,16,64]
                                   [--questions 2] [--url http://127.0.0.1:PORT/]
                                   [--profile-users 16 --profile OUT]

Without --url it starts `rag-council serve` (the app and the API on one port) on a free loopback
port (the settings' index and answerer; RAG_COUNCIL_INDEX_ROOT picks the index root) and stops it
at the end. With --profile, py-spy (PATH or --py-spy) samples the server, all threads, while the
--profile-users level runs, and writes a flame graph (OUT-ROUTE.svg) and raw stacks (OUT-ROUTE.raw).

Questions are the gold questions (evals/gold.jsonl): each level asks its own slice (no question
is asked twice on one server), each user its own part of it, in order. Asserts nothing; the
figures go to bench/README.md ("Load")."""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MAX_USERS = 128
MAX_QUESTIONS = 10


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def loopback_only(url: str) -> str:
    host = urllib.parse.urlparse(url).hostname or ""
    try:
        ok = ipaddress.ip_address(socket.gethostbyname(host)).is_loopback
    except (OSError, ValueError):
        ok = False
    if not ok:
        raise SystemExit(
            f"bench/load.py: {url} is not a loopback address; this benchmark only loads this machine."
        )
    return url


def gold_questions(path: Path) -> list[str]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            out.append(json.loads(line)["question"])
    return out


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process (all its threads), from /proc; None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def self_cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(index: str, port: int, log: Path) -> subprocess.Popen:
    env = dict(os.environ)
    env.setdefault("PYTHONPATH", f"{ROOT}{os.pathsep}{ROOT / 'app'}")
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rag_council.cli",
            "serve",
            "--index",
            index,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server stopped: see {log}")
        try:
            with urllib.request.urlopen(url + "config", timeout=2):
                return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("the server did not start within 300 s")


@dataclass
class Level:
    users: int
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wall: float = 0.0
    connect: list[float] = field(default_factory=list)
    server_cpu: float | None = None
    client_cpu: float = 0.0
    load: tuple[float, float] = (0.0, 0.0)

    def line(self, route: str) -> str:
        n = len(self.latencies)
        rate = n / self.wall if self.wall else 0.0
        server = f"{self.server_cpu:>8.1f}" if self.server_cpu is not None else f"{'-':>8}"
        return (
            f"{route:>6} {self.users:>5} {n + len(self.errors):>8} {len(self.errors):>6} "
            f"{pct(self.latencies, 0.5):>7.2f} {pct(self.latencies, 0.95):>7.2f} "
            f"{(max(self.latencies) if self.latencies else float('nan')):>7.2f} {rate:>9.2f} {self.wall:>7.1f}"
            f" {server} {self.client_cpu:>8.1f}   {self.load[0]:.1f}-{self.load[1]:.1f}"
        )


HEADER = (
    "route  users requests errors     p50     p95     max  answers/s  wall s  srv CPU  gen CPU   load avg"
)


def run_level(
    url: str,
    users: int,
    questions: list[str],
    per_user: int,
    timeout: float,
    budget: float,
    route: str = "gradio",
) -> Level:
    """`users` threads at once, each with a client of its own (a `gradio_client` session on the
    app's /respond, or an httpx client on the API's POST /v1/chat/completions, not streamed),
    asking its own `per_user` questions; an answer is a reply with content."""
    level = Level(users)
    lock = threading.Lock()
    stop_at = time.monotonic() + budget

    if route == "api":
        import httpx

        endpoint = url.rstrip("/") + "/v1/chat/completions"

        def connect() -> Any:
            return httpx.Client(timeout=timeout, trust_env=False)

        def ask(client: Any, question: str) -> str:
            body = {"model": "rag-council", "messages": [{"role": "user", "content": question}]}
            r = client.post(endpoint, json=body)
            if r.status_code != 200:
                raise RuntimeError(f"HTTP {r.status_code}: {r.text[:120]}")
            return r.json()["choices"][0]["message"]["content"]

    else:
        from gradio_client import Client

        def connect() -> Any:
            return Client(url, verbose=False, httpx_kwargs={"timeout": timeout})

        def ask(client: Any, question: str) -> str:
            job = client.submit(message=question, since_="", until_="", api_name="/respond")
            result = job.result(timeout=timeout)
            chat = result[0] if isinstance(result, (list, tuple)) else result
            return chat[-1]["content"] if chat else ""

    def user(i: int) -> None:
        t0 = time.perf_counter()
        try:
            client = connect()
        except Exception as exc:
            with lock:
                level.errors.append(f"connect: {type(exc).__name__}: {str(exc)[:120]}")
            return
        with lock:
            level.connect.append(time.perf_counter() - t0)
        try:
            for j in range(per_user):
                if time.monotonic() > stop_at:
                    with lock:
                        level.errors.append("time budget exhausted before asking")
                    return
                question = questions[(i * per_user + j) % len(questions)]
                t1 = time.perf_counter()
                try:
                    if not ask(client, question):
                        raise RuntimeError("empty reply")
                except Exception as exc:
                    with lock:
                        level.errors.append(f"{type(exc).__name__}: {str(exc)[:120]}")
                    continue
                with lock:
                    level.latencies.append(time.perf_counter() - t1)
        finally:
            close = getattr(client, "close", None)
            if route == "api" and close is not None:
                close()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=users) as pool:
        list(pool.map(user, range(users)))
    level.wall = time.perf_counter() - started
    return level


def profile(py_spy: str, pid: int, stem: str) -> list[subprocess.Popen]:
    common = ["-p", str(pid), "-r", "50", "--nonblocking"]
    return [
        subprocess.Popen(
            [py_spy, "record", *common, "-o", f"{stem}.svg", "--threads", "--idle"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            [py_spy, "record", *common, "-o", f"{stem}.raw", "-f", "raw"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="a running server (loopback only); default: start one per route")
    parser.add_argument("--route", choices=["gradio", "api", "both"], default="gradio")
    parser.add_argument("--index", default="default")
    parser.add_argument("--users", default="1,4,16,64", help="comma-separated concurrent user counts")
    parser.add_argument("--questions", type=int, default=2, help="questions per user (at most 10)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per question")
    parser.add_argument("--budget", type=float, default=600.0, help="seconds per level")
    parser.add_argument("--gold", type=Path, default=ROOT / "evals" / "gold.jsonl")
    parser.add_argument("--profile-users", type=int, help="profile the server during this level")
    parser.add_argument("--profile", type=Path, help="output stem for the profile (.svg, .txt)")
    parser.add_argument("--py-spy", default=shutil.which("py-spy") or "py-spy")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    levels = [int(u) for u in args.users.split(",") if u.strip()]
    if any(u < 1 or u > MAX_USERS for u in levels) or not 1 <= args.questions <= MAX_QUESTIONS:
        raise SystemExit(f"users must be 1..{MAX_USERS}, questions 1..{MAX_QUESTIONS}")
    questions = gold_questions(args.gold)
    need = sum(levels) * args.questions
    if need > len(questions) - 1:
        print(f"note: {need} questions wanted, {len(questions) - 1} gold questions: some are asked twice")
    # Each level its own slice of the questions; the last question is the untimed warm-up.
    slices, at = {}, 0
    for users in levels:
        n = users * args.questions
        slices[users] = [questions[(at + k) % (len(questions) - 1)] for k in range(n)]
        at += n
    routes = ["gradio", "api"] if args.route == "both" else [args.route]
    results = []
    print(
        f"{args.questions} question(s) per user; gold questions from {args.gold.name}; {os.cpu_count()} cores"
    )
    print(HEADER)
    for route in routes:
        server = None
        if args.url:
            url = loopback_only(args.url)
        else:
            port = free_port()
            log = Path(os.environ.get("TMPDIR", "/tmp")) / f"rag-council-load-{port}.log"
            server = start_server(args.index, port, log)
            url = f"http://127.0.0.1:{port}/"
        try:
            # One question first, not counted: models loaded, the route's first request served.
            run_level(url, 1, questions[-1:], 1, args.timeout, args.budget, route)
            for users in levels:
                spies: list[subprocess.Popen] = []
                if args.profile and args.profile_users == users and server is not None:
                    spies = profile(args.py_spy, server.pid, f"{args.profile}-{route}")
                    time.sleep(1.0)
                cpu0 = cpu_seconds(server.pid) if server is not None else None
                me0, load0 = self_cpu(), os.getloadavg()[0]
                level = run_level(url, users, slices[users], args.questions, args.timeout, args.budget, route)
                cpu1 = cpu_seconds(server.pid) if server is not None else None
                level.client_cpu = self_cpu() - me0
                level.server_cpu = cpu1 - cpu0 if cpu0 is not None and cpu1 is not None else None
                level.load = (load0, os.getloadavg()[0])
                for p in spies:
                    p.send_signal(2)
                    p.wait(timeout=60)
                print(level.line(route), flush=True)
                for e in sorted(set(level.errors))[:3]:
                    print(f"      error: {e}")
                results.append(
                    {
                        "route": route,
                        "users": users,
                        "answers": len(level.latencies),
                        "errors": len(level.errors),
                        "p50_s": round(pct(level.latencies, 0.5), 3),
                        "p95_s": round(pct(level.latencies, 0.95), 3),
                        "max_s": round(max(level.latencies), 3) if level.latencies else None,
                        "mean_s": round(statistics.fmean(level.latencies), 3) if level.latencies else None,
                        "answers_per_s": round(len(level.latencies) / level.wall, 3) if level.wall else None,
                        "connect_p50_s": round(pct(level.connect, 0.5), 3) if level.connect else None,
                        "wall_s": round(level.wall, 1),
                        "server_cpu_s": round(level.server_cpu, 1) if level.server_cpu is not None else None,
                        "client_cpu_s": round(level.client_cpu, 1),
                        "load": [round(x, 2) for x in level.load],
                    }
                )
        finally:
            if server is not None:
                server.terminate()
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    server.kill()
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
