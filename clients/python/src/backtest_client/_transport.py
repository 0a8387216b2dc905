"""The synchronous client's HTTP/1.1 transport: pooled keep-alive connections on the standard
library's ``socket`` (and ``ssl`` for https, imported on the first https connection).

``import httpx`` costs 50-90 ms, more than the 60-backtest batch it would carry, so
``BacktestingClient`` does without it (httpx is the async client's, imported with it). What it
keeps of httpx's behaviour:

- a connect timeout (TCP connect and TLS handshake) apart from the read timeout (each send and
  each wait for reply bytes): ``ConnectTimeout`` and ``ReadTimeout``;
- keep-alive: at most ``max_idle`` idle connections per server, dropped after
  ``keepalive_expiry`` seconds idle; an idle connection the server closed is not reused, and a
  reused one that fails before any reply byte is replaced by a new one once (not counted as a
  failure: the server closed it while idle);
- replies with ``Content-Length``, chunked or read to the end, whole or (``stream``, for event
  streams) as they come; ``1xx`` skipped; a reply that
  ends early or is not HTTP is a ``RemoteProtocolError`` (httpx's ``RemoteProtocolError``);
- TLS with the context the client gives (the system's roots plus the private CA), the
  hostname checked (SNI and certificate) as httpx does.

Errors are ``OSError`` subclasses (``ssl.SSLError`` is one too); ``_core.transport_error`` turns
them into the client's errors.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:  # pragma: no cover
    import ssl
    from io import BufferedReader

    from ._endpoint import Endpoint

__all__ = ["ConnectTimeout", "ConnectionPool", "ReadTimeout", "RemoteProtocolError", "Response", "StreamReply"]

_MAX_LINE = 65536
_MAX_HEADERS = 100
_BODY_METHODS = ("POST", "PUT", "PATCH")


class ConnectTimeout(TimeoutError):
    """Connecting (TCP and the TLS handshake) took longer than the connect timeout."""


class ReadTimeout(TimeoutError):
    """Sending the request or waiting for reply bytes took longer than the read timeout."""


class RemoteProtocolError(ConnectionError):
    """The server closed the connection before a whole reply, or sent something that is not
    an HTTP/1.x reply (a TLS server answering plain HTTP does)."""


class Response:
    """A whole reply: status, headers (names in lower case) and body."""

    __slots__ = ("status_code", "headers", "content")

    def __init__(self, status_code: int, headers: dict[str, str], content: bytes) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content


class _Connection:
    __slots__ = ("sock", "reader", "idle_since")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.reader = cast("BufferedReader", sock.makefile("rb", buffering=65536))
        self.idle_since = 0.0

    def close(self) -> None:
        for closable in (self.reader, self.sock):
            try:
                closable.close()
            except OSError:
                pass

    def closed_by_peer(self) -> bool:
        """Whether an idle connection is readable: the server closed it (or sent stray bytes)."""
        try:
            readable, _, _ = select.select([self.sock], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)


class ConnectionPool:
    """Keep-alive connections per ``(scheme, host, port)``; thread-safe. ``context`` makes the
    https context, once, on the first https connection."""

    def __init__(
        self,
        *,
        connect_timeout: float,
        read_timeout: float,
        context: Callable[[], ssl.SSLContext],
        max_idle: int = 16,
        keepalive_expiry: float = 60.0,
        user_agent: str = "backtest-client",
    ) -> None:
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_idle = max(1, max_idle)
        self.keepalive_expiry = keepalive_expiry
        self.user_agent = user_agent
        self._context_factory = context
        self._context: ssl.SSLContext | None = None
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        """Closes the idle connections (the pool can be used again)."""
        with self._lock:
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()

    def request(
        self,
        endpoint: Endpoint,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Response:
        """Sends one request and reads the whole reply. ``timeout`` replaces both the connect
        and the read timeout (the health probe's)."""
        connect_timeout = self.connect_timeout if timeout is None else timeout
        read_timeout = self.read_timeout if timeout is None else timeout
        key = (endpoint.scheme, endpoint.host, endpoint.port)
        connection, line = self._send(endpoint, method, path, body, headers, connect_timeout, read_timeout)
        try:
            response, keep = _read_reply(connection.reader, method, line)
        except TimeoutError as e:
            connection.close()
            raise ReadTimeout(f"timed out after {read_timeout:g} s") from e
        except BaseException:
            connection.close()
            raise
        if keep:
            self._put(key, connection)
        else:
            connection.close()
        return response

    def stream(
        self, endpoint: Endpoint, method: str, path: str, headers: Mapping[str, str] | None = None
    ) -> StreamReply:
        """Sends one request and returns once the reply's head is read; the body is read as it
        comes (``iter_raw``), for event streams. The connection is closed with the reply."""
        connection, line = self._send(endpoint, method, path, None, headers, self.connect_timeout, self.read_timeout)
        try:
            _, status, reply_headers = _read_head(connection.reader, line)
        except TimeoutError as e:
            connection.close()
            raise ReadTimeout(f"timed out after {self.read_timeout:g} s") from e
        except BaseException:
            connection.close()
            raise
        return StreamReply(connection, status, reply_headers, self.read_timeout)

    def _send(
        self,
        endpoint: Endpoint,
        method: str,
        path: str,
        body: bytes | None,
        headers: Mapping[str, str] | None,
        connect_timeout: float,
        read_timeout: float,
    ) -> tuple[_Connection, bytes]:
        """Sends the request on a kept-alive connection or a new one; returns the connection and
        the reply's status line."""
        message = self._message(endpoint, method, path, body, headers or {})
        key = (endpoint.scheme, endpoint.host, endpoint.port)
        while True:
            connection = self._take(key)
            reused = connection is not None
            if connection is None:
                connection = self._connect(endpoint, connect_timeout)
            try:
                connection.sock.settimeout(read_timeout)
                try:
                    connection.sock.sendall(message)
                    line = connection.reader.readline(_MAX_LINE + 1)
                except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError):
                    if reused:  # closed by the server while idle: a new connection, once per idle one
                        connection.close()
                        continue
                    raise
                if not line:
                    if reused:
                        connection.close()
                        continue
                    raise RemoteProtocolError("the server closed the connection without a reply")
            except TimeoutError as e:
                connection.close()
                raise ReadTimeout(f"timed out after {read_timeout:g} s") from e
            except BaseException:
                connection.close()
                raise
            return connection, line

    # -- connections ---------------------------------------------------------------------------

    def _take(self, key: tuple[str, str, int]) -> _Connection | None:
        now = time.monotonic()
        stale: list[_Connection] = []
        found: _Connection | None = None
        with self._lock:
            connections = self._idle.get(key)
            while connections:
                connection = connections.pop()
                if now - connection.idle_since > self.keepalive_expiry or connection.closed_by_peer():
                    stale.append(connection)
                    continue
                found = connection
                break
        for connection in stale:
            connection.close()
        return found

    def _put(self, key: tuple[str, str, int], connection: _Connection) -> None:
        connection.idle_since = time.monotonic()
        with self._lock:
            connections = self._idle.setdefault(key, [])
            if len(connections) < self.max_idle:
                connections.append(connection)
                return
        connection.close()

    def _connect(self, endpoint: Endpoint, timeout: float) -> _Connection:
        # An ASCII host goes as bytes: a str one is encoded with the idna codec, whose first use
        # imports stringprep and unicodedata (2 ms).
        host: str | bytes = endpoint.host.encode("ascii") if endpoint.host.isascii() else endpoint.host
        try:
            sock = socket.create_connection((host, endpoint.port), timeout=timeout)  # type: ignore[arg-type]
        except TimeoutError as e:
            raise ConnectTimeout(f"timed out after {timeout:g} s connecting") from e
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if endpoint.scheme == "https":
                sock = self._ssl_context().wrap_socket(sock, server_hostname=endpoint.host)
        except TimeoutError as e:
            sock.close()
            raise ConnectTimeout(f"timed out after {timeout:g} s in the TLS handshake") from e
        except BaseException:
            sock.close()
            raise
        return _Connection(sock)

    def _ssl_context(self) -> ssl.SSLContext:
        context = self._context
        if context is None:
            with self._lock:
                if self._context is None:
                    self._context = self._context_factory()
                context = self._context
        return context

    def _message(
        self, endpoint: Endpoint, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
    ) -> bytes:
        host = endpoint.url.split("://", 1)[1]
        default = 443 if endpoint.scheme == "https" else 80
        if endpoint.port == default:
            host = host.rsplit(":", 1)[0]
        lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"User-Agent: {self.user_agent}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
        elif method in _BODY_METHODS:
            lines.append("Content-Length: 0")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        return head + body if body else head


