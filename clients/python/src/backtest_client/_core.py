"""What the synchronous and the asynchronous client share: the retry policy, the endpoint
balancer, the request and batch logic, and error mapping.

The request logic is written once, as generators that *yield* the I/O they need
(``("http", endpoint, method, path, body, accept)``, ``("probe", endpoint)``, ``("sleep", seconds)``,
``("rediscover",)``) and receive its outcome; ``BacktestingClient`` drives them with blocking
calls, ``AsyncBacktestingClient`` with ``await``. The rules are the Swift client's
(``BacktestClient+Transport.swift``, ``BacktestClient+Batch.swift``, ``RetryPolicy.swift``,
``EndpointBalancer.swift``, ``BatchPlan.swift``).
"""

from __future__ import annotations

import errno
import json
import math
import random as _random
import socket
import sys
import threading
import time
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from ._endpoint import Endpoint
from ._errors import (
    BacktestClientError,
    InvalidReplyError,
    NoEndpointError,
    ServerError,
    TLSError,
    TransportError,
    error_for_status,
)
from ._resolve import Resolution, Resolver
from ._transport import ConnectTimeout, ReadTimeout, RemoteProtocolError

if TYPE_CHECKING:  # pragma: no cover
    import ssl


class _Logger:
    """``logging.getLogger("backtest_client")`` once logging is in use. Until something imports
    logging no handler can exist and a debug line goes nowhere, so the package does not import
    it (a few milliseconds of start-up)."""

    def debug(self, msg: str, *args: Any) -> None:
        logging = sys.modules.get("logging")
        if logging is not None:
            logging.getLogger("backtest_client").debug(msg, *args, stacklevel=2)

    def __getattr__(self, name: str) -> Any:  # info, warning, isEnabledFor, ...: the real logger's
        import logging

        return getattr(logging.getLogger("backtest_client"), name)


logger = _Logger()

ENGINE_OPTIONS = (
    "cash",
    "commission",
    "spread",
    "margin",
    "trade_on_close",
    "hedging",
    "exclusive_orders",
    "finalize_trades",
    "sl_pct",
    "tp_pct",
    "include",
)

# ---------------------------------------------------------------------------------------------
# Retry policy


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before trying a failed request again.

    The default retries 3 times with exponential backoff (1 s, 2 s, 4 s) and full jitter (each
    wait drawn uniformly from zero up to that step), every wait capped at ``max_delay``.
    Retried: transport failures (connect errors, timeouts, resets) and the statuses in
    ``retryable_statuses`` (429, 500, 502, 503, 504); a ``Retry-After`` (seconds) replaces the
    computed wait, still capped. Never retried: any other status (400, 401, 404, 413, 422, ...).
    Backtests are pure functions of their request, so retrying a POST is safe.
    """

    max_retries: int = 3
    initial_delay: float = 1.0
    multiplier: float = 2.0
    max_delay: float = 30.0
    jitter: bool = True
    retryable_statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})

    def is_retryable(self, status: int | None) -> bool:
        """Whether an outcome may be retried (``status=None``: a transport failure)."""
        return status is None or status in self.retryable_statuses

    def delay(
        self,
        retry: int,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        random: Callable[[], float] = _random.random,
    ) -> float | None:
        """The wait before retry number ``retry`` (0 for the first) after an outcome
        (``status=None`` for a transport failure), or ``None`` when it must not be retried."""
        if retry < 0 or retry >= self.max_retries or not self.is_retryable(status):
            return None
        if status is not None and retry_after is not None:
            return min(max(0.0, retry_after), self.max_delay)
        step = min(self.initial_delay * self.multiplier**retry, self.max_delay)
        return step * random() if self.jitter else step


NEVER_RETRY = RetryPolicy(max_retries=0)

# ---------------------------------------------------------------------------------------------
# Endpoint balancer


@dataclass
class _State:
    endpoint: Endpoint
    outstanding: int = 0
    down_until: float | None = None
    probing: bool = False


class EndpointPool:
    """Least-outstanding-requests balancing over the endpoints; an endpoint that fails is
    marked down for ``recheck_interval`` seconds, then probed with ``/health`` before it gets
    work again. When every endpoint is down, the one due back first is used anyway.
    Thread-safe."""

    def __init__(self, endpoints: Sequence[Endpoint], recheck_interval: float = 5.0) -> None:
        self._states = [_State(e) for e in endpoints]
        self.recheck_interval = recheck_interval
        self._lock = threading.Lock()

    @property
    def endpoints(self) -> list[Endpoint]:
        return [s.endpoint for s in self._states]

    def pick(self, now: float) -> tuple[str, Endpoint | None]:
        """``("use", e)`` (counted as outstanding), ``("probe", e)`` or ``("none", None)``."""
        with self._lock:
            states = self._states
            for s in states:  # a down endpoint due for its recheck is probed first
                if not s.probing and s.down_until is not None and s.down_until <= now:
                    s.probing = True
                    return "probe", s.endpoint
            up = [s for s in states if s.down_until is None]
            if up:
                best = min(up, key=lambda s: s.outstanding)
                best.outstanding += 1
                return "use", best.endpoint
            if not states:
                return "none", None
            # Every endpoint is down: try the one back first anyway (the retry policy paces it).
            first = min(states, key=lambda s: s.down_until or 0.0)
            first.outstanding += 1
            return "use", first.endpoint

    def finished(self, endpoint: Endpoint, transport_failure: bool, now: float) -> None:
        with self._lock:
            for s in self._states:
                if s.endpoint == endpoint:
                    s.outstanding = max(0, s.outstanding - 1)
                    s.down_until = now + self.recheck_interval if transport_failure else None

    def probed(self, endpoint: Endpoint, healthy: bool, now: float) -> None:
        with self._lock:
            for s in self._states:
                if s.endpoint == endpoint:
                    s.probing = False
                    s.down_until = None if healthy else now + self.recheck_interval

    def has_other_up(self, endpoint: Endpoint) -> bool:
        with self._lock:
            return any(s.down_until is None and s.endpoint != endpoint for s in self._states)


# ---------------------------------------------------------------------------------------------
# Replies and errors


@dataclass
class RawReply:
    status: int
    retry_after: float | None
    content: bytes
    endpoint: Endpoint


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` in the delay-seconds form; an HTTP date is ignored."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) else None


def problem_code(problem: Mapping[str, Any] | None, status: int | None) -> str:
    """The problem's stable code: the last path segment of its ``type``."""
    if problem and isinstance(problem.get("type"), str) and problem["type"].rstrip("/"):
        return str(problem["type"]).rstrip("/").rsplit("/", 1)[-1]
    return f"http_{status}" if status else "item_failed"


