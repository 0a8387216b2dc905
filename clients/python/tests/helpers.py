"""Test helpers: real `backtest serve` processes on OS-picked ports, and small local fakes.

BACKTEST_BIN names the `backtest` binary (default: the repository's .build/release/backtest).
Every server gets its own SQLite file and stops with SIGTERM. Only 127.0.0.1 is used.
"""

from __future__ import annotations

import http.server
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent.parent.parent
SAMPLE = REPO / "Sources" / "MarketData" / "Resources" / "sample"
YEAR = ("2020-01-01", "2020-12-31")
BUNDLED = ["AAPL", "AMZN", "GOOG", "META", "MSFT", "NFLX", "NVDA"]


def backtest_binary() -> str:
    path = os.environ.get("BACKTEST_BIN") or str(REPO / ".build" / "release" / "backtest")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"no backtest binary at {path}: build it or set BACKTEST_BIN")
    return os.path.realpath(path)


class Server:
    """A running `backtest serve`; ``url`` is what its first line announced."""

    def __init__(self, process: subprocess.Popen[bytes], url: str, log: Path) -> None:
        self.process = process
        self.url = url
        self.log = log
        self.port = int(url.rsplit(":", 1)[1])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()


def start_server(directory: Path, *args: str, env: dict[str, str] | None = None) -> Server:
    directory.mkdir(parents=True, exist_ok=True)
    log = directory / "server.log"
    command = [backtest_binary(), "serve", "--port", "0", "--db", str(directory / "backtest.sqlite"), *args]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=open(log, "wb"),  # noqa: SIM115 (closed with the process)
        stdin=subprocess.DEVNULL,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("BACKTEST_")}, **(env or {})},
    )
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 30)
    line = process.stdout.readline().decode().strip() if ready else ""
    if not line.startswith("listening on "):
        process.kill()
        process.wait()
        pytest.fail(f"backtest serve did not start ({line!r}); log:\n{log.read_text(errors='replace')}")
    return Server(process, line.split("listening on ", 1)[1], log)


def googl_data_dir(directory: Path) -> Path:
    """A --data-dir holding GOOGL.csv (the bundled GOOG series under the old script's name)."""
    directory.mkdir(parents=True, exist_ok=True)
    source = SAMPLE / "GOOG.csv"
    if source.exists():
        shutil.copy(source, directory / "GOOGL.csv")
    else:  # outside the repository: a synthetic series
        lines = ["Date,Open,High,Low,Close,Volume"]
        price = 100.0
        day = time.mktime((2019, 1, 1, 12, 0, 0, 0, 0, -1))
        for i in range(900):
            t = time.localtime(day + i * 86400)
            if t.tm_wday >= 5:
                continue
            price *= 1.0 + 0.02 * ((i * 7919) % 13 - 6) / 6
            lines.append(f"{time.strftime('%Y-%m-%d', t)},{price},{price * 1.01},{price * 0.99},{price},1000")
        (directory / "GOOGL.csv").write_text("\n".join(lines) + "\n")
    return directory


def free_port() -> int:
    """A port with nothing listening (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Sleeps:
    """An injectable sleep that records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class FullBacklogListener:
    """A listener on 127.0.0.1 that never accepts, its backlog of 0 filled, so a new
    connection attempt gets no answer (a connect timeout) instead of a refusal."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(0)
        self.port = int(self.socket.getsockname()[1])
        self.fillers: list[socket.socket] = []
        for _ in range(4):
            c = socket.socket()
            c.setblocking(False)
            c.connect_ex(("127.0.0.1", self.port))
            self.fillers.append(c)
        time.sleep(0.2)

    def close(self) -> None:
        for c in self.fillers:
            c.close()
        self.socket.close()


class FakeServer:
    """A small HTTP/1.1 server on port 0 that answers from a script, then proxies to
    ``upstream``. ``script`` items: ``(status, headers, body)`` or ``"hang"`` (never answer).
    ``requests`` records ``(method, path)`` of every request."""

    def __init__(self, upstream: str | None = None) -> None:
        self.upstream = upstream
        self.script: list[Any] = []
        self.overrides: dict[str, Any] = {}  # path suffix -> step, before the script
        self.connections = 0
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.release = threading.Event()
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                with fake.lock:
                    fake.connections += 1

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with fake.lock:
                    fake.requests.append((self.command, self.path))
                    override = [v for k, v in fake.overrides.items() if self.path.endswith(k)]
                    step = override[0] if override else fake.script.pop(0) if fake.script else None
                if step == "hang":
                    fake.release.wait(30)
                    self.close_connection = True
                    return
                if step is None:
                    status, headers, reply = fake.proxy(self.command, self.path, body, dict(self.headers))
                else:
                    status, headers, reply = step
                    if isinstance(reply, (dict, list)):
                        reply = json.dumps(reply).encode()
                        headers = {"Content-Type": "application/json", **headers}
                self.send_response(status)
                for k, v in headers.items():
                    if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def proxy(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        import urllib.error
        import urllib.request

        if self.upstream is None:
            return 404, {}, b"no upstream"
        keep = {k: v for k, v in headers.items() if k.lower() in ("content-type", "accept", "authorization")}
        request = urllib.request.Request(self.upstream + path, data=body or None, method=method, headers=keep)
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def count(self, path: str) -> int:
        with self.lock:
            return sum(1 for _, p in self.requests if p == path)

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def problem(status: int, code: str, detail: str = "test") -> dict[str, Any]:
    return {
        "type": f"https://backtest.dev/problems/{code}",
        "title": code.replace("_", " "),
        "status": status,
        "detail": detail,
    }


def write_script(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o755)
    return path


PYTHON = sys.executable