# -- replies -----------------------------------------------------------------------------------


class StreamReply:
    """A reply whose body is read as it comes (``ConnectionPool.stream``)."""

    def __init__(self, connection: _Connection, status_code: int, headers: dict[str, str], read_timeout: float):
        self.status_code = status_code
        self.headers = headers
        self._connection = connection
        self._read_timeout = read_timeout

    def iter_raw(self) -> Iterator[bytes]:
        """The body's bytes as they arrive (a chunk of a chunked reply at a time)."""
        reader = self._connection.reader
        try:
            if "chunked" in self.headers.get("transfer-encoding", "").lower():
                while (chunk := _chunk(reader)) is not None:
                    yield chunk
            elif "content-length" in self.headers:
                remaining = _content_length(self.headers)
                while remaining > 0:
                    data = reader.read1(min(remaining, 65536))
                    if not data:
                        raise RemoteProtocolError("the server closed the connection before the reply's end")
                    remaining -= len(data)
                    yield data
            else:
                while data := reader.read1(65536):
                    yield data
        except TimeoutError as e:
            raise ReadTimeout(f"timed out after {self._read_timeout:g} s") from e

    def read(self) -> bytes:
        """The rest of the body."""
        return b"".join(self.iter_raw())

    def close(self) -> None:
        self._connection.close()