def status_error(reply: RawReply) -> ServerError:
    """The error for a non-2xx reply: the server's problem document when it sent one."""
    problem: dict[str, Any] | None = None
    try:
        doc = json.loads(reply.content)
        if isinstance(doc, dict) and "type" in doc and "title" in doc:
            problem = doc
    except ValueError:
        pass
    if problem is not None:
        detail = f"{problem.get('title')}: {problem.get('detail', '')}"
    else:
        detail = reply.content[:200].decode("utf-8", "replace").strip()
    message = f"{reply.status} from {reply.endpoint}" + (f": {detail}" if detail else "")
    return error_for_status(
        reply.status,
        message,
        code=problem_code(problem, reply.status),
        endpoint=reply.endpoint.url,
        problem=problem,
    )


def item_error(problem: Mapping[str, Any] | None, endpoint: Endpoint | None = None) -> BacktestClientError:
    """The error of a failed batch or job item."""
    if not problem:
        return BacktestClientError("the item failed without an error", code="item_failed")
    status = problem.get("status") if isinstance(problem.get("status"), int) else None
    message = f"{problem.get('title', 'Error')}: {problem.get('detail', '')}"
    code = problem_code(problem, status)
    url = endpoint.url if endpoint else None
    if status:
        return error_for_status(status, message, code=code, endpoint=url, problem=dict(problem))
    return BacktestClientError(message, code=code, endpoint=url, problem=dict(problem))


def decode_json(reply: RawReply, what: str) -> Any:
    try:
        return json.loads(reply.content)
    except ValueError as e:
        raise InvalidReplyError(
            f"{reply.endpoint} sent a reply that is not a valid {what}: {e}",
            code="invalid_reply",
            status=reply.status,
            endpoint=reply.endpoint.url,
        ) from None


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop(0)
        if e is None or any(e is s for s in seen):
            continue
        seen.append(e)
        todo += [e.__cause__, e.__context__]
        todo += [a for a in getattr(e, "args", ()) if isinstance(a, BaseException)]
    return seen


_UNTRUSTED = {18, 19, 20, 21, 2, 27}  # self-signed, no local issuer, unable to verify leaf, ...


def certificate_refusal(error: ssl.SSLCertVerificationError, endpoint: Endpoint, ca_cert: str | None) -> str:
    """Why a certificate was refused, in one phrase naming the host."""
    code = getattr(error, "verify_code", None)
    why = getattr(error, "verify_message", None) or getattr(error, "reason", None) or str(error)
    host = endpoint.host
    if code in (62, 64) or "mismatch" in str(why).lower():
        return f"TLS certificate is not for {host} ({why})"
    if code == 10 or "expired" in str(why).lower():
        return f"TLS certificate of {host} has expired ({why})"
    if code == 9:
        return f"TLS certificate of {host} is not yet valid ({why})"
    if code in _UNTRUSTED or "issuer" in str(why).lower() or "self-signed" in str(why).lower():
        hint = (
            f"the CA in {ca_cert} did not sign it"
            if ca_cert
            else "trust its CA with ca_cert=PATH, BACKTEST_CA_CERT or the config's ca_cert"
        )
        return f"TLS certificate of {host} has an untrusted issuer ({why}); {hint}"
    return f"TLS certificate of {host} not trusted ({why})"


