"""``BacktestingClient``: the old ``run_remote_backtest.py`` interface on the Backtest server."""

from __future__ import annotations

import json
import random as _random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import IO, TYPE_CHECKING, Any

from . import _core
from ._core import (
    Core,
    Progress,
    RawReply,
    RetryPolicy,
    concurrency_for,
    flat_error,
    flat_result,
    item_error,
    job_item,
    logger,
    outcome_to_flat,
    retry_after_seconds,
    search_outcome,
    search_progress,
    status_error,
    tickers_or_requests,
)
from ._endpoint import Endpoint
from ._errors import BacktestClientError, InvalidReplyError, TransportError
from ._portfolio import flat_portfolio, flat_portfolio_error, job_portfolio, portfolio_request
from ._report import Report
from ._resolve import Resolution, Resolver
from ._results import AutoProgressBar, ProgressBar, print_summary, results_frame
from ._search import OptimizationResult, backtest_body, optimization_request
from ._transport import ConnectionPool

if TYPE_CHECKING:  # pragma: no cover
    import ssl

    import httpx
    import pandas

    from ._transport import Response

# The synchronous client's requests and event streams go through ``_transport`` (the standard
# library's sockets, keep-alive): ``import backtest_client`` loads neither httpx nor ssl. httpx
# is the async client's, imported with it; ssl is imported on the first https connection.

__all__ = ["BacktestingClient"]

ProgressCallback = Callable[[Progress], None]

# Errors that would fail every request to the same servers alike: a batch whose items all
# failed with one of them raises it once instead of returning N copies.
FAILS_EVERY_REQUEST = {
    "certificate_rejected",
    "tls_failed",
    "ca_cert_invalid",
    "unauthorized",
    "no_endpoint",
    "invalid_url",
    "config_invalid",
    "config_unreadable",
}

_JOB_ENDED = ("done", "failed", "cancelled")


def ssl_context(ca_cert: str | None) -> ssl.SSLContext:
    """The system's roots, plus the private CA in ``ca_cert`` when given."""
    import ssl

    context = ssl.create_default_context()
    if ca_cert:
        context.load_verify_locations(cafile=ca_cert)
    return context


def plain_context() -> ssl.SSLContext:
    """A context for the plain-HTTP transport, which never uses it (loading the system's CA
    bundle costs tens of milliseconds, so it is only done for https endpoints)."""
    import ssl

    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


