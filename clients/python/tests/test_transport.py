"""The start-up and the synchronous client's own HTTP/1.1 transport (``_transport``): what
``import backtest_client`` loads, every public name still importable, and the reply framings
and keep-alive manners against a raw-socket fake that writes exactly the bytes a test gives."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator

import pytest

import backtest_client
from backtest_client import BacktestingClient, TransportError
from helpers import PYTHON, YEAR, Sleeps, backtest_binary

# -- start-up --------------------------------------------------------------------------------------

HEAVY = ("httpx", "httpcore", "h11", "anyio", "ssl", "asyncio", "pandas", "numpy", "tqdm", "concurrent.futures")


def loaded_after(code: str) -> list[str]:
    script = f"import sys\n{code}\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([PYTHON, "-c", script], capture_output=True, text=True, check=True).stdout
    return list(eval(out.strip().splitlines()[-1]))


def test_import_loads_no_http_library_no_ssl_and_no_data_library() -> None:
    assert loaded_after("import backtest_client") == []


def test_a_batch_and_a_job_over_http_load_neither_httpx_nor_ssl(server) -> None:
    code = (
        "from backtest_client import BacktestingClient\n"
        f"with BacktestingClient(base_url={server.url!r}, progress_bar=False) as c:\n"
        f"    assert len(c.run_batch_backtests(['AAPL', 'MSFT'] * 30, *{YEAR!r}, parallel=True)) == 60\n"
        "    assert c.run_backtest('AAPL', *" + repr(YEAR) + ")['trades'] == 2\n"
        "    assert c.health()['status'] == 'ok'\n"
        f"    assert [r['ticker'] for r in c.run_job(['AAPL', 'MSFT'], *{YEAR!r})] == ['AAPL', 'MSFT']"
    )
    assert loaded_after(code) == []


def test_every_public_name_is_importable() -> None:
    code = (
        "import backtest_client\n"
        "for name in backtest_client.__all__:\n"
        "    exec(f'from backtest_client import {name}')\n"
        "from backtest_client import *\n"
        "assert AsyncBacktestingClient.__name__ == 'AsyncBacktestingClient'"
    )
    assert "httpx" in loaded_after(code)  # the async client brings httpx when it is asked for
    for name in backtest_client.__all__:
        assert getattr(backtest_client, name) is not None, name


# -- a raw fake -------------------------------------------------------------------------------------

# (connection, request on it, path) -> the reply's bytes; (bytes, CLOSE): then closes; None: closes at once
Reply = Callable[[int, int, str], "bytes | tuple[bytes, str] | None"]
CLOSE = "close"


class RawServer:
    """Answers each request with the bytes ``reply(connection, request, path)`` gives
    (``(bytes, CLOSE)``: then closes the connection; ``None``: closes it without a reply).
    Counts connections."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        self.connections = 0
        self.requests: list[tuple[int, str, str, dict[str, str], bytes]] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn, self.connections), daemon=True).start()

    def _serve(self, conn: socket.socket, number: int) -> None:
        reader = conn.makefile("rb")
        with conn, reader:
            for index in range(1000):
                line = reader.readline()
                if not line:
                    return
                method, path, _ = line.decode().split(" ", 2)
                headers: dict[str, str] = {}
                while (header := reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = header.decode().partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = reader.read(int(headers.get("content-length", 0)))
                self.requests.append((number, method, path, headers, body))
                answer = self.reply(number, index, path)
                if answer is None:
                    return
                if isinstance(answer, tuple):
                    conn.sendall(answer[0])
                    return
                conn.sendall(answer)

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def raw() -> Iterator[Callable[[Reply], RawServer]]:
    servers: list[RawServer] = []

    def make(reply: Reply) -> RawServer:
        servers.append(RawServer(reply))
        return servers[-1]

    yield make
    for s in servers:
        s.close()


HEALTH = json.dumps({"status": "ok", "version": "test"}).encode()


def sized(body: bytes = HEALTH, extra: str = "") -> bytes:
    return (
        f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{extra}Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )


def chunked(body: bytes = HEALTH) -> bytes:
    half = len(body) // 2
    chunks = [body[:half], body[half:]]
    text = b"".join(b"%x;ext=1\r\n%s\r\n" % (len(c), c) for c in chunks)
    return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + text + b"0\r\nX-Trailer: yes\r\n\r\n"


def client(url: str, **kwargs) -> BacktestingClient:
    return BacktestingClient(base_url=url, sleep=Sleeps(), progress_bar=False, **kwargs)


def test_the_request_carries_host_accept_key_and_length(raw) -> None:
    fake = raw(lambda c, i, p: sized(json.dumps({"results": []}).encode()))
    with client(fake.url, api_key="k-123") as c:
        c.run_batch_backtests(["AAPL", "MSFT"], *YEAR)
    _, method, path, headers, body = fake.requests[-1]
    assert (method, path) == ("POST", "/v1/backtests/batch")
    assert headers["host"] == fake.url.split("://")[1]
    assert headers["authorization"] == "Bearer k-123"
    assert headers["accept"] == "application/json"
    assert headers["content-type"] == "application/json"
    assert int(headers["content-length"]) == len(body)
    assert [r["ticker"] for r in json.loads(body)["requests"]] == ["AAPL", "MSFT"]


@pytest.mark.parametrize(
    "framing",
    [
        sized(),
        chunked(),
        b"HTTP/1.1 100 Continue\r\n\r\n" + sized(),
        sized(extra="X-Folded: a\r\n  b\r\n"),
    ],
    ids=["content-length", "chunked", "100-continue", "folded-header"],
)
def test_reply_framings_keep_the_connection(raw, framing: bytes) -> None:
    fake = raw(lambda c, i, p: framing)
    with client(fake.url) as c:
        for _ in range(3):
            assert c.health() == {"status": "ok", "version": "test"}
    assert fake.connections == 1


def test_a_reply_read_to_the_end_of_the_connection_and_connection_close(raw) -> None:
    replies = {0: (b"HTTP/1.1 200 OK\r\n\r\n" + HEALTH, CLOSE), 1: (sized(extra="Connection: close\r\n"), CLOSE)}
    fake = raw(lambda c, i, p: replies[c % 2])
    with client(fake.url) as c:
        for _ in range(4):
            assert c.health()["status"] == "ok"
    assert fake.connections == 4  # neither kind of reply leaves the connection open


def test_an_idle_connection_the_server_closed_is_replaced_without_a_retry(raw) -> None:
    # The server answers the first request of each connection and drops the connection on the
    # second, as a server whose idle timeout passed just as the request was sent.
    fake = raw(lambda c, i, p: sized() if i == 0 else None)
    sleeps = Sleeps()
    with BacktestingClient(base_url=fake.url, sleep=sleeps, retries=0) as c:
        for _ in range(3):
            assert c.health()["status"] == "ok"
    assert sleeps.waits == []
    assert fake.connections == 3


def test_a_reply_cut_short_is_a_closed_connection(raw) -> None:
    fake = raw(lambda c, i, p: (sized()[:-5], CLOSE))
    with client(fake.url, retries=0) as c, pytest.raises(TransportError) as caught:
        c.health()
    assert caught.value.code == "connection_closed"
    assert "the server closed the connection" in caught.value.message


def test_a_reply_that_is_not_http_is_a_closed_connection_with_the_https_hint(raw) -> None:
    fake = raw(lambda c, i, p: (b"\x15\x03\x03\x00\x02\x02\x50", CLOSE))
    with client(fake.url, retries=0) as c, pytest.raises(TransportError, match=r"if it serves HTTPS, use https://"):
        c.health()


def test_a_status_is_read_with_its_retry_after(raw) -> None:
    problem = json.dumps({"type": "https://backtest.dev/problems/overloaded", "title": "busy", "status": 503})
    busy = (
        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\nContent-Type: application/problem+json\r\n"
        f"Content-Length: {len(problem)}\r\n\r\n{problem}"
    ).encode()
    fake = raw(lambda c, i, p: busy if i == 0 else sized())
    sleeps = Sleeps()
    with BacktestingClient(base_url=fake.url, sleep=sleeps) as c:
        assert c.health()["status"] == "ok"
    assert sleeps.waits == [7.0]
    assert fake.connections == 1


def test_debug_lines_reach_logging_once_it_is_configured(raw, caplog: pytest.LogCaptureFixture) -> None:
    # The package does not import logging; its debug lines go to logging once something has.
    fake = raw(lambda c, i, p: sized(json.dumps({"results": []}).encode()))
    with caplog.at_level("DEBUG", logger="backtest_client"), client(fake.url) as c:
        c.run_batch_backtests(["AAPL", "MSFT"], *YEAR)
    records = [r for r in caplog.records if r.name == "backtest_client" and r.getMessage().startswith("batch of 2")]
    assert records and records[0].funcName == "run_batch_backtests"


def test_an_event_stream_is_read_as_it_comes(raw) -> None:
    events = [b'event: item\ndata: {"n": 1}\n\n', b": keep-alive\n\n", b"event: done\ndata: {}\n\n"]
    body = b"".join(b"%x\r\n%s\r\n" % (len(e), e) for e in events) + b"0\r\n\r\n"
    stream = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n" + body
    sized_stream = sized(b"".join(events), extra="Content-Type: text/event-stream\r\n")
    replies = {1: stream, 2: sized_stream, 3: (b"HTTP/1.1 200 OK\r\n\r\n" + b"".join(events), CLOSE)}
    fake = raw(lambda c, i, p: replies[c])
    with client(fake.url) as c:
        for _ in replies:
            assert list(c.job_events("j1")) == [("item", '{"n": 1}'), ("done", "{}")]
    assert [(r[1], r[2], r[3]["accept"]) for r in fake.requests] == [
        ("GET", "/v1/jobs/j1/events", "text/event-stream")
    ] * 3


def test_an_event_stream_cut_short_or_refused(raw) -> None:
    cut = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nevent: item\n"
    missing = json.dumps({"type": "https://backtest.dev/problems/not_found", "title": "Not Found", "status": 404})
    refused = f"HTTP/1.1 404 Not Found\r\nContent-Length: {len(missing)}\r\n\r\n{missing}".encode()
    replies = {1: (cut, CLOSE), 2: refused}
    fake = raw(lambda c, i, p: replies[c])
    with client(fake.url) as c:
        with pytest.raises(TransportError) as caught:
            list(c.job_events("j1"))
        assert caught.value.code == "connection_closed"
        with pytest.raises(backtest_client.NotFoundError):
            list(c.job_events("j1"))


def test_a_job_and_its_event_stream_over_https_with_the_private_ca(server_factory, tmp_path) -> None:
    subprocess.run(
        [backtest_binary(), "cert", "init", "--host", "127.0.0.1", "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    tls = server_factory("--tls-cert", str(tmp_path / "server.pem"), "--tls-key", str(tmp_path / "server-key.pem"))
    with client(tls.url, ca_cert=str(tmp_path / "ca.pem")) as c:
        assert [r["ticker"] for r in c.run_batch_backtests(["AAPL", "MSFT"], *YEAR)] == ["AAPL", "MSFT"]
        seen: list[int] = []
        results = c.run_job(["AAPL", "MSFT", "GOOG"], *YEAR, progress=lambda p: seen.append(p.done))
    assert [r["ticker"] for r in results] == ["AAPL", "MSFT", "GOOG"] and all("error" not in r for r in results)
    assert sorted(seen) == [1, 2, 3]  # every item came through the event stream
