#!/usr/bin/env python3
"""A stand-in for `backtest serve` that serves dashboard.html and made-up API replies, to develop
and test the dashboard without the server.

    dashboard_mock.py [--port 8765] [--key KEY] [--no-jobs] [--cycle 30]

Prints `listening on http://127.0.0.1:PORT` first, as the server does (--port 0: any free port).

    GET /                                    dashboard.html, with dashboard.csp.txt as its CSP header
    GET /health                              status, version, uptime, workers, in flight, queued
    GET /v1/strategies, /v1/tickers          three strategies, five tickers
    GET /v1/jobs?limit=N                     eight jobs, newest first: a search queued that starts
                                             after 2 s, a batch and a portfolio job running, done,
                                             failed and cancelled ones
    GET /v1/jobs/ID/events                   Server-Sent Events: item / progress ... done
    GET /v1/optimizations/ID/events          (a finished job: done at once)
    GET /v1/jobs/ID/report                   a batch page ("report_fetch": true, rows linking to
                                             /v1/jobs/ID/items/TICKER/report)
    GET /v1/jobs/ID/items/TICKER/report      a backtest report
    GET /v1/optimizations/ID/report          an optimisation page

The pages are read from Sources/BacktestReport/Resources at each request (rebuild, reload) and
sent with their CSP header. With --key every /v1/ route wants `Authorization: Bearer KEY` and
answers 401 application/problem+json without it; a request whose URL holds the key is recorded
(`server.leaks`; printed to stderr). The running jobs start over every --cycle seconds (0: they
run once). From Python: `start(key=None, jobs=True, cycle=0, extra_kind=None)` returns the server
(`.url`, `.leaks`, `.shutdown()`); `extra_kind` adds a ninth job, done, of that kind (one the
dashboard does not know, for the checker). Python 3 standard library only.
"""
import argparse
import http.server
import json
import os
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RES = os.path.join(ROOT, "Sources", "BacktestReport", "Resources")
sys.path.insert(0, HERE)
import fill  # noqa: E402
import samples  # noqa: E402

STRATEGIES = [
    {"name": "sma_cross", "description": "Long when the fast simple moving average is above the slow one.",
     "parameters": [
         {"name": "fast", "type": "int", "default": 10, "minimum": 2, "maximum": 200, "description": "fast SMA period"},
         {"name": "slow", "type": "int", "default": 30, "minimum": 3, "maximum": 400, "description": "slow SMA period"}]},
    {"name": "rsi_reversion", "description": "Buys when RSI falls below the lower level, sells above the upper one.",
     "parameters": [
         {"name": "period", "type": "int", "default": 14, "minimum": 2, "maximum": 100, "description": "RSI period"},
         {"name": "lower", "type": "float", "default": 30, "minimum": 0, "maximum": 100, "description": "buy level"},
         {"name": "upper", "type": "float", "default": 70, "minimum": 0, "maximum": 100, "description": "sell level"}]},
    {"name": "macd_cross", "description": "MACD line crossing its signal line <b>not bold</b>.",
     "parameters": [{"name": "allow_short", "type": "bool", "default": False, "description": "also go short"}]},
]
TICKERS = [
    {"ticker": t, "first": "2015-01-02T00:00:00", "last": "2024-12-31T00:00:00", "bars": 2516, "source": "bundled"}
    for t in ("AAPL", "AMZN", "GOOG", "MSFT", "NVDA")
]
BATCH_TICKERS = ["AAPL", "MSFT", "GOOG", "AMZN", "NVDA", "META", "NFLX", "ORCL", "IBM", "INTC", "AMD", "QCOM"]


class Mock(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, addr, key=None, jobs=True, cycle=0, extra_kind=None):
        super().__init__(addr, Handler)
        self.key, self.with_jobs, self.cycle, self.extra_kind = key, jobs, cycle, extra_kind
        self.t0 = time.time()
        self.leaks = []
        self.url = f"http://127.0.0.1:{self.server_address[1]}/"

    def clock(self):
        t = time.time() - self.t0
        return t % self.cycle if self.cycle else t

    def jobs(self):
        """The jobs now, newest first."""
        if not self.with_jobs:
            return []
        t = self.clock()
        created = lambda ago: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - ago))

        def job(jid, kind, status, done, total, ago):
            base = f"/v1/optimizations/{jid}" if kind == "optimization" else f"/v1/jobs/{jid}"
            return {"id": jid, "kind": kind, "status": status, "progress": {"done": done, "total": total},
                    "created_at": created(ago), "status_url": base, "events_url": base + "/events",
                    "report_url": base + "/report"}

        run_done = min(12, int(t / 0.4))
        opt_done = 0 if t < 2 else min(40, int((t - 2) * 10))
        pf_done = min(8, int(t / 1.5))
        return [
            job("job-opt-live", "optimization", "queued" if t < 2 else "running" if opt_done < 40 else "done", opt_done, 40, 5),
            job("job-run-live", "backtests", "running" if run_done < 12 else "done", run_done, 12, 20),
            job("job-portfolios-live", "portfolios", "running" if pf_done < 8 else "done", pf_done, 8, 30),
            job("job-done-1", "backtests", "done", 6, 6, 600),
            job("job-opt-done", "optimization", "done", 200, 200, 1800),
            job("job-portfolios-done", "portfolios", "done", 3, 3, 2400),
            job("job-failed", "backtests", "failed", 2, 5, 3600),
            job("job-cancelled", "backtests", "cancelled", 3, 10, 7200),
        ] + ([job("job-extra-kind", self.extra_kind, "done", 1, 1, 9000)] if self.extra_kind else [])