class _ClientBase:
    """Configuration shared by the synchronous and the asynchronous client."""

    def __init__(
        self,
        vm_ip: str | None = None,
        port: int | None = None,
        base_url: str | Sequence[str] | None = None,
        api_key: str | None = None,
        ca_cert: str | None = None,
        timeout: float | None = None,
        *,
        connect_timeout: float = 30.0,
        read_timeout: float = 600.0,
        retries: int = 3,
        retry_policy: RetryPolicy | None = None,
        probe_timeout: float = 2.0,
        recheck_interval: float = 5.0,
        max_items_per_call: int = 1000,
        max_connections: int = 16,
        progress_bar: bool | None = None,
        config_file: str | None = None,
        environ: Mapping[str, str] | None = None,
        discovery_timeout: float = 20.0,
        local_default: str = "http://127.0.0.1:8000",
        sleep: Callable[[float], Any] | None = None,
        random: Callable[[], float] = _random.random,
    ) -> None:
        if base_url is not None and vm_ip is not None:
            raise ValueError("give base_url or vm_ip, not both")
        if base_url is not None and not isinstance(base_url, str):
            base_url = ",".join(base_url)
        self.connect_timeout = float(connect_timeout)
        # The old client's single `timeout` was the read timeout (it also applied to
        # connecting, so a dead VM took 10 minutes to fail); here it is the read timeout only.
        self.read_timeout = float(timeout if timeout is not None else read_timeout)
        self.max_connections = max(1, int(max_connections))
        self.progress_bar = progress_bar
        policy = retry_policy if retry_policy is not None else RetryPolicy(max_retries=max(0, int(retries)))
        self._resolver = Resolver(
            servers=base_url,
            vm_ip=vm_ip,
            port=port,
            api_key=api_key,
            ca_cert=ca_cert,
            environ=environ,
            config_file=config_file,
            discovery_timeout=discovery_timeout,
            local_default=local_default,
            probe=self._probe_sync,
        )
        self._core = Core(
            self._resolver,
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            probe_timeout=probe_timeout,
            retry_policy=policy,
            recheck_interval=recheck_interval,
            max_items_per_call=max_items_per_call,
            random=random,
        )
        self._sleep = sleep

    # -- shared helpers ---------------------------------------------------------------------

    @property
    def retry_policy(self) -> RetryPolicy:
        return self._core.policy

    def _timeout(self) -> httpx.Timeout:
        import httpx

        return httpx.Timeout(connect=self.connect_timeout, read=self.read_timeout, write=self.read_timeout, pool=None)

    def _limits(self) -> httpx.Limits:
        import httpx

        return httpx.Limits(
            max_connections=self.max_connections * 4,
            max_keepalive_connections=self.max_connections,
            keepalive_expiry=60.0,
        )

    def _headers(self, body: bytes | None, accept: str = "application/json") -> dict[str, str]:
        headers = {"Accept": accept}
        key = self._core.api_key
        if key:
            headers["Authorization"] = f"Bearer {key}"
        if body is not None:
            headers["Content-Type"] = "application/json"
        return headers

    def _probe_sync(self, endpoint: Endpoint) -> bool:
        """``GET /health`` once, within the probe timeout (used during resolution)."""
        import ssl

        import httpx

        try:
            with httpx.Client(
                verify=ssl_context(self._core.ca_cert) if endpoint.scheme == "https" else plain_context(),
                timeout=self._core.probe_timeout,
                trust_env=False,
            ) as client:
                return _healthy(client.get(endpoint.url + "/health"))
        except (httpx.HTTPError, OSError, ssl.SSLError):
            return False

    def _batch_outcome(self, outcomes: Sequence[Any], flat: Sequence[dict[str, Any] | None]) -> list[dict[str, Any]]:
        """The flat results; raises the error once when every item failed with the same
        error that fails every request alike (a refused certificate, a wrong key, ...)."""
        first = outcomes[0] if outcomes else None
        if (
            isinstance(first, BacktestClientError)
            and first.code in FAILS_EVERY_REQUEST
            and all(isinstance(o, BacktestClientError) and o.code == first.code for o in outcomes)
        ):
            raise first
        return [f for f in flat if f is not None]

    @property
    def resolution(self) -> Resolution | None:
        """Which endpoints are used and why (after the first request or ``resolve()``)."""
        return self._core.resolution

    @staticmethod
    def print_summary(results: Sequence[Mapping[str, Any]], file: IO[str] | None = None) -> None:
        """Prints the results as a table (see ``backtest_client.print_summary``)."""
        print_summary(results, file=file)

    @staticmethod
    def results_frame(results: Sequence[Mapping[str, Any]]) -> pandas.DataFrame:
        """The results as a pandas DataFrame (see ``backtest_client.results_frame``)."""
        return results_frame(results)

    @staticmethod
    def equity_frame(result: Mapping[str, Any]) -> pandas.DataFrame:
        """A portfolio's equity by date (see ``backtest_client.equity_frame``)."""
        from ._frames import equity_frame

        return equity_frame(result)

    @staticmethod
    def orders_frame(result: Mapping[str, Any]) -> pandas.DataFrame:
        """A portfolio's orders by date (see ``backtest_client.orders_frame``)."""
        from ._frames import orders_frame

        return orders_frame(result)


def search_label(body: Mapping[str, Any]) -> str:
    """The progress bar's label: ``optimize GOOG``, ``optimize 3 tickers`` or ``optimize portfolio of 4``."""
    if isinstance(body.get("portfolio"), Mapping):
        return f"optimize portfolio of {len(body['portfolio'].get('tickers') or [])}"
    tickers = body.get("tickers")
    what = f"{len(tickers)} tickers" if isinstance(tickers, list) else str(body.get("backtest", {}).get("ticker"))
    return f"optimize {what}"


def _healthy(response: httpx.Response | Response) -> bool:
    if response.status_code != 200:
        return False
    try:
        return isinstance(json.loads(response.content), dict)
    except ValueError:
        return False


def _portfolio_outcome(item: Mapping[str, Any], body: Mapping[str, Any]) -> dict[str, Any]:
    """A portfolio job's item as ``run_portfolios`` returns it."""
    result = item.get("result")
    if isinstance(result, dict):
        return flat_portfolio(result, body)
    return flat_portfolio_error(item_error(item.get("error")), body)


def _missing(job_id: str, status: str) -> BacktestClientError:
    return BacktestClientError(
        f"job {job_id} ended ({status}) without a result for this item",
        code="cancelled" if status == "cancelled" else "item_failed",
    )


