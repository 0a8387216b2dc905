#!/usr/bin/env python3
"""Server-side cost of the calls `backtest batch` and the Python client make: the latency of
one `POST /v1/backtests` and of `POST /v1/backtests/batch` with 15 and 60 one-year items (the
CLI's body: sma_cross on the 7 bundled tickers, 2020), sent one at a time on one keep-alive
connection from this process, against one server per binary given, interleaved in rounds so
that a drift of the machine touches every binary alike. Prints median and p10/p90 in ms.

Usage: python3 Benchmarks/batch-call.py BIN [BIN...]   (ROUNDS=20, CALLS=30 per round)
Only 127.0.0.1 is used; the servers started here are stopped at the end.
"""
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time

TICKERS = ["AAPL", "AMZN", "GOOG", "META", "MSFT", "NFLX", "NVDA"]


def item(ticker):
    return {
        "ticker": ticker, "start": "2020-01-01", "end": "2020-12-31", "strategy": "sma_cross", "params": {},
        "cash": 10000, "commission": 0, "spread": 0, "margin": 1, "trade_on_close": False, "hedging": False,
        "exclusive_orders": False, "finalize_trades": False,
    }


def batch(n):
    return json.dumps({"requests": [item(TICKERS[k % len(TICKERS)]) for k in range(n)]}, separators=(",", ":")).encode()


CALLS = {
    "single": ("/v1/backtests", json.dumps(item("AAPL"), separators=(",", ":")).encode()),
    "batch 15": ("/v1/backtests/batch", batch(15)),
    "batch 60": ("/v1/backtests/batch", batch(60)),
}


def start(binary, folder):
    out = open(os.path.join(folder, "out"), "w+")
    server = subprocess.Popen(
        [binary, "serve", "--host", "127.0.0.1", "--port", "0", "--db", os.path.join(folder, "db.sqlite")],
        stdout=out, stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        out.seek(0)
        line = out.readline()
        if line.startswith("listening on "):
            host, port = line.split("://")[1].strip().split(":")
            return server, http.client.HTTPConnection(host, int(port))
        time.sleep(0.05)
    server.kill()
    sys.exit(f"batch-call: {binary} serve did not start")


def timed(connection, path, body):
    begin = time.perf_counter()
    connection.request("POST", path, body, {"Content-Type": "application/json"})
    reply = connection.getresponse()
    reply.read()
    elapsed = time.perf_counter() - begin
    if reply.status != 200:
        sys.exit(f"batch-call: {path} answered {reply.status}")
    return elapsed


def main():
    binaries = sys.argv[1:]
    if not binaries:
        sys.exit("usage: python3 Benchmarks/batch-call.py BIN [BIN...]")
    rounds = int(os.environ.get("ROUNDS", "20"))
    calls = int(os.environ.get("CALLS", "30"))
    folders = [tempfile.mkdtemp() for _ in binaries]
    servers = [start(b, f) for b, f in zip(binaries, folders)]
    samples = {(b, name): [] for b in range(len(binaries)) for name in CALLS}
    try:
        for _, connection in servers:  # warm-up: data cache, first uses
            for path, body in CALLS.values():
                for _ in range(10):
                    timed(connection, path, body)
        for _ in range(rounds):
            for name, (path, body) in CALLS.items():
                for b, (_, connection) in enumerate(servers):
                    for _ in range(calls):
                        samples[(b, name)].append(timed(connection, path, body))
    finally:
        for server, _ in servers:
            server.terminate()
            server.wait()
    print(f"== {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; {rounds} rounds x {calls} calls, one connection")
    for name in CALLS:
        for b, binary in enumerate(binaries):
            values = sorted(samples[(b, name)])
            pick = lambda q: values[int(q * (len(values) - 1))] * 1e3
            print(f"{name:9s} {binary:40s} median {pick(0.5):6.3f} ms  p10 {pick(0.1):6.3f}  p90 {pick(0.9):6.3f}")


main()