def transport_error(
    exc: BaseException,
    endpoint: Endpoint,
    *,
    connect_timeout: float,
    read_timeout: float,
    ca_cert: str | None = None,
) -> BacktestClientError:
    """The error for a failed attempt, in a person's words: ``cannot reach URL: connection
    refused``, ``cannot reach URL: timed out after 30 s connecting``, ``no reply from URL:
    timed out after 600 s``, a refused certificate. ``exc`` comes from the synchronous
    client's transport (``_transport``) or from httpx (the event streams, the async client)."""
    # Neither is imported here for nothing: an error of a module that is not loaded cannot occur.
    ssl = sys.modules.get("ssl")
    httpx = sys.modules.get("httpx")
    url = endpoint.url

    def unreachable(phrase: str, code: str = "unreachable") -> BacktestClientError:
        cls = TLSError if code in ("certificate_rejected", "tls_failed") else TransportError
        return cls(f"cannot reach {url}: {phrase}", code=code, endpoint=url)

    chain = _chain(exc)
    if ssl is not None:
        for e in chain:
            if isinstance(e, ssl.SSLCertVerificationError):
                return unreachable(certificate_refusal(e, endpoint, ca_cert), "certificate_rejected")
        for e in chain:
            if isinstance(e, ssl.SSLError):
                text = str(e)
                if "WRONG_VERSION_NUMBER" in text or "record layer failure" in text or "packet length too long" in text:
                    return unreachable(
                        "TLS handshake failed: the server does not speak TLS (use http://)", "tls_failed"
                    )
                if "CERTIFICATE_VERIFY_FAILED" in text:
                    return unreachable(f"TLS certificate not trusted ({text})", "certificate_rejected")
                return unreachable(f"TLS handshake failed: {getattr(e, 'reason', None) or text}", "tls_failed")
    if isinstance(exc, ConnectTimeout) or (httpx and isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout))):
        return unreachable(f"timed out after {_seconds(connect_timeout)} connecting", "connect_timeout")
    if isinstance(exc, ReadTimeout) or (httpx and isinstance(exc, (httpx.ReadTimeout, httpx.WriteTimeout))):
        return TransportError(
            f"no reply from {url}: timed out after {_seconds(read_timeout)}", code="read_timeout", endpoint=url
        )
    if isinstance(exc, RemoteProtocolError) or (httpx and isinstance(exc, httpx.RemoteProtocolError)):
        # A TLS server closes a plain-HTTP connection without a reply.
        hint = " (if it serves HTTPS, use https://)" if endpoint.scheme == "http" else ""
        return TransportError(
            f"no reply from {url}: the server closed the connection{hint}", code="connection_closed", endpoint=url
        )
    for e in chain:
        if isinstance(e, socket.gaierror):
            return unreachable("host not found")
        if isinstance(e, OSError) and e.errno:
            return unreachable(_errno_phrase(e.errno))
    if httpx and isinstance(exc, httpx.ReadError):
        return TransportError(
            f"no reply from {url}: the connection broke ({exc})", code="connection_closed", endpoint=url
        )
    return unreachable(str(exc) or type(exc).__name__)


_PHRASES = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset",
    errno.ECONNABORTED: "connection aborted",
    errno.EPIPE: "connection closed",
    errno.ETIMEDOUT: "timed out connecting",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ENETUNREACH: "network unreachable",
    errno.EADDRNOTAVAIL: "address not available",
}


def _errno_phrase(code: int) -> str:
    import os

    if code in _PHRASES:
        return _PHRASES[code]
    text = os.strerror(code)
    return text[:1].lower() + text[1:]


def _seconds(value: float) -> str:
    return f"{int(value)} s" if float(value).is_integer() else f"{value:g} s"


# ---------------------------------------------------------------------------------------------
# Requests and results