class BacktestingClient(_ClientBase):
    """A client of the Backtest server with the old ``run_remote_backtest.py`` interface.

    ``BacktestingClient()`` finds the server as the Swift client does (``BACKTEST_URL``, the
    config file, the discovery command, ``http://127.0.0.1:8000``; see README "Client
    configuration"); ``BacktestingClient(vm_ip="35.1.2.3")`` or ``base_url="http://h:8000"``
    (comma-separated for several servers) overrides it. Nothing is sent before the first call.

    Args:
        vm_ip: the server's address (``port`` applies; ``https`` when a CA certificate is
            configured or the config's server is ``https``).
        port: the port for ``vm_ip`` and for a discovered address without one (default 8000).
        base_url: server URL(s), comma-separated or a list; failover between them.
        api_key: the API key (else ``BACKTEST_API_KEY`` or the config's ``api_key``).
        ca_cert: a PEM CA file trusted besides the system's roots (else ``BACKTEST_CA_CERT``
            or the config's ``ca_cert``).
        timeout: the old single timeout: now the read timeout only (default 600 s).
        connect_timeout: seconds to establish a connection (default 30).
        read_timeout: seconds between bytes of a reply (default 600).
        retries: retries after the first attempt (default 3; backoff 1, 2, 4 s, full jitter).
        retry_policy: a ``RetryPolicy`` (overrides ``retries``).
        progress_bar: ``None`` (default): a tqdm bar when tqdm is installed and stderr is a
            terminal; ``True``/``False`` to force.
        config_file, environ, local_default, discovery_timeout: resolution inputs, for tests.
        sleep, random: the retry waits and the jitter draw, injectable for tests.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self._sleep is None:
            self._sleep = time.sleep
        self._pool = ConnectionPool(
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            context=lambda: ssl_context(self._core.ca_cert),
            max_idle=self.max_connections,
        )
        self._resolver.probe = self._probe  # resolution's probes share the pooled connections

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        """Closes the pooled connections. The client can be used again afterwards."""
        self._pool.close()

    def __enter__(self) -> BacktestingClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the generator driver ---------------------------------------------------------------

    def resolve(self) -> Resolution:
        """Resolves the endpoints now (otherwise done on first use) and says which step won."""
        core = self._core
        if core.resolution is None:
            with core.lock:
                if core.resolution is None:
                    core.install(self._resolver.resolve())
        assert core.resolution is not None
        return core.resolution

    def _drive(self, gen: _core.Gen) -> Any:
        value: Any = None
        error: BaseException | None = None
        while True:
            try:
                action = gen.throw(error) if error is not None else gen.send(value)
            except StopIteration as stop:
                return stop.value
            value = error = None
            kind = action[0]
            if kind == "http":
                try:
                    value = self._request(*action[1:])
                except BacktestClientError as e:
                    error = e
            elif kind == "sleep":
                self._sleep(action[1])  # type: ignore[misc]
            elif kind == "probe":
                value = self._probe(action[1])
            elif kind == "rediscover":
                value = self._rediscover()
            else:  # pragma: no cover
                raise RuntimeError(f"unknown action {kind}")

    def _request(
        self, endpoint: Endpoint, method: str, path: str, body: bytes | None, accept: str = "application/json"
    ) -> RawReply:
        try:
            response = self._pool.request(endpoint, method, path, body, self._headers(body, accept))
        except OSError as e:  # ssl.SSLError and the transport's errors are OSErrors
            raise self._core.transport_error(e, endpoint) from None
        return RawReply(
            response.status_code, retry_after_seconds(response.headers.get("retry-after")), response.content, endpoint
        )

    def _probe(self, endpoint: Endpoint) -> bool:
        try:
            return _healthy(self._pool.request(endpoint, "GET", "/health", timeout=self._core.probe_timeout))
        except OSError:
            return False

    def _rediscover(self) -> bool:
        core = self._core
        with core.lock:
            resolution = core.resolution
            if core.rediscovered or resolution is None or not resolution.discovery_command:
                return False
            core.rediscovered = True
            try:
                endpoint = self._resolver.discover(resolution.discovery_command)
            except BacktestClientError:
                return False
            if not self._probe(endpoint):
                return False
            core.install(
                replace(resolution, endpoints=[endpoint], reason=f"rediscovered {endpoint} with the discovery command")
            )
            return True

    def _run(self, gen: _core.Gen) -> Any:
        self.resolve()
        return self._drive(gen)

    # -- the API ------------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """``GET /health`` of the server (with retries)."""
        return self._run(self._core.get_json("/health", "Health"))  # type: ignore[no-any-return]

    def tickers(self) -> list[dict[str, Any]]:
        """The tickers the server has data for (``GET /v1/tickers``)."""
        return list(self._run(self._core.get_json("/v1/tickers", "TickerList")).get("tickers", []))

    def strategies(self) -> list[dict[str, Any]]:
        """The built-in strategies with their parameters (``GET /v1/strategies``)."""
        return list(self._run(self._core.get_json("/v1/strategies", "StrategyList")).get("strategies", []))

    def run_backtest(
        self,
        ticker: str,
        start_date: Any = None,
        end_date: Any = None,
        strategy: str = "sma_cross",
        params: Mapping[str, Any] | None = None,
        **engine_options: Any,
    ) -> dict[str, Any]:
        """Runs one backtest; returns the flat result dict (``ticker``, ``strategy``,
        ``start_date``, ``end_date``, ``params``, every statistic by its reference key:
        ``sharpe_ratio``, ``return_pct``, ``max_drawdown_pct``, ``trades``, ...).

        Engine options: ``cash``, ``commission``, ``spread``, ``margin``, ``trade_on_close``,
        ``hedging``, ``exclusive_orders``, ``finalize_trades``, ``sl_pct``, ``tp_pct``,
        ``include=["trades", "equity"]``. Raises a ``BacktestClientError`` naming the server
        and the reason (e.g. ``NotFoundError`` for an unknown ticker).
        """
        request = _core.build_request(ticker, start_date, end_date, strategy, params, engine_options)
        return flat_result(self._run(self._core.run_one(request)), request)

    def run_batch_backtests(
        self,
        tickers: str | Iterable[Any],
        start_date: Any = None,
        end_date: Any = None,
        parallel: bool = True,
        max_workers: int | None = 4,
        strategy: str = "sma_cross",
        params: Mapping[str, Any] | None = None,
        progress: ProgressCallback | None = None,
        **engine_options: Any,
    ) -> list[dict[str, Any]]:
        """Runs one backtest per ticker and returns one flat dict per ticker, in order. A
        failed ticker's dict has ``error`` (the reason), ``error_code`` and ``error_status``,
        and does not stop the others. Tickers are packed into ``POST /v1/backtests/batch``
        calls, ``max_workers`` in flight (1 when ``parallel`` is false). An item may also be
        a dict, a request of its own (``{"ticker": "AAPL", "params": {...}, ...}``).
        """
        requests = tickers_or_requests(tickers, start_date, end_date, strategy, params, engine_options)
        if not requests:
            return []
        self.resolve()
        core = self._core
        concurrency = concurrency_for(parallel, max_workers, len(requests))
        calls = _core.batch_calls(len(requests), concurrency, core.max_items_per_call)
        concurrency = min(concurrency, len(calls))
        logger.debug("batch of %d: %d calls, %d at a time", len(requests), len(calls), concurrency)
        outcomes: list[Any] = [None] * len(requests)
        flat: list[dict[str, Any] | None] = [None] * len(requests)
        bar = ProgressBar(len(requests), self.progress_bar)
        start = time.monotonic()
        done = failed = 0

        def record(finished: list[tuple[int, Any]]) -> None:
            nonlocal done, failed
            flats = []
            errors = 0
            for index, result in finished:
                if outcomes[index] is None:
                    outcomes[index] = result
                    errors += isinstance(result, BacktestClientError)
                    item = outcome_to_flat(result, requests[index])
                    flat[index] = item
                    flats.append(item)
            done += len(flats)
            failed += errors
            bar.update(len(flats), failed)
            if progress is not None:
                progress(Progress(done, len(requests), failed, time.monotonic() - start, flats))

        try:
            if concurrency <= 1:
                for call in calls:
                    record(self._drive(core.run_call(call, requests)))
            else:
                from concurrent.futures import ThreadPoolExecutor, as_completed

                with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="backtest") as executor:
                    futures = [executor.submit(self._drive, core.run_call(call, requests)) for call in calls]
                    for future in as_completed(futures):
                        record(future.result())
        finally:
            bar.close()
        for i, outcome in enumerate(outcomes):
            if outcome is None:
                outcomes[i] = BacktestClientError("the batch lost this item", code="missing_item")
                flat[i] = outcome_to_flat(outcomes[i], requests[i])
        return self._batch_outcome(outcomes, flat)

    # -- jobs -----------------------------------------------------------------------------------

    def submit_job(
        self,
        tickers: str | Iterable[Any],
        start_date: Any = None,
        end_date: Any = None,
        strategy: str = "sma_cross",
        params: Mapping[str, Any] | None = None,
        **engine_options: Any,
    ) -> str:
        """Submits an asynchronous job (``POST /v1/jobs``); returns its id."""
        requests = tickers_or_requests(tickers, start_date, end_date, strategy, params, engine_options)
        return str(self._run(self._core.submit_job(requests))["id"])

    def job_status(self, job_id: str) -> dict[str, Any]:
        """``GET /v1/jobs/{id}``: status, progress and, once ended, the results."""
        return self._run(self._core.job_status(job_id))  # type: ignore[no-any-return]

    def cancel_job(self, job_id: str) -> dict[str, Any] | None:
        """``POST /v1/jobs/{id}/cancel``: cancels the job and keeps its record (queued items are
        dropped, finished ones kept); returns its status."""
        return self._run(self._core.cancel_job(job_id))  # type: ignore[no-any-return]

    def delete_job(self, job_id: str) -> None:
        """``DELETE /v1/jobs/{id}``: cancels the job if it still runs, then removes it and its
        results; a later :meth:`job_status` raises a 404 ``ServerError``."""
        self._run(self._core.delete_job(job_id))

    def job_events(self, job_id: str) -> Iterator[tuple[str, str]]:
        """The job's server-sent events as ``(event, data)`` until the server ends the stream
        (``item`` per finished backtest, then ``done``). Not retried."""
        yield from self._events(f"/v1/jobs/{_core.job_segment(job_id)}/events")

    def _events(self, path: str) -> Iterator[tuple[str, str]]:
        """Server-sent events of ``path`` on the first endpoint, as ``(event, data)``."""
        self.resolve()
        endpoint = self._core.first_endpoint()
        try:
            reply = self._pool.stream(endpoint, "GET", path, self._headers(None, "text/event-stream"))
            try:
                if reply.status_code != 200:
                    raise status_error(RawReply(reply.status_code, None, reply.read(), endpoint))
                parser = _core.SSEParser()
                for chunk in reply.iter_raw():
                    yield from parser.feed(chunk)
            finally:
                reply.close()
        except OSError as e:  # ssl.SSLError and the transport's errors are OSErrors
            raise self._core.transport_error(e, endpoint) from None

    def run_job(
        self,
        tickers: str | Iterable[Any],
        start_date: Any = None,
        end_date: Any = None,
        strategy: str = "sma_cross",
        params: Mapping[str, Any] | None = None,
        progress: ProgressCallback | None = None,
        poll_interval: float = 0.5,
        **engine_options: Any,
    ) -> list[dict[str, Any]]:
        """Runs the backtests as a server-side job (``POST /v1/jobs``), follows its event
        stream (``GET /v1/jobs/{id}/events``) and returns the flat results in order, like
        ``run_batch_backtests``. ``progress`` is called after every finished item with a
        ``Progress`` (``done``, ``total``, ``failed``, ``elapsed``, ``results``). If the stream
        breaks, the job's status is polled until it ends."""
        requests = tickers_or_requests(tickers, start_date, end_date, strategy, params, engine_options)
        if not requests:
            return []
        job_id = str(self._run(self._core.submit_job(requests))["id"])
        outcomes: dict[int, Any] = {}
        bar = ProgressBar(len(requests), self.progress_bar, "job")
        start = time.monotonic()
        failed = 0
        status = "running"
        try:
            try:
                for event, data in self.job_events(job_id):
                    if event == "item":
                        prog, item = job_item(data)
                        index = item.get("index")
                        if not isinstance(index, int) or index in outcomes or not 0 <= index < len(requests):
                            continue
                        result = item.get("result")
                        outcome = result if isinstance(result, dict) else item_error(item.get("error"))
                        outcomes[index] = outcome
                        failed += isinstance(outcome, BacktestClientError)
                        bar.update(1, failed)
                        if progress is not None:
                            flat = outcome_to_flat(outcome, requests[index])
                            done = int(prog.get("done", len(outcomes))) if isinstance(prog, dict) else len(outcomes)
                            progress(Progress(done, len(requests), failed, time.monotonic() - start, [flat]))
                    elif event == "done":
                        try:
                            status = str(json.loads(data).get("status", "done"))
                        except (ValueError, AttributeError):
                            raise InvalidReplyError(
                                f"malformed 'done' event: {data[:80]}", code="invalid_reply"
                            ) from None
                        break
            except TransportError as e:
                logger.debug("job %s: event stream broke (%s); polling its status", job_id, e.message)
            if len(outcomes) < len(requests) or status not in _JOB_ENDED:
                doc = self.job_status(job_id)
                while doc.get("status") not in _JOB_ENDED:
                    time.sleep(poll_interval)
                    doc = self.job_status(job_id)
                status = str(doc.get("status"))
                for item in doc.get("results") or []:
                    index = item.get("index")
                    if isinstance(index, int) and 0 <= index < len(requests) and index not in outcomes:
                        result = item.get("result")
                        outcomes[index] = result if isinstance(result, dict) else item_error(item.get("error"))
                        failed += isinstance(outcomes[index], BacktestClientError)
                        bar.update(1, failed)
        finally:
            bar.close()
        ordered = [outcomes.get(i) or _missing(job_id, status) for i in range(len(requests))]
        return [
            flat_error(o, r) if isinstance(o, BacktestClientError) else flat_result(o, r)
            for o, r in zip(ordered, requests)
        ]

    def submit_portfolio_job(self, portfolios: Iterable[Any]) -> str:
        """Submits many portfolio backtests as one job (``POST /v1/jobs`` with ``portfolios``);
        returns its id. Each entry is a ``POST /v1/portfolios`` body or ``run_portfolio``'s
        arguments as a dict (see :meth:`run_portfolios`)."""
        bodies = [job_portfolio(entry, i) for i, entry in enumerate(portfolios)]
        if not bodies:
            raise ValueError("portfolios is empty: give at least one portfolio")
        return str(self._run(self._core.submit_portfolio_job(bodies))["id"])

    def run_portfolios(
        self,
        portfolios: Iterable[Any],
        progress: ProgressCallback | None = None,
        poll_interval: float = 0.5,
    ) -> list[dict[str, Any]]:
        """Runs many portfolio backtests as one server-side job (``POST /v1/jobs`` with
        ``portfolios``: the items spread over every node of a cluster) and returns one flat dict
        per portfolio, in order, like ``run_portfolio``'s; a portfolio that failed has ``error``,
        ``error_code`` and ``error_status`` instead of statistics. Each entry is a ``POST
        /v1/portfolios`` body (``{"tickers": [...], "allocation": {"type": "equal"}, "schedule":
        {"type": "monthly"}}``) or ``run_portfolio``'s arguments as a dict (``{"tickers": [...],
        "allocation": "fixed", "weights": {"AAPL": 0.6, "MSFT": 0.4}, "rebalance": "quarterly"}``);
        a bad entry is a ``ValueError`` naming ``portfolios[i]`` before anything is sent.
        ``progress`` is called after every finished item; if the event stream breaks, the job's
        status is polled until it ends."""
        bodies = [job_portfolio(entry, i) for i, entry in enumerate(portfolios)]
        if not bodies:
            return []
        job_id = str(self._run(self._core.submit_portfolio_job(bodies))["id"])
        bar = ProgressBar(len(bodies), self.progress_bar, "job")
        start = time.monotonic()
        seen: set[int] = set()
        failed = 0
        try:
            try:
                for event, data in self.job_events(job_id):
                    if event == "done":
                        break
                    if event != "item":
                        continue
                    prog, item = job_item(data)
                    index = item.get("index")
                    if not isinstance(index, int) or index in seen or not 0 <= index < len(bodies):
                        continue
                    seen.add(index)
                    flat = _portfolio_outcome(item, bodies[index])
                    failed += "error" in flat
                    bar.update(1, failed)
                    if progress is not None:
                        done = int(prog.get("done", len(seen))) if isinstance(prog, dict) else len(seen)
                        progress(Progress(done, len(bodies), failed, time.monotonic() - start, [flat]))
            except TransportError as e:
                logger.debug("portfolio job %s: event stream broke (%s); polling its status", job_id, e.message)
            doc = self.job_status(job_id)
            while doc.get("status") not in _JOB_ENDED:
                time.sleep(poll_interval)
                doc = self.job_status(job_id)
        finally:
            bar.close()
        items = {item.get("index"): item for item in doc.get("results") or [] if isinstance(item, dict)}
        status = str(doc.get("status"))
        return [
            _portfolio_outcome(items[i], body) if i in items else flat_portfolio_error(_missing(job_id, status), body)
            for i, body in enumerate(bodies)
        ]

    # -- searches -------------------------------------------------------------------------------

    def optimize(
        self,
        ticker: str | Sequence[str] | None = None,
        start_date: Any = None,
        end_date: Any = None,
        strategy: str | None = None,
        params: Mapping[str, Any] | None = None,
        *,
        grid: Mapping[str, Any],
        rules: str | None = None,
        constraint: str | None = None,
        maximize: str | None = None,
        minimize: str | None = None,
        method: str | None = None,
        max_tries: int | None = None,
        seed: int | None = None,
        stats: Iterable[str] | None = None,
        top: int | None = None,
        walk_forward: str | Mapping[str, Any] | None = None,
        min_trades: int | None = None,
        portfolio: Mapping[str, Any] | None = None,
        robustness_blocks: int | None = None,
        heatmap: bool = True,
        progress: bool | ProgressCallback | None = None,
        poll_interval: float = 0.5,
        **engine_options: Any,
    ) -> OptimizationResult:
        """Searches a strategy's parameters on the server (``POST /v1/optimizations``) and
        returns an ``OptimizationResult`` (``best``, ``top``, ``heatmap``, ``robustness``,
        ``raw``, ``report()``, ``page()``).

        ``ticker`` is one ticker or a list (the same search on each, ranked by mean
        objective). ``strategy`` names a built-in (default ``sma_cross``) or ``rules=`` gives a
        program. ``grid`` maps each parameter to its values, the first outermost: a ``range``,
        a list of numbers or booleans, one value, or a ``"LO..HI:STEP"`` string (a bad grid is
        a ``ValueError`` naming the key, raised before anything is sent). ``constraint``
        (``"fast < slow"``), ``maximize``/``minimize`` (a statistic's key; default ``sqn``),
        ``method`` (``grid`` or ``random`` with ``max_tries`` and ``seed``), ``stats``,
        ``top`` and ``walk_forward`` (``"train=500,test=250"`` or a dict) are the server's;
        ``min_trades`` makes combinations with fewer trades ineligible (default 0; the result's
        ``warnings`` say when the winner has fewer than 10). ``robustness_blocks`` sets the CSCV
        blocks S of the ``robustness`` block (even, 2 to 16; default: the largest even S ≤ 16
        with C(S, S/2) × combinations ≤ 2,500,000, so 16 up to 194 combinations).
        Engine options as ``run_backtest``'s.

        ``portfolio=`` searches a portfolio instead (``POST /v1/optimizations`` with
        ``portfolio``): a ``POST /v1/portfolios`` body, or ``run_portfolio``'s arguments as a
        dict (``{"tickers": [...], "start_date": ..., "allocation": "momentum", "rebalance":
        "monthly"}``; a lookback, top or every-N-bars schedule on the grid may be left out).
        The grid varies ``lookback``, ``top``, ``every`` and ``commission`` (those the
        portfolio has); the objective defaults to ``sharpe_ratio``; ``walk_forward`` counts its
        calendar bars. It goes alone: a ticker, dates, strategy, params or engine options
        beside it is a ``ValueError`` naming it, as is a grid key the portfolio does not have.

        Progress (``progress=None``): a ``tqdm.auto`` bar in a terminal or Jupyter when tqdm
        is installed; ``True``/``False`` forces it; a callable gets a ``Progress`` after
        each finished unit instead. ``heatmap=False`` skips fetching the heatmap CSV. Ctrl-C
        cancels the search on the server. A failed search raises its error.
        """
        body, axes = optimization_request(
            ticker,
            start_date,
            end_date,
            strategy=strategy,
            rules=rules,
            params=params,
            grid=grid,
            constraint=constraint,
            maximize=maximize,
            minimize=minimize,
            method=method,
            max_tries=max_tries,
            seed=seed,
            stats=stats,
            top=top,
            walk_forward=walk_forward,
            options=engine_options,
            min_trades=min_trades,
            portfolio=portfolio,
            robustness_blocks=robustness_blocks,
        )
        created = self._run(self._core.submit_optimization(body))
        search_id = str(created["id"])
        bar = AutoProgressBar(None if callable(progress) else progress, search_label(body))
        callback = progress if callable(progress) else None
        try:
            doc = self._follow_search(search_id, bar, callback, poll_interval)
        except KeyboardInterrupt:
            try:
                self.cancel_optimization(search_id)
            except BacktestClientError:
                pass
            raise
        finally:
            bar.close()
        search_outcome(doc)
        csv = self._run(self._core.optimization_heatmap(search_id)) if heatmap else None
        return OptimizationResult(self, doc, body, axes, csv)

    def _follow_search(
        self, search_id: str, bar: AutoProgressBar, callback: ProgressCallback | None, poll_interval: float
    ) -> dict[str, Any]:
        start = time.monotonic()
        try:
            for event, data in self.optimization_events(search_id):
                if event == "progress":
                    done_total = search_progress(data)
                    if done_total is not None:
                        bar.update_to(*done_total)
                        if callback is not None:
                            callback(Progress(done_total[0], done_total[1], 0, time.monotonic() - start))
                elif event == "done":
                    break
        except TransportError as e:
            logger.debug("search %s: event stream broke (%s); polling its status", search_id, e.message)
        doc = self.optimization_status(search_id)
        while doc.get("status") not in _JOB_ENDED:
            time.sleep(poll_interval)
            doc = self.optimization_status(search_id)
        progress = doc.get("progress")
        if isinstance(progress, dict) and isinstance(progress.get("done"), int):
            bar.update_to(int(progress["done"]), int(progress.get("total") or progress["done"]))
        return doc

    def optimization_status(self, search_id: str) -> dict[str, Any]:
        """``GET /v1/optimizations/{id}``: state, progress, and the result once done."""
        return self._run(self._core.optimization_status(search_id))  # type: ignore[no-any-return]

    def cancel_optimization(self, search_id: str) -> dict[str, Any]:
        """``POST /v1/optimizations/{id}/cancel``: cancels the search and keeps its record."""
        return self._run(self._core.cancel_optimization(search_id))  # type: ignore[no-any-return]

    def delete_optimization(self, search_id: str) -> None:
        """``DELETE /v1/optimizations/{id}``: cancels the search if it still runs, then removes it."""
        self._run(self._core.delete_optimization(search_id))

    def optimization_events(self, search_id: str) -> Iterator[tuple[str, str]]:
        """The search's server-sent events (``progress`` per finished unit, then ``done``)."""
        yield from self._events(f"/v1/optimizations/{_core.job_segment(search_id)}/events")

    def optimization_page(self, search_id: str, *, height: int | None = None) -> Report:
        """A finished search's page (``GET /v1/optimizations/{id}/report``) as a ``Report``."""
        return Report(self._run(self._core.optimization_page(search_id)), height=height)

    # -- reports --------------------------------------------------------------------------------

    def report(
        self,
        ticker: str,
        start_date: Any = None,
        end_date: Any = None,
        strategy: str | None = None,
        params: Mapping[str, Any] | None = None,
        *,
        rules: str | None = None,
        height: int | None = None,
        **engine_options: Any,
    ) -> Report:
        """One backtest's interactive report (``POST /v1/reports``, the arguments of
        ``run_backtest``, or ``rules=``) as a ``Report``: inline in Jupyter, ``.save(path)``,
        ``.html``."""
        body = backtest_body(ticker, start_date, end_date, strategy, rules, params, engine_options)
        return self._report_body(body, height=height)

    def _report_body(self, body: Mapping[str, Any], *, height: int | None = None) -> Report:
        return Report(self._run(self._core.backtest_report(body)), height=height)

    def job_report(self, job_id: str, item: int | None = None, *, height: int | None = None) -> Report:
        """A finished job's page (``GET /v1/jobs/{id}/report``), or with ``item=N`` that item's
        own backtest report (a portfolio job's item: that portfolio's page)."""
        return Report(self._run(self._core.job_page(job_id, item)), height=height)

    # -- portfolios -----------------------------------------------------------------------------

    def run_portfolio(
        self,
        tickers: str | Iterable[str],
        start_date: Any = None,
        end_date: Any = None,
        allocation: str = "equal",
        rebalance: str | int | Mapping[str, Any] | None = None,
        weights: Any = None,
        lookback: int | None = None,
        top: int | None = None,
        cash: float | None = None,
        commission: float | None = None,
        fractional: bool | None = None,
        trade_on_close: bool | None = None,
        include: Iterable[str] | None = None,
    ) -> dict[str, Any]:
        """One portfolio backtest over several tickers (``POST /v1/portfolios``); returns a
        flat dict like ``run_backtest``'s (see ``backtest_client.flat_portfolio``).

        ``allocation``: ``equal`` (default), ``fixed`` (``weights={"AAPL": 0.6, ...}``),
        ``weights`` (dated: ``weights={"2020-01-01": {"AAPL": 1.0}, ...}``), ``momentum``
        (``lookback=`` bars, ``top=`` tickers) or ``inverse_volatility`` (``lookback=``).
        ``rebalance``: ``monthly`` (default), ``weekly``, ``quarterly``, ``never`` or a number
        of bars. ``include``: any of ``orders``, ``equity``, ``weights`` (then
        ``equity_frame``/``orders_frame`` apply)."""
        body = portfolio_request(
            tickers,
            start_date,
            end_date,
            allocation=allocation,
            rebalance=rebalance,
            weights=weights,
            lookback=lookback,
            top=top,
            cash=cash,
            commission=commission,
            fractional=fractional,
            trade_on_close=trade_on_close,
            include=include,
        )
        return flat_portfolio(self._run(self._core.run_portfolio(body)), body)
