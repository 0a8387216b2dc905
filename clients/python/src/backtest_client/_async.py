"""``AsyncBacktestingClient``: the same methods as ``BacktestingClient``, as coroutines, on
``httpx.AsyncClient``. The request, retry, failover and batch rules are the same code
(``_core``), driven with ``await``."""

from __future__ import annotations

import asyncio
import inspect
import json
import ssl
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import httpx

from . import _core
from ._client import (
    _JOB_ENDED,
    _ClientBase,
    _healthy,
    _missing,
    _portfolio_outcome,
    plain_context,
    search_label,
    ssl_context,
)
from ._core import (
    Progress,
    RawReply,
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
from ._resolve import Resolution
from ._results import AutoProgressBar, ProgressBar
from ._search import AsyncOptimizationResult, backtest_body, optimization_request

__all__ = ["AsyncBacktestingClient"]


class _LazyAsyncHTTPS(httpx.AsyncBaseTransport):
    """The https transport, created (with its SSL context) on first use."""

    def __init__(self, factory: Callable[[], httpx.AsyncBaseTransport]) -> None:
        self._factory = factory
        self._transport: httpx.AsyncBaseTransport | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._transport is None:
            self._transport = self._factory()
        return await self._transport.handle_async_request(request)

    async def aclose(self) -> None:
        if self._transport is not None:
            await self._transport.aclose()


class AsyncBacktestingClient(_ClientBase):
    """``BacktestingClient``'s interface as coroutines::

        async with AsyncBacktestingClient() as client:
            result = await client.run_backtest("AAPL", "2020-01-01", "2020-12-31")
            results = await client.run_batch_backtests(["AAPL", "MSFT"], "2020-01-01", "2020-12-31")
            client.print_summary(results)

    Same arguments as ``BacktestingClient``; ``sleep`` may be a coroutine function (default
    ``asyncio.sleep``). Resolution (which may run the discovery command) runs in a thread.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self._sleep is None:
            self._sleep = asyncio.sleep
        self._client: httpx.AsyncClient | None = None
        self._resolve_lock: asyncio.Lock | None = None

    async def close(self) -> None:
        """Closes the pooled connections."""
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()

    aclose = close

    async def __aenter__(self) -> AsyncBacktestingClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            limits = self._limits()
            ca = self._core.ca_cert
            self._client = httpx.AsyncClient(
                transport=httpx.AsyncHTTPTransport(verify=plain_context(), limits=limits, trust_env=False),
                mounts={
                    "https://": _LazyAsyncHTTPS(
                        lambda: httpx.AsyncHTTPTransport(verify=ssl_context(ca), limits=limits, trust_env=False)
                    )
                },
                timeout=self._timeout(),
                trust_env=False,
                follow_redirects=False,
            )
        return self._client

    async def resolve(self) -> Resolution:
        """Resolves the endpoints now (otherwise done on first use)."""
        core = self._core
        if core.resolution is None:
            if self._resolve_lock is None:
                self._resolve_lock = asyncio.Lock()
            async with self._resolve_lock:
                if core.resolution is None:
                    core.install(await asyncio.to_thread(self._resolver.resolve))
        assert core.resolution is not None
        return core.resolution

    async def _drive(self, gen: _core.Gen) -> Any:
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
                    value = await self._request(*action[1:])
                except BacktestClientError as e:
                    error = e
            elif kind == "sleep":
                waited = self._sleep(action[1])  # type: ignore[misc]
                if inspect.isawaitable(waited):
                    await waited
            elif kind == "probe":
                value = await self._probe(action[1])
            elif kind == "rediscover":
                value = await self._rediscover()
            else:  # pragma: no cover
                raise RuntimeError(f"unknown action {kind}")

    async def _request(
        self, endpoint: Endpoint, method: str, path: str, body: bytes | None, accept: str = "application/json"
    ) -> RawReply:
        try:
            response = await self._http().request(
                method, endpoint.url + path, content=body, headers=self._headers(body, accept)
            )
        except (httpx.HTTPError, OSError, ssl.SSLError) as e:
            raise self._core.transport_error(e, endpoint) from None
        return RawReply(
            response.status_code, retry_after_seconds(response.headers.get("retry-after")), response.content, endpoint
        )

    async def _probe(self, endpoint: Endpoint) -> bool:
        try:
            return _healthy(await self._http().get(endpoint.url + "/health", timeout=self._core.probe_timeout))
        except (httpx.HTTPError, OSError, ssl.SSLError):
            return False

    async def _rediscover(self) -> bool:
        core = self._core
        resolution = core.resolution
        if core.rediscovered or resolution is None or not resolution.discovery_command:
            return False
        core.rediscovered = True
        try:
            endpoint = await asyncio.to_thread(self._resolver.discover, resolution.discovery_command)
        except BacktestClientError:
            return False
        if not await self._probe(endpoint):
            return False
        core.install(
            replace(resolution, endpoints=[endpoint], reason=f"rediscovered {endpoint} with the discovery command")
        )
        return True

    async def _run(self, gen: _core.Gen) -> Any:
        await self.resolve()
        return await self._drive(gen)

    # -- the API ------------------------------------------------------------------------------

    async def health(self) -> dict[str, Any]:
        return await self._run(self._core.get_json("/health", "Health"))  # type: ignore[no-any-return]

    async def tickers(self) -> list[dict[str, Any]]:
        return list((await self._run(self._core.get_json("/v1/tickers", "TickerList"))).get("tickers", []))

    async def strategies(self) -> list[dict[str, Any]]:
        return list((await self._run(self._core.get_json("/v1/strategies", "StrategyList"))).get("strategies", []))

    async def run_backtest(
        self,
        ticker: str,
        start_date: Any = None,
        end_date: Any = None,
        strategy: str = "sma_cross",
        params: Mapping[str, Any] | None = None,
        **engine_options: Any,
    ) -> dict[str, Any]:
        """See ``BacktestingClient.run_backtest``."""
        request = _core.build_request(ticker, start_date, end_date, strategy, params, engine_options)
        return flat_result(await self._run(self._core.run_one(request)), request)

    async def run_batch_backtests(
        self,
        tickers: str | Iterable[Any],
        start_date: Any = None,
        end_date: Any = None,
        parallel: bool = True,
        max_workers: int | None = 4,
        strategy: str = "sma_cross",
        params: Mapping[str, Any] | None = None,
        progress: Callable[[Progress], Any] | None = None,
        **engine_options: Any,
    ) -> list[dict[str, Any]]:
        """See ``BacktestingClient.run_batch_backtests``; ``max_workers`` calls in flight."""
        requests = tickers_or_requests(tickers, start_date, end_date, strategy, params, engine_options)
        if not requests:
            return []
        await self.resolve()
        core = self._core
        concurrency = concurrency_for(parallel, max_workers, len(requests))
        calls = _core.batch_calls(len(requests), concurrency, core.max_items_per_call)
        concurrency = min(concurrency, len(calls))
        outcomes: list[Any] = [None] * len(requests)
        flat: list[dict[str, Any] | None] = [None] * len(requests)
        bar = ProgressBar(len(requests), self.progress_bar)
        start = time.monotonic()
        done = failed = 0
        semaphore = asyncio.Semaphore(concurrency)

        async def one(call: range) -> list[tuple[int, Any]]:
            async with semaphore:
                return await self._drive(core.run_call(call, requests))  # type: ignore[no-any-return]

        tasks = [asyncio.ensure_future(one(call)) for call in calls]
        try:
            for next_done in asyncio.as_completed(tasks):
                finished = await next_done
                flats = []
                for index, result in finished:
                    if outcomes[index] is None:
                        outcomes[index] = result
                        failed += isinstance(result, BacktestClientError)
                        item = outcome_to_flat(result, requests[index])
                        flat[index] = item
                        flats.append(item)
                done += len(flats)
                bar.update(len(flats), failed)
                if progress is not None:
                    called = progress(Progress(done, len(requests), failed, time.monotonic() - start, flats))
                    if inspect.isawaitable(called):
                        await called
        finally:
            for task in tasks:
                task.cancel()
            bar.close()
        for i, outcome in enumerate(outcomes):
            if outcome is None:
                outcomes[i] = BacktestClientError("the batch lost this item", code="missing_item")
                flat[i] = outcome_to_flat(outcomes[i], requests[i])
        return self._batch_outcome(outcomes, flat)

    async def submit_job(
        self,
        tickers: str | Iterable[Any],
        start_date: Any = None,
        end_date: Any = None,
        strategy: str = "sma_cross",
        params: Mapping[str, Any] | None = None,
        **engine_options: Any,
    ) -> str:
        requests = tickers_or_requests(tickers, start_date, end_date, strategy, params, engine_options)
        return str((await self._run(self._core.submit_job(requests)))["id"])

    async def job_status(self, job_id: str) -> dict[str, Any]:
        return await self._run(self._core.job_status(job_id))  # type: ignore[no-any-return]

    async def cancel_job(self, job_id: str) -> dict[str, Any] | None:
        return await self._run(self._core.cancel_job(job_id))  # type: ignore[no-any-return]

    async def delete_job(self, job_id: str) -> None:
        await self._run(self._core.delete_job(job_id))

    async def job_events(self, job_id: str) -> AsyncIterator[tuple[str, str]]:
        """The job's server-sent events as ``(event, data)``; not retried."""
        events = self._events(f"/v1/jobs/{_core.job_segment(job_id)}/events")
        try:
            async for event in events:
                yield event
        finally:
            await events.aclose()  # type: ignore[attr-defined]

    async def _events(self, path: str) -> AsyncIterator[tuple[str, str]]:
        """Server-sent events of ``path`` on the first endpoint, as ``(event, data)``."""
        await self.resolve()
        endpoint = self._core.first_endpoint()
        url = f"{endpoint.url}{path}"
        try:
            async with self._http().stream("GET", url, headers=self._headers(None, "text/event-stream")) as response:
                if response.status_code != 200:
                    await response.aread()
                    raise status_error(RawReply(response.status_code, None, response.content, endpoint))
                parser = _core.SSEParser()
                async for chunk in response.aiter_raw():
                    for event in parser.feed(chunk):
                        yield event
        except (httpx.HTTPError, OSError, ssl.SSLError) as e:
            raise self._core.transport_error(e, endpoint) from None

    async def run_job(
        self,
        tickers: str | Iterable[Any],
        start_date: Any = None,
        end_date: Any = None,
        strategy: str = "sma_cross",
        params: Mapping[str, Any] | None = None,
        progress: Callable[[Progress], Any] | None = None,
        poll_interval: float = 0.5,
        **engine_options: Any,
    ) -> list[dict[str, Any]]:
        """See ``BacktestingClient.run_job``."""
        requests = tickers_or_requests(tickers, start_date, end_date, strategy, params, engine_options)
        if not requests:
            return []
        job_id = str((await self._run(self._core.submit_job(requests)))["id"])
        outcomes: dict[int, Any] = {}
        bar = ProgressBar(len(requests), self.progress_bar, "job")
        start = time.monotonic()
        failed = 0
        status = "running"
        try:
            try:
                events = self.job_events(job_id)
                async for event, data in events:
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
                            called = progress(Progress(done, len(requests), failed, time.monotonic() - start, [flat]))
                            if inspect.isawaitable(called):
                                await called
                    elif event == "done":
                        try:
                            status = str(json.loads(data).get("status", "done"))
                        except (ValueError, AttributeError):
                            raise InvalidReplyError(
                                f"malformed 'done' event: {data[:80]}", code="invalid_reply"
                            ) from None
                        break
                await events.aclose()  # type: ignore[attr-defined]
            except TransportError as e:
                logger.debug("job %s: event stream broke (%s); polling its status", job_id, e.message)
            if len(outcomes) < len(requests) or status not in _JOB_ENDED:
                doc = await self.job_status(job_id)
                while doc.get("status") not in _JOB_ENDED:
                    await asyncio.sleep(poll_interval)
                    doc = await self.job_status(job_id)
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

    async def submit_portfolio_job(self, portfolios: Iterable[Any]) -> str:
        """See ``BacktestingClient.submit_portfolio_job``."""
        bodies = [job_portfolio(entry, i) for i, entry in enumerate(portfolios)]
        if not bodies:
            raise ValueError("portfolios is empty: give at least one portfolio")
        return str((await self._run(self._core.submit_portfolio_job(bodies)))["id"])

    async def run_portfolios(
        self,
        portfolios: Iterable[Any],
        progress: Callable[[Progress], Any] | None = None,
        poll_interval: float = 0.5,
    ) -> list[dict[str, Any]]:
        """See ``BacktestingClient.run_portfolios``."""
        bodies = [job_portfolio(entry, i) for i, entry in enumerate(portfolios)]
        if not bodies:
            return []
        job_id = str((await self._run(self._core.submit_portfolio_job(bodies)))["id"])
        bar = ProgressBar(len(bodies), self.progress_bar, "job")
        start = time.monotonic()
        seen: set[int] = set()
        failed = 0
        try:
            try:
                events = self.job_events(job_id)
                async for event, data in events:
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
                        called = progress(Progress(done, len(bodies), failed, time.monotonic() - start, [flat]))
                        if inspect.isawaitable(called):
                            await called
                await events.aclose()  # type: ignore[attr-defined]
            except TransportError as e:
                logger.debug("portfolio job %s: event stream broke (%s); polling its status", job_id, e.message)
            doc = await self.job_status(job_id)
            while doc.get("status") not in _JOB_ENDED:
                await asyncio.sleep(poll_interval)
                doc = await self.job_status(job_id)
        finally:
            bar.close()
        items = {item.get("index"): item for item in doc.get("results") or [] if isinstance(item, dict)}
        status = str(doc.get("status"))
        return [
            _portfolio_outcome(items[i], body) if i in items else flat_portfolio_error(_missing(job_id, status), body)
            for i, body in enumerate(bodies)
        ]

    # -- searches, reports, portfolios (see BacktestingClient) -----------------------------------

    async def optimize(
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
        progress: bool | Callable[[Progress], Any] | None = None,
        poll_interval: float = 0.5,
        **engine_options: Any,
    ) -> AsyncOptimizationResult:
        """See ``BacktestingClient.optimize``; the result's ``report()`` and ``page()`` are
        coroutines. Cancelling the task cancels the search on the server."""
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
        created = await self._run(self._core.submit_optimization(body))
        search_id = str(created["id"])
        bar = AutoProgressBar(None if callable(progress) else progress, search_label(body))
        callback = progress if callable(progress) else None
        try:
            doc = await self._follow_search(search_id, bar, callback, poll_interval)
        except (asyncio.CancelledError, KeyboardInterrupt):
            try:
                await asyncio.shield(self.cancel_optimization(search_id))
            except (BacktestClientError, asyncio.CancelledError):
                pass
            raise
        finally:
            bar.close()
        search_outcome(doc)
        csv = await self._run(self._core.optimization_heatmap(search_id)) if heatmap else None
        return AsyncOptimizationResult(self, doc, body, axes, csv)

    async def _follow_search(
        self, search_id: str, bar: AutoProgressBar, callback: Callable[[Progress], Any] | None, poll_interval: float
    ) -> dict[str, Any]:
        start = time.monotonic()
        try:
            events = self.optimization_events(search_id)
            try:
                async for event, data in events:
                    if event == "progress":
                        done_total = search_progress(data)
                        if done_total is not None:
                            bar.update_to(*done_total)
                            if callback is not None:
                                called = callback(Progress(done_total[0], done_total[1], 0, time.monotonic() - start))
                                if inspect.isawaitable(called):
                                    await called
                    elif event == "done":
                        break
            finally:
                await events.aclose()  # type: ignore[attr-defined]
        except TransportError as e:
            logger.debug("search %s: event stream broke (%s); polling its status", search_id, e.message)
        doc = await self.optimization_status(search_id)
        while doc.get("status") not in _JOB_ENDED:
            await asyncio.sleep(poll_interval)
            doc = await self.optimization_status(search_id)
        progress = doc.get("progress")
        if isinstance(progress, dict) and isinstance(progress.get("done"), int):
            bar.update_to(int(progress["done"]), int(progress.get("total") or progress["done"]))
        return doc

    async def optimization_status(self, search_id: str) -> dict[str, Any]:
        return await self._run(self._core.optimization_status(search_id))  # type: ignore[no-any-return]

    async def cancel_optimization(self, search_id: str) -> dict[str, Any]:
        return await self._run(self._core.cancel_optimization(search_id))  # type: ignore[no-any-return]

    async def delete_optimization(self, search_id: str) -> None:
        await self._run(self._core.delete_optimization(search_id))

    async def optimization_events(self, search_id: str) -> AsyncIterator[tuple[str, str]]:
        events = self._events(f"/v1/optimizations/{_core.job_segment(search_id)}/events")
        try:
            async for event in events:
                yield event
        finally:
            await events.aclose()  # type: ignore[attr-defined]

    async def optimization_page(self, search_id: str, *, height: int | None = None) -> Report:
        return Report(await self._run(self._core.optimization_page(search_id)), height=height)

    async def report(
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
        """See ``BacktestingClient.report``."""
        body = backtest_body(ticker, start_date, end_date, strategy, rules, params, engine_options)
        return await self._report_body(body, height=height)

    async def _report_body(self, body: Mapping[str, Any], *, height: int | None = None) -> Report:
        return Report(await self._run(self._core.backtest_report(body)), height=height)

    async def job_report(self, job_id: str, item: int | None = None, *, height: int | None = None) -> Report:
        return Report(await self._run(self._core.job_page(job_id, item)), height=height)

    async def run_portfolio(
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
        """See ``BacktestingClient.run_portfolio``."""
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
        return flat_portfolio(await self._run(self._core.run_portfolio(body)), body)