def date_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return (
            value.isoformat(timespec="seconds")
            if (value.hour or value.minute or value.second)
            else value.date().isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def build_request(
    ticker: str,
    start_date: Any,
    end_date: Any,
    strategy: str,
    params: Mapping[str, Any] | None,
    options: Mapping[str, Any],
) -> dict[str, Any]:
    """One ``BacktestRequest`` body; unknown engine options are a ``TypeError`` here, before
    anything is sent."""
    unknown = sorted(set(options) - set(ENGINE_OPTIONS))
    if unknown:
        raise TypeError(f"unknown engine option(s) {', '.join(unknown)}; known: {', '.join(ENGINE_OPTIONS)}")
    request: dict[str, Any] = {"ticker": str(ticker), "strategy": strategy}
    if start_date is not None:
        request["start"] = date_text(start_date)
    if end_date is not None:
        request["end"] = date_text(end_date)
    if params:
        request["params"] = dict(params)
    for key in ENGINE_OPTIONS:
        value = options.get(key)
        if value is not None:
            request[key] = list(value) if isinstance(value, tuple) else value
    return request


_NON_NUMERIC_STATS = {"start", "end", "trades"}


def _number(value: Any) -> Any:
    if value is None:
        return math.nan
    if isinstance(value, str):
        if value == "Infinity":
            return math.inf
        if value == "-Infinity":
            return -math.inf
        if value == "NaN":
            return math.nan
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)  # whole numbers come without a fraction; statistics are floats
    return value


def flat_result(reply: Mapping[str, Any], request: Mapping[str, Any]) -> dict[str, Any]:
    """The old interface's flat dict: identification (``ticker``, ``strategy``, ``params``,
    ``start_date``, ``end_date``), every statistic by its reference key (``sharpe_ratio``,
    ``return_pct``, ``max_drawdown_pct``, ``trades``, ...; NaN for ``null``, ``inf`` for
    ``"Infinity"``), ``cached`` and ``elapsed_ms``; the window the data covers (``first_bar``,
    ``last_bar``, ``bars``, ``short_window``: true when it starts more than 5 trading days after
    ``start_date`` or ends more than 5 before ``end_date``) when the server reports it; with
    ``include``, ``trade_list`` and ``equity``."""
    out: dict[str, Any] = {
        "ticker": reply.get("ticker", request.get("ticker")),
        "strategy": reply.get("strategy", request.get("strategy")),
        "start_date": request.get("start"),
        "end_date": request.get("end"),
        "params": reply.get("params", request.get("params") or {}),
    }
    for key, value in (reply.get("stats") or {}).items():
        out[key] = value if key in _NON_NUMERIC_STATS else _number(value)
    out["cached"] = reply.get("cached")
    out["elapsed_ms"] = reply.get("elapsed_ms")
    coverage = reply.get("coverage")
    if isinstance(coverage, Mapping):
        out["first_bar"] = coverage.get("first_bar")
        out["last_bar"] = coverage.get("last_bar")
        out["bars"] = coverage.get("bars")
        out["short_window"] = bool(coverage.get("short"))
    if "trades" in reply:
        out["trade_list"] = reply["trades"]
    if "equity" in reply:
        out["equity"] = [_number(v) for v in reply["equity"]]
    return out


def flat_error(error: BacktestClientError, request: Mapping[str, Any]) -> dict[str, Any]:
    """A failed item: identification plus ``error`` (the message), ``error_code`` and
    ``error_status``."""
    return {
        "ticker": request.get("ticker"),
        "strategy": request.get("strategy"),
        "start_date": request.get("start"),
        "end_date": request.get("end"),
        "params": request.get("params") or {},
        "error": error.message,
        "error_code": error.code,
        "error_status": error.status,
    }


# Packing. The server runs one call's items in parallel on all its workers, so a call of many
# items is as fast as several calls in flight, and every call costs this client 1-2 ms of
# Python (a thread switch under the GIL, a JSON document to decode) where the Swift client pays
# 0.2 ms. So this client packs harder than the Swift one (``BatchPlan.swift``: at least 8 items
# per call): at least 64 items per call, else the batch split over the concurrent slots; but
# the items of the calls in flight stay within 256, the server's default --queue-limit, which
# would refuse a further call with 429 while that many wait. 60 tickers are one call; 600 are
# 10 calls of 60 at max_workers=4, 3 calls of 200 with parallel=False.
MIN_ITEMS_PER_CALL = 64
QUEUE_BUDGET = 256