def _read_head(reader: BufferedReader, line: bytes) -> tuple[str, int, dict[str, str]]:
    """The version, status and headers of the reply whose status line is ``line``, past any 1xx."""
    while True:
        version, status = _status_line(line)
        headers = _headers(reader)
        if not (100 <= status < 200 and status != 101):
            return version, status, headers
        line = reader.readline(_MAX_LINE + 1)  # 100 Continue and the like: the reply follows
        if not line:
            raise RemoteProtocolError("the server closed the connection without a reply")


def _content_length(headers: Mapping[str, str]) -> int:
    try:
        length = int(headers["content-length"].split(",")[0].strip())
    except ValueError:
        raise RemoteProtocolError(f"invalid Content-Length {headers['content-length']!r}") from None
    if length < 0:
        raise RemoteProtocolError(f"invalid Content-Length {length}")
    return length


def _read_reply(reader: BufferedReader, method: str, line: bytes) -> tuple[Response, bool]:
    """The reply whose status line is ``line``; ``(response, keep the connection)``."""
    version, status, headers = _read_head(reader, line)
    tokens = headers.get("connection", "").lower()
    keep = "keep-alive" in tokens if version == "HTTP/1.0" else "close" not in tokens
    if method == "HEAD" or status in (204, 304) or status < 200:
        content = b""
    elif "chunked" in headers.get("transfer-encoding", "").lower():
        content = _chunked(reader)
    elif "content-length" in headers:
        length = _content_length(headers)
        content = reader.read(length)
        if len(content) < length:
            raise RemoteProtocolError(
                f"the server closed the connection {len(content)} bytes into a {length}-byte reply"
            )
    else:  # delimited by the end of the connection
        content = reader.read()
        keep = False
    return Response(status, headers, content), keep


def _status_line(line: bytes) -> tuple[str, int]:
    parts = line.split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not line.endswith(b"\n"):
        raise RemoteProtocolError(f"not an HTTP reply (it starts {line[:32]!r})")
    try:
        status = int(parts[1])
    except ValueError:
        raise RemoteProtocolError(f"not an HTTP status line: {line[:64]!r}") from None
    if not 100 <= status <= 999:
        raise RemoteProtocolError(f"not an HTTP status: {status}")
    return parts[0].decode("latin-1"), status


def _headers(reader: BufferedReader) -> dict[str, str]:
    headers: dict[str, str] = {}
    last: str | None = None
    for _ in range(_MAX_HEADERS + 1):
        raw = reader.readline(_MAX_LINE + 1)
        if not raw:
            raise RemoteProtocolError("the server closed the connection in the reply's headers")
        if len(raw) > _MAX_LINE:
            raise RemoteProtocolError("a reply header line is too long")
        if raw in (b"\r\n", b"\n"):
            return headers
        text = raw.decode("latin-1").rstrip("\r\n")
        if text[:1] in (" ", "\t") and last is not None:  # obsolete line folding
            headers[last] += " " + text.strip()
            continue
        name, sep, value = text.partition(":")
        if not sep or not name or name != name.strip():
            raise RemoteProtocolError(f"malformed reply header {text[:64]!r}")
        last = name.lower()
        value = value.strip()
        headers[last] = f"{headers[last]}, {value}" if last in headers else value
    raise RemoteProtocolError(f"more than {_MAX_HEADERS} reply headers")


def _chunked(reader: BufferedReader) -> bytes:
    parts: list[bytes] = []
    while (chunk := _chunk(reader)) is not None:
        parts.append(chunk)
    return b"".join(parts)


def _chunk(reader: BufferedReader) -> bytes | None:
    """The next chunk of a chunked body; ``None`` after the last (its trailers read)."""
    line = reader.readline(_MAX_LINE + 1)
    if not line.endswith(b"\n"):
        raise RemoteProtocolError("the server closed the connection in a chunked reply")
    try:
        size = int(line.split(b";", 1)[0].strip(), 16)
    except ValueError:
        raise RemoteProtocolError(f"invalid chunk size {line[:32]!r}") from None
    if size < 0:
        raise RemoteProtocolError(f"invalid chunk size {size}")
    if size == 0:
        while True:  # trailers
            line = reader.readline(_MAX_LINE + 1)
            if not line:
                raise RemoteProtocolError("the server closed the connection in a chunked reply")
            if line in (b"\r\n", b"\n"):
                return None
    data = reader.read(size)
    if len(data) < size or reader.readline(_MAX_LINE + 1) not in (b"\r\n", b"\n"):
        raise RemoteProtocolError("the server closed the connection in a chunked reply")
    return data