def page(name, data=None):
    with open(os.path.join(RES, name + ".html"), encoding="utf-8") as f:
        text = f.read()
    with open(os.path.join(RES, name + ".csp.txt"), encoding="utf-8") as f:
        csp = f.read().strip()
    return (fill.fill(text, data) if data is not None else text), csp


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "backtest-mock"

    def log_message(self, *a):
        pass

    def send(self, status, body, ctype="application/json", headers=None):
        raw = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(raw)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(raw)

    def json(self, obj, status=200):
        self.send(status, json.dumps(obj))

    def html(self, name, data=None):
        text, csp = page(name, data)
        self.send(200, text, "text/html; charset=utf-8", {"Content-Security-Policy": csp, "Referrer-Policy": "no-referrer"})

    def do_GET(self):
        srv = self.server
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        if srv.key and srv.key in self.path:
            srv.leaks.append(self.path)
            print(f"the key is in a URL: {self.path}", file=sys.stderr)
        if path == "/":
            return self.html("dashboard")
        if path == "/health":
            jobs = srv.jobs()
            return self.json({"status": "ok", "version": "0.0.0-mock", "uptime_s": round(time.time() - srv.t0, 1),
                              "workers": 2, "in_flight": sum(j["status"] == "running" for j in jobs),
                              "queued": sum(j["status"] == "queued" for j in jobs)})
        if not path.startswith("/v1/"):
            return self.json({"type": "about:blank", "title": "Not Found", "status": 404}, 404)
        if srv.key and self.headers.get("Authorization") != "Bearer " + srv.key:
            return self.send(401, json.dumps({"type": "about:blank", "title": "Unauthorized", "status": 401,
                                              "detail": "this server needs an API key"}),
                             "application/problem+json", {"WWW-Authenticate": "Bearer"})
        if path == "/v1/strategies":
            return self.json({"strategies": STRATEGIES})
        if path == "/v1/tickers":
            return self.json({"tickers": TICKERS})
        if path == "/v1/jobs":
            q = urllib.parse.parse_qs(url.query)
            limit = int(q.get("limit", ["20"])[0])
            return self.json({"jobs": srv.jobs()[:limit]})
        parts = path.strip("/").split("/")  # v1 jobs|optimizations ID [events|report|items TICKER report]
        if len(parts) >= 3 and parts[1] in ("jobs", "optimizations"):
            jid = parts[2]
            job = next((j for j in srv.jobs() if j["id"] == jid), None)
            if job is None:
                return self.json({"type": "about:blank", "title": "Not Found", "status": 404}, 404)
            rest = parts[3:]
            if not rest:
                return self.json(job)
            if rest == ["events"]:
                return self.events(jid)
            if rest == ["report"]:
                if job["kind"] == "optimization":
                    return self.html("optimize", samples.optimize_grid())
                d = samples.batch(report_fetch=True, prefix=f"/v1/jobs/{jid}/items/")
                return self.html("batch", d)
            if len(rest) == 3 and rest[0] == "items" and rest[2] == "report":
                import selftest  # the synthetic backtest of the self-test
                return self.html("report", selftest.dataset(300, title=f"sma_cross on {rest[1]}"))
        return self.json({"type": "about:blank", "title": "Not Found", "status": 404}, 404)

    def events(self, jid):
        """SSE until the job is done (close-delimited body)."""
        srv = self.server
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()

        def emit(event, data):
            self.wfile.write(f"event: {event}\ndata: {json.dumps(data)}\n\n".encode())
            self.wfile.flush()

        last, beat = None, time.time()
        try:
            self.wfile.write(b": hello\r\n\r\n")
            self.wfile.flush()
            while True:
                job = next((j for j in srv.jobs() if j["id"] == jid), None)
                if job is None:
                    return
                p = job["progress"]
                if p["done"] != last and job["status"] in ("running", "done"):
                    if job["kind"] == "backtests" and p["done"]:
                        emit("item", {"progress": p, "item": {"ticker": BATCH_TICKERS[(p["done"] - 1) % len(BATCH_TICKERS)],
                                                              "status": "done"}})
                    elif job["kind"] == "portfolios" and p["done"]:
                        # a portfolio job's item: {index, result} with the reply of POST /v1/portfolios
                        k = p["done"] - 1
                        emit("item", {"progress": p, "item": {"index": k, "result": {
                            "tickers": BATCH_TICKERS[k % 2:k % 2 + 4], "stats": {"return_pct": 12.5 + k}}}})
                    else:
                        emit("progress", p)
                    last = p["done"]
                if job["status"] in ("done", "failed", "cancelled"):
                    emit("done", {"id": jid, "status": job["status"], "progress": p})
                    return
                if time.time() - beat > 1:
                    self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
                    beat = time.time()
                time.sleep(0.1)
        except (BrokenPipeError, ConnectionResetError):
            return


def start(key=None, jobs=True, cycle=0, port=0, extra_kind=None):
    srv = Mock(("127.0.0.1", port), key=key, jobs=jobs, cycle=cycle, extra_kind=extra_kind)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--key", help="require this API key on /v1/")
    ap.add_argument("--no-jobs", action="store_true", help="an empty job list")
    ap.add_argument("--cycle", type=float, default=30, help="restart the running jobs every N seconds (0: never)")
    a = ap.parse_args()
    srv = Mock(("127.0.0.1", a.port), key=a.key, jobs=not a.no_jobs, cycle=a.cycle)
    print(f"listening on http://127.0.0.1:{srv.server_address[1]}", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