def batch_calls(
    count: int,
    concurrency: int,
    max_items_per_call: int = 1000,
    min_items_per_call: int = MIN_ITEMS_PER_CALL,
    queue_budget: int = QUEUE_BUDGET,
) -> list[range]:
    """How a batch is cut into calls: contiguous index ranges covering ``0..count`` in order,
    as even as possible, each of at most ``max_items_per_call`` items and of about
    ``count / concurrency`` items, but at least ``min_items_per_call`` (when there are that
    many) and at most ``queue_budget / concurrency``."""
    if count <= 0:
        return []
    slots = max(1, concurrency)
    floor = max(1, min_items_per_call)
    size = max(floor, -(-count // slots))
    size = max(1, min(size, max(floor, queue_budget // slots), max_items_per_call))
    calls = -(-count // size)
    base, extra = divmod(count, calls)
    ranges = []
    start = 0
    for i in range(calls):
        end = start + base + (1 if i < extra else 0)
        ranges.append(range(start, end))
        start = end
    return ranges


@dataclass
class Progress:
    """A batch's or job's progress, handed to ``progress=`` callbacks after every finished
    call (batch) or item (job)."""

    done: int
    total: int
    failed: int
    elapsed: float
    results: list[dict[str, Any]] = field(default_factory=list)
    """The flat results that just finished."""


Action = tuple[Any, ...]
"""``("http", endpoint, method, path, body, accept)`` | ``("probe", endpoint)`` | ``("sleep", seconds)`` |
``("rediscover",)``."""
Gen = Generator[Action, Any, Any]


class Core:
    """State and logic shared by the two clients (one per client)."""

    def __init__(
        self,
        resolver: Resolver,
        *,
        connect_timeout: float,
        read_timeout: float,
        probe_timeout: float,
        retry_policy: RetryPolicy,
        recheck_interval: float,
        max_items_per_call: int,
        random: Callable[[], float],
    ) -> None:
        self.resolver = resolver
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.probe_timeout = probe_timeout
        self.policy = retry_policy
        self.recheck_interval = recheck_interval
        self.max_items_per_call = max(1, min(1000, max_items_per_call))
        self.random = random
        self.resolution: Resolution | None = None
        self.pool: EndpointPool | None = None
        self.batch_route_missing = False
        self.rediscovered = False
        self.lock = threading.Lock()
        self._start = time.monotonic()
        _, _, self.ca_cert, _ = resolver.credentials()

    def now(self) -> float:
        return time.monotonic() - self._start

    def install(self, resolution: Resolution) -> None:
        self.resolution = resolution
        self.pool = EndpointPool(resolution.endpoints, self.recheck_interval)
        if resolution.ca_cert:
            self.ca_cert = resolution.ca_cert

    @property
    def api_key(self) -> str | None:
        return self.resolution.api_key if self.resolution else None

    def first_endpoint(self) -> Endpoint:
        assert self.resolution is not None
        if not self.resolution.endpoints:
            raise NoEndpointError("no server endpoints", code="no_endpoint")
        return self.resolution.endpoints[0]

    def transport_error(self, exc: BaseException, endpoint: Endpoint) -> BacktestClientError:
        return transport_error(
            exc,
            endpoint,
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            ca_cert=self.ca_cert,
        )

    # -- one request ---------------------------------------------------------------------------

    def _acquire(self) -> Gen:
        assert self.pool is not None
        while True:
            choice, endpoint = self.pool.pick(self.now())
            if choice == "use":
                return endpoint
            if choice == "probe" and endpoint is not None:
                healthy = yield ("probe", endpoint)
                logger.debug("probe %s/health: %s", endpoint, "up" if healthy else "still down")
                self.pool.probed(endpoint, bool(healthy), self.now())
                continue
            raise NoEndpointError("no server endpoints", code="no_endpoint")

    def send(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        pinned: Endpoint | None = None,
        accept: str = "application/json",
    ) -> Gen:
        """One request with retries and failover; returns the first 2xx ``RawReply`` or raises
        the last error (a non-retryable status at once, a refused certificate never retried)."""
        assert self.pool is not None
        pool = self.pool
        policy = self.policy
        retry = failovers = attempt = 0
        while True:
            attempt += 1
            endpoint = pinned if pinned is not None else (yield from self._acquire())
            status: int | None
            retry_after: float | None = None
            try:
                reply: RawReply = yield ("http", endpoint, method, path, body, accept)
            except BacktestClientError as error:
                if pinned is None:
                    pool.finished(endpoint, True, self.now())
                logger.debug("attempt %d: %s %s%s failed: %s", attempt, method, endpoint, path, error.message)
                if error.code in ("certificate_rejected", "tls_failed"):
                    raise  # trying again cannot change a certificate
                failure: BacktestClientError = error
                status = None
                endpoint_failed = True
            else:
                logger.debug("attempt %d: %s %s%s -> %d", attempt, method, endpoint, path, reply.status)
                # A gateway error or 503 (a draining server) sends work elsewhere, like a transport failure.
                endpoint_failed = reply.status in (502, 503, 504)
                if pinned is None:
                    pool.finished(endpoint, endpoint_failed, self.now())
                if 200 <= reply.status < 300:
                    return reply
                failure = status_error(reply)
                status, retry_after = reply.status, reply.retry_after
            if endpoint_failed and pinned is None and failovers < 8 and pool.has_other_up(endpoint):
                failovers += 1
                logger.debug("%s marked down (%s); sending %s to another endpoint", endpoint, failure.message, path)
                continue
            delay = policy.delay(retry, status=status, retry_after=retry_after, random=self.random)
            if delay is None:
                if status is None and pinned is None and (yield ("rediscover",)):
                    logger.debug("rediscovered the server; trying %s again", path)
                    pool = self.pool
                    continue
                raise failure
            retry += 1
            logger.debug(
                "retry %d/%d of %s %s in %.3f s after: %s",
                retry,
                policy.max_retries,
                method,
                path,
                delay,
                failure.message,
            )
            yield ("sleep", delay)

    def get_json(self, path: str, what: str) -> Gen:
        reply = yield from self.send("GET", path)
        return decode_json(reply, what)

    def run_one(self, request: Mapping[str, Any]) -> Gen:
        reply = yield from self.send("POST", "/v1/backtests", json.dumps(request).encode())
        doc = decode_json(reply, "BacktestReply")
        if not isinstance(doc, dict) or "stats" not in doc:
            raise InvalidReplyError(f"{reply.endpoint} sent a reply without stats", code="invalid_reply")
        return doc

    # -- batches -------------------------------------------------------------------------------

    def run_call(self, indices: Sequence[int], requests: Sequence[Mapping[str, Any]]) -> Gen:
        """Runs the requests at ``indices`` as one batch call (or singly); returns
        ``[(index, reply dict | BacktestClientError)]``. Items the reply reports with a
        transient status (e.g. 503 from a server that started draining) are sent again, with
        the policy's backoff."""
        policy = self.policy
        finished: list[tuple[int, Any]] = []
        pending = list(indices)
        retry = 0
        while pending:
            attempt = yield from self._run_indices(pending, requests)
            again: list[int] = []
            status: int | None = None
            for index, result, transient in attempt:
                if (
                    transient
                    and isinstance(result, BacktestClientError)
                    and result.status
                    and policy.delay(retry, status=result.status) is not None
                ):
                    again.append(index)
                    status = result.status
                else:
                    finished.append((index, result))
            pending = again
            if not pending:
                break
            delay = policy.delay(retry, status=status, random=self.random)
            if delay is None:  # cannot happen (checked per item), but never lose an item
                finished += [(i, BacktestClientError("retries exhausted", code="item_failed")) for i in pending]
                break
            retry += 1
            logger.debug("retry %d of %d batch items in %.3f s", retry, len(pending), delay)
            yield ("sleep", delay)
        return finished

    def _run_indices(self, indices: list[int], requests: Sequence[Mapping[str, Any]]) -> Gen:
        if len(indices) > 1 and not self.batch_route_missing:
            try:
                body = json.dumps({"requests": [requests[i] for i in indices]}).encode()
                reply = yield from self.send("POST", "/v1/backtests/batch", body)
                doc = decode_json(reply, "BatchReply")
                return self._assemble(doc, indices, reply.endpoint)
            except ServerError as error:
                if error.status == 413:
                    logger.debug("batch of %d too large; splitting", len(indices))
                    half = len(indices) // 2
                    a = yield from self._run_indices(indices[:half], requests)
                    b = yield from self._run_indices(indices[half:], requests)
                    return a + b
                if error.status in (404, 405) and (error.problem is None or error.code == "not_found"):
                    logger.debug("no /v1/backtests/batch route (%s); sending requests one by one", error.message)
                    self.batch_route_missing = True
                else:
                    return [(i, error, False) for i in indices]
            except BacktestClientError as error:
                return [(i, error, False) for i in indices]
        results: list[tuple[int, Any, bool]] = []
        for i in indices:
            try:
                results.append((i, (yield from self.run_one(requests[i])), False))
            except BacktestClientError as error:
                results.append((i, error, False))
        return results

    def _assemble(self, doc: Any, indices: list[int], endpoint: Endpoint) -> list[tuple[int, Any, bool]]:
        """Maps a batch reply's items back to batch indices; every index gets exactly one
        result (an item the reply lacks is an error, duplicates are ignored)."""
        items = doc.get("results") if isinstance(doc, dict) else None
        if not isinstance(items, list):
            error = InvalidReplyError(f"{endpoint} sent a batch reply without results", code="invalid_reply")
            return [(i, error, False) for i in indices]
        by_index: dict[int, Mapping[str, Any]] = {}
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("index"), int) and item["index"] not in by_index:
                by_index[item["index"]] = item
        out: list[tuple[int, Any, bool]] = []
        for offset, i in enumerate(indices):
            item = by_index.get(offset)
            if item is None:
                out.append((i, InvalidReplyError(f"the batch reply has no item {offset}", code="missing_item"), False))
            elif isinstance(item.get("result"), dict):
                out.append((i, item["result"], False))
            else:
                failure = item_error(item.get("error"), endpoint)
                out.append((i, failure, failure.status is not None and self.policy.is_retryable(failure.status)))
        return out

    # -- jobs ----------------------------------------------------------------------------------

    def submit_job(self, requests: Sequence[Mapping[str, Any]]) -> Gen:
        """``POST /v1/jobs`` on the first endpoint (jobs live on the server that took them)."""
        reply = yield from self.send(
            "POST", "/v1/jobs", json.dumps({"requests": list(requests)}).encode(), pinned=self.first_endpoint()
        )
        doc = decode_json(reply, "JobCreated")
        if not isinstance(doc, dict) or not isinstance(doc.get("id"), str):
            raise InvalidReplyError(f"{reply.endpoint} sent a job reply without an id", code="invalid_reply")
        return doc

    def submit_portfolio_job(self, bodies: Sequence[Mapping[str, Any]]) -> Gen:
        """``POST /v1/jobs`` with ``portfolios`` (each a ``POST /v1/portfolios`` body) on the first
        endpoint."""
        reply = yield from self.send(
            "POST", "/v1/jobs", json.dumps({"portfolios": list(bodies)}).encode(), pinned=self.first_endpoint()
        )
        doc = decode_json(reply, "JobCreated")
        if not isinstance(doc, dict) or not isinstance(doc.get("id"), str):
            raise InvalidReplyError(f"{reply.endpoint} sent a job reply without an id", code="invalid_reply")
        return doc

    def job_status(self, job_id: str) -> Gen:
        reply = yield from self.send("GET", f"/v1/jobs/{job_segment(job_id)}", pinned=self.first_endpoint())
        return decode_json(reply, "JobStatus")

    def cancel_job(self, job_id: str) -> Gen:
        """``POST /v1/jobs/{id}/cancel``: cancels and keeps the record."""
        reply = yield from self.send("POST", f"/v1/jobs/{job_segment(job_id)}/cancel", pinned=self.first_endpoint())
        if not reply.content:
            return None
        try:
            return json.loads(reply.content)
        except ValueError:
            return None

    def delete_job(self, job_id: str) -> Gen:
        """``DELETE /v1/jobs/{id}``: cancels if still running, then removes the job and its items."""
        yield from self.send("DELETE", f"/v1/jobs/{job_segment(job_id)}", pinned=self.first_endpoint())
        return None

    # -- searches, reports, portfolios -----------------------------------------------------------
    # A search lives on the server that took it (as a job does): its calls go to the first endpoint.

    def submit_optimization(self, body: Mapping[str, Any]) -> Gen:
        """``POST /v1/optimizations``; returns the ``JobCreated`` document."""
        reply = yield from self.send(
            "POST", "/v1/optimizations", json.dumps(body).encode(), pinned=self.first_endpoint()
        )
        doc = decode_json(reply, "JobCreated")
        if not isinstance(doc, dict) or not isinstance(doc.get("id"), str):
            raise InvalidReplyError(f"{reply.endpoint} sent a search reply without an id", code="invalid_reply")
        return doc

    def optimization_status(self, search_id: str) -> Gen:
        reply = yield from self.send("GET", f"/v1/optimizations/{job_segment(search_id)}", pinned=self.first_endpoint())
        doc = decode_json(reply, "OptimizationStatus")
        if not isinstance(doc, dict) or not isinstance(doc.get("status"), str):
            raise InvalidReplyError(f"{reply.endpoint} sent a search status without a status", code="invalid_reply")
        return doc

    def cancel_optimization(self, search_id: str) -> Gen:
        """``POST /v1/optimizations/{id}/cancel``: cancels and keeps the record."""
        reply = yield from self.send(
            "POST", f"/v1/optimizations/{job_segment(search_id)}/cancel", pinned=self.first_endpoint()
        )
        return decode_json(reply, "OptimizationStatus")

    def delete_optimization(self, search_id: str) -> Gen:
        """``DELETE /v1/optimizations/{id}``: cancels if still running, then removes the search."""
        yield from self.send("DELETE", f"/v1/optimizations/{job_segment(search_id)}", pinned=self.first_endpoint())
        return None

    def optimization_heatmap(self, search_id: str) -> Gen:
        """The heatmap CSV of a finished search; ``None`` for a walk-forward analysis (404)."""
        try:
            reply = yield from self.send(
                "GET",
                f"/v1/optimizations/{job_segment(search_id)}/heatmap",
                pinned=self.first_endpoint(),
                accept="text/csv",
            )
        except ServerError as error:
            if error.status == 404:
                return None
            raise
        return reply.content.decode("utf-8")

    def optimization_page(self, search_id: str) -> Gen:
        reply = yield from self.send(
            "GET",
            f"/v1/optimizations/{job_segment(search_id)}/report",
            pinned=self.first_endpoint(),
            accept="text/html",
        )
        return html_text(reply)

    def job_page(self, job_id: str, item: int | None) -> Gen:
        """``GET /v1/jobs/{id}/report`` (``?item=N``: that item's own backtest report)."""
        query = "" if item is None else f"?item={int(item)}"
        reply = yield from self.send(
            "GET", f"/v1/jobs/{job_segment(job_id)}/report{query}", pinned=self.first_endpoint(), accept="text/html"
        )
        return html_text(reply)

    def backtest_report(self, request: Mapping[str, Any]) -> Gen:
        """``POST /v1/reports``: the backtest's HTML report (a pure function: any endpoint)."""
        reply = yield from self.send("POST", "/v1/reports", json.dumps(request).encode(), accept="text/html")
        return html_text(reply)

    def run_portfolio(self, body: Mapping[str, Any]) -> Gen:
        """``POST /v1/portfolios``."""
        reply = yield from self.send("POST", "/v1/portfolios", json.dumps(body).encode())
        doc = decode_json(reply, "PortfolioReply")
        if not isinstance(doc, dict) or "stats" not in doc:
            raise InvalidReplyError(f"{reply.endpoint} sent a portfolio reply without stats", code="invalid_reply")
        return doc


def html_text(reply: RawReply) -> str:
    try:
        return reply.content.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InvalidReplyError(f"{reply.endpoint} sent a page that is not UTF-8: {e}", code="invalid_reply") from None


def search_outcome(doc: Mapping[str, Any]) -> None:
    """Raises the error of a search that failed or was cancelled."""
    status = doc.get("status")
    if status == "failed":
        raise item_error(doc.get("error"))
    if status == "cancelled":
        raise BacktestClientError(f"search {doc.get('id')} was cancelled", code="cancelled")
    if not isinstance(doc.get("result"), dict):
        raise InvalidReplyError(f"search {doc.get('id')} ended ({status}) without a result", code="invalid_reply")


def search_progress(data: str) -> tuple[int, int] | None:
    """A search's ``progress`` event: ``(done, total)``, or ``None`` when malformed."""
    try:
        doc = json.loads(data)
        return int(doc["done"]), int(doc["total"])
    except (ValueError, KeyError, TypeError):
        return None


def job_segment(job_id: str) -> str:
    if not job_id or not all(c.isalnum() or c in "-_" for c in job_id):
        raise BacktestClientError(f"'{job_id}' is not a job id", code="invalid_job_id")
    return job_id


def outcome_to_flat(result: Any, request: Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(result, BacktestClientError):
        return flat_error(result, request)
    return flat_result(result, request)


class SSEParser:
    """Incremental ``text/event-stream`` parser (WHATWG rules): fed bytes in any chunks, it
    returns the ``(event, data)`` pairs completed so far; comments are skipped."""

    def __init__(self) -> None:
        self._line_bytes = bytearray()
        self._last_was_cr = False
        self._event: str | None = None
        self._data: list[str] = []
        self._has_data = False

    def feed(self, chunk: bytes) -> list[tuple[str, str]]:
        events: list[tuple[str, str]] = []
        for byte in chunk:
            if byte == 10 and self._last_was_cr:
                self._last_was_cr = False
                continue
            self._last_was_cr = byte == 13
            if byte in (10, 13):
                event = self._line(self._line_bytes.decode("utf-8", "replace"))
                self._line_bytes.clear()
                if event:
                    events.append(event)
            else:
                self._line_bytes.append(byte)
        return events

    def _line(self, line: str) -> tuple[str, str] | None:
        if not line:
            event = (self._event or "message", "\n".join(self._data)) if self._has_data else None
            self._event, self._data, self._has_data = None, [], False
            return event
        if line.startswith(":"):
            return None
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
            self._has_data = True
        return None


def job_item(data: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """An ``item`` event's ``(progress, item)``."""
    try:
        doc = json.loads(data)
        return doc["progress"], doc["item"]
    except (ValueError, KeyError, TypeError) as e:
        raise InvalidReplyError(f"malformed 'item' event: {e}", code="invalid_reply") from None


def concurrency_for(parallel: bool, max_workers: int | None, count: int) -> int:
    if not parallel:
        return 1
    return max(1, int(max_workers or 4))


def tickers_or_requests(
    tickers: str | Iterable[Any],
    start_date: Any,
    end_date: Any,
    strategy: str,
    params: Mapping[str, Any] | None,
    options: Mapping[str, Any],
) -> list[dict[str, Any]]:
    """Request bodies for ``run_job``/``run_batch_backtests``: tickers share the other
    arguments; a dict is a request of its own (``ticker``, ``start``/``start_date``, ...)."""
    if isinstance(tickers, str):
        tickers = [tickers]
    out: list[dict[str, Any]] = []
    for item in tickers:
        if isinstance(item, Mapping):
            d = dict(item)
            ticker = d.pop("ticker")
            start = d.pop("start_date", d.pop("start", start_date))
            end = d.pop("end_date", d.pop("end", end_date))
            strat = d.pop("strategy", strategy)
            prm = d.pop("params", params)
            merged = {**options, **d}
            out.append(build_request(ticker, start, end, strat, prm, merged))
        else:
            out.append(build_request(item, start_date, end_date, strategy, params, options))
    return out
