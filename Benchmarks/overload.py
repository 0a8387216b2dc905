#!/usr/bin/env python3
"""Bounded overload test of `backtest serve` (Python 3 standard library only).

Starts `BINARY serve --host 127.0.0.1 --port 0 --no-cache --queue-limit Q --workers W` on a
temporary database and measures its capacity (backtests/s from back-to-back batch calls on
2 x W connections for a few seconds). Then, for `--seconds`, it offers about `--multiple`
(default 10) times that: keep-alive connections post large `POST /v1/backtests/batch`
calls (`{"tickers": [...], "strategy": "sma_cross", ...}`, params varied so nothing is
cached) at a paced rate, a few more post single `POST /v1/backtests` calls, and a separate
process probes `GET /health` every 20 ms. The connections are closed-loop (one request in
flight each), so a server that makes them wait gets less than the target; the offered
load actually sent is reported as a multiple of the capacity. A thread samples the
server's VmRSS/VmHWM. At the hard stop every open request is dropped and the script checks
that the server serves normally at once (/health 200, a batch of the 7 bundled tickers:
200 with every item ok, /ready 200; polled every 50 ms) and reports how long that took,
then how long until /health shows it idle. Then SIGTERM (SIGKILL after 15 s), and the
temporary folder is removed whatever happened.

    python3 Benchmarks/overload.py --binary .build/release/backtest [--seconds 20]
        [--connections 64] [--batch 200] [--queue-limit 8] [--workers 2] [--json] [--timeline]

Exit status: 0 when there was no 5xx (replies or batch items), every 429 carried
Retry-After, the server survived and the post-load check passed; 1 otherwise; 2 for a
usage or start-up error. The /health p99 < 50 ms and peak RSS < 200 MB goals are
reported, not asserted.

Only 127.0.0.1 is contacted. Every loop is bounded in time and count; the whole run has a
hard deadline (SIGALRM).
"""

import argparse
import asyncio
import http.client
import json
import multiprocessing
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HOST = "127.0.0.1"
TICKERS = ["AAPL", "AMZN", "GOOG", "META", "MSFT", "NFLX", "NVDA"]
HEALTH_P99_GOAL_MS = 50.0
RSS_GOAL_MB = 200.0


# --------------------------------------------------------------------------- helpers


def percentile(values, p):
    """Nearest-rank percentile of `values` (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, int(-(-p * len(ordered) // 100)))  # ceil(p/100 * n)
    return ordered[min(rank, len(ordered)) - 1]


def latency_summary(seconds_list):
    """p50/p99/max in milliseconds of a list of latencies in seconds."""
    ms = [s * 1000.0 for s in seconds_list]
    return {
        "count": len(ms),
        "p50_ms": round(percentile(ms, 50), 3) if ms else None,
        "p90_ms": round(percentile(ms, 90), 3) if ms else None,
        "p99_ms": round(percentile(ms, 99), 3) if ms else None,
        "max_ms": round(max(ms), 3) if ms else None,
    }


def batch_body(rng, size, start, end):
    """A `tickers` batch of `size` items (the bundled tickers repeated), random sma params."""
    fast = rng.randint(2, 50)
    slow = rng.randint(fast + 5, fast + 100)
    tickers = [TICKERS[i % len(TICKERS)] for i in range(size)]
    return json.dumps({
        "tickers": tickers, "strategy": "sma_cross", "start": start, "end": end,
        "params": {"fast": fast, "slow": slow},
    }).encode()


def single_body(rng, start, end):
    fast = rng.randint(2, 50)
    slow = rng.randint(fast + 5, fast + 100)
    return json.dumps({
        "ticker": rng.choice(TICKERS), "strategy": "sma_cross", "start": start, "end": end,
        "params": {"fast": fast, "slow": slow},
    }).encode()


def inspect_batch_reply(body, expected):
    """(items ok, {item error status: count}, problem or None) of a batch reply body."""
    try:
        results = json.loads(body)["results"]
    except (ValueError, KeyError, TypeError) as error:
        return 0, {}, "unreadable batch reply: %s" % error
    ok, errors = 0, {}
    for item in results:
        if isinstance(item, dict) and item.get("result") is not None and item.get("error") is None:
            ok += 1
        else:
            status = (item.get("error") or {}).get("status") if isinstance(item, dict) else None
            key = str(status if status is not None else "unknown")
            errors[key] = errors.get(key, 0) + 1
    problem = None if len(results) == expected else "%d items in reply, expected %d" % (len(results), expected)
    return ok, errors, problem


def add_count(counts, key, n=1):
    counts[key] = counts.get(key, 0) + n


# --------------------------------------------------------------------------- asyncio HTTP/1.1


class ConnectionFailed(Exception):
    """A request that got no complete reply; `kind` names why (reset, eof, timeout, ...)."""

    def __init__(self, kind, detail=""):
        super().__init__("%s %s" % (kind, detail))
        self.kind = kind


class AsyncConnection:
    """One keep-alive HTTP/1.1 connection to HOST:port (reconnects after a failure)."""

    def __init__(self, port):
        self.port = port
        self.reader = None
        self.writer = None

    async def close(self):
        writer, self.reader, self.writer = self.writer, None, None
        if writer is not None:
            writer.close()
            try:
                await asyncio.wait_for(writer.wait_closed(), 1.0)
            except Exception:
                pass

    async def request(self, method, path, body=None):
        """(status, {lower-case header: value}, body bytes); raises ConnectionFailed."""
        try:
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(HOST, self.port, limit=1 << 20)
            head = "%s %s HTTP/1.1\r\nHost: %s:%d\r\n" % (method, path, HOST, self.port)
            if body is not None:
                head += "Content-Type: application/json\r\nContent-Length: %d\r\n" % len(body)
            self.writer.write(head.encode() + b"\r\n" + (body or b""))
            await self.writer.drain()
            raw = await self.reader.readuntil(b"\r\n\r\n")
            lines = raw.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            if "content-length" in headers:
                data = await self.reader.readexactly(int(headers["content-length"]))
            elif "chunked" in headers.get("transfer-encoding", "").lower():
                parts = []
                while True:
                    size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
                    if size == 0:
                        while (await self.reader.readuntil(b"\r\n")) != b"\r\n":
                            pass
                        break
                    parts.append(await self.reader.readexactly(size))
                    await self.reader.readexactly(2)
                data = b"".join(parts)
            else:
                data = await self.reader.read()
                headers["connection"] = "close"
            if headers.get("connection", "").lower() == "close":
                await self.close()
            return status, headers, data
        except asyncio.CancelledError:
            await self.close()
            raise
        except ConnectionRefusedError as error:
            await self.close()
            raise ConnectionFailed("refused", str(error))
        except ConnectionResetError as error:
            await self.close()
            raise ConnectionFailed("reset", str(error))
        except BrokenPipeError as error:
            await self.close()
            raise ConnectionFailed("broken_pipe", str(error))
        except asyncio.IncompleteReadError as error:
            await self.close()
            raise ConnectionFailed("eof", "closed after %d bytes" % len(error.partial))
        except (asyncio.LimitOverrunError, ValueError, IndexError) as error:
            await self.close()
            raise ConnectionFailed("bad_reply", str(error))
        except OSError as error:
            await self.close()
            raise ConnectionFailed("os_error", str(error))


# --------------------------------------------------------------------------- load process


class LoadStats:
    def __init__(self):
        self.sent = {"batch": 0, "single": 0}
        self.status = {"batch": {}, "single": {}}
        self.items_sent = 0
        self.items_ok = 0
        self.item_errors = {}
        self.retry_after_missing = 0
        self.retry_after_values = {}
        self.connection_errors = {}
        self.aborted_at_stop = 0
        self.reply_problems = []
        self.latency = {"batch_200": [], "batch_429": [], "single_200": [], "single_429": []}
        self.late_sends = 0
        self.timeline = {}  # second since the start -> counts

    def tick(self, t_start, key, n=1):
        second = str(max(0, int(time.monotonic() - t_start)))
        add_count(self.timeline.setdefault(second, {}), key, n)


async def run_load(cfg, stats):
    t_start, deadline = cfg["t_start"], cfg["t_start"] + cfg["seconds"]
    loop = asyncio.get_running_loop()

    def now():
        return time.monotonic()

    async def one(conn, kind, path, body, items):
        remaining = deadline - now()
        if remaining <= 0:
            return False
        stats.sent[kind] += 1
        stats.items_sent += items
        began = now()
        try:
            status, headers, data = await asyncio.wait_for(
                conn.request("POST", path, body), min(cfg["request_timeout"], remaining))
        except asyncio.TimeoutError:
            await conn.close()
            if now() >= deadline - 0.005:
                stats.aborted_at_stop += 1
            else:
                add_count(stats.connection_errors, "timeout")
                stats.tick(t_start, "conn_error")
            return False
        except ConnectionFailed as failure:
            add_count(stats.connection_errors, failure.kind)
            stats.tick(t_start, "conn_error")
            await asyncio.sleep(0.01)  # no tight reconnect loop against a refusing socket
            return False
        elapsed = now() - began
        add_count(stats.status[kind], str(status))
        stats.tick(t_start, "%s_%d" % (kind, status))
        if status == 429:
            stats.latency[kind + "_429"].append(elapsed)
            value = headers.get("retry-after")
            if value is None:
                stats.retry_after_missing += 1
            else:
                add_count(stats.retry_after_values, value)
        elif status == 200:
            stats.latency[kind + "_200"].append(elapsed)
            if kind == "batch":
                ok, errors, problem = inspect_batch_reply(data, items)
                stats.items_ok += ok
                stats.tick(t_start, "items_ok", ok)
                for key, n in errors.items():
                    add_count(stats.item_errors, key, n)
                if problem and len(stats.reply_problems) < 10:
                    stats.reply_problems.append(problem)
            else:
                stats.items_ok += 1
                stats.tick(t_start, "items_ok")
        return True

    async def worker(index, kind, interval, offset):
        rng = random.Random(cfg["seed"] * 1000 + index)
        conn = AsyncConnection(cfg["port"])
        next_at = t_start + offset
        try:
            for _ in range(cfg["max_requests_per_connection"]):
                t = now()
                if t >= deadline:
                    break
                if next_at > t:
                    await asyncio.sleep(min(next_at - t, deadline - t))
                    if now() >= deadline:
                        break
                elif t - next_at > interval:
                    stats.late_sends += 1
                    next_at = t  # behind schedule (reply slower than the pace): no burst to catch up
                if kind == "batch":
                    await one(conn, "batch", "/v1/backtests/batch",
                              batch_body(rng, cfg["batch"], cfg["start"], cfg["end"]), cfg["batch"])
                else:
                    await one(conn, "single", "/v1/backtests", single_body(rng, cfg["start"], cfg["end"]), 1)
                next_at += interval
        finally:
            await conn.close()

    tasks = []
    nb, ns = cfg["batch_connections"], cfg["single_connections"]
    batch_interval = nb * cfg["batch"] / cfg["target_batch_items_per_s"]
    for i in range(nb):
        tasks.append(loop.create_task(worker(i, "batch", batch_interval, i * batch_interval / nb)))
    single_interval = 1.0 / cfg["single_rate"]
    for i in range(ns):
        tasks.append(loop.create_task(worker(nb + i, "single", single_interval, i * single_interval / max(1, ns))))
    await asyncio.wait(tasks, timeout=cfg["seconds"] + cfg["request_timeout"] + 5)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def load_process(cfg, pipe):
    """Child process: runs the load, sends its figures through `pipe`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stats = LoadStats()
    error = None
    try:
        asyncio.run(run_load(cfg, stats))
    except Exception as exc:  # reported, the parent decides
        error = "%s: %s" % (type(exc).__name__, exc)
    stopped = time.monotonic()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    pipe.send({
        "error": error, "stopped_at": stopped, "sent": stats.sent, "status": stats.status,
        "items_sent": stats.items_sent, "items_ok": stats.items_ok, "item_errors": stats.item_errors,
        "retry_after_missing": stats.retry_after_missing, "retry_after_values": stats.retry_after_values,
        "connection_errors": stats.connection_errors, "aborted_at_stop": stats.aborted_at_stop,
        "reply_problems": stats.reply_problems, "late_sends": stats.late_sends,
        "latency": {k: latency_summary(v) for k, v in stats.latency.items()},
        "client_cpu_s": round(usage.ru_utime + usage.ru_stime, 2), "timeline": stats.timeline,
    })
    pipe.close()


# --------------------------------------------------------------------------- /health probe process


def probe_process(cfg, pipe):
    """Child process: GET /health every `interval` s on one keep-alive connection."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    interval, t_start = cfg["interval"], cfg["t_start"]
    deadline = t_start + cfg["seconds"]
    latencies, statuses, errors, skipped = [], {}, {}, 0
    queued, in_flight, per_second = [], [], {}
    conn = None
    next_at = t_start
    for _ in range(int(cfg["seconds"] / interval) + 10):
        t = time.monotonic()
        if t >= deadline:
            break
        if next_at > t:
            time.sleep(min(next_at - t, deadline - t))
            if time.monotonic() >= deadline:
                break
        elif t - next_at > interval:
            skipped += int((t - next_at) / interval)
            next_at = t
        began = time.perf_counter()
        try:
            if conn is None:
                conn = http.client.HTTPConnection(HOST, cfg["port"], timeout=cfg["timeout"])
            conn.request("GET", "/health")
            response = conn.getresponse()
            data = response.read()
            elapsed = time.perf_counter() - began
            add_count(statuses, str(response.status))
            latencies.append(elapsed)
            per_second.setdefault(str(max(0, int(time.monotonic() - t_start))), []).append(elapsed)
            try:
                health = json.loads(data)
                queued.append(int(health["queued"]))
                in_flight.append(int(health["in_flight"]))
            except (ValueError, KeyError, TypeError):
                pass
            if response.will_close:
                conn.close()
                conn = None
        except Exception as exc:  # timeouts and connection failures count, latency = time until failure
            latencies.append(time.perf_counter() - began)
            per_second.setdefault(str(max(0, int(time.monotonic() - t_start))), []).append(latencies[-1])
            add_count(errors, type(exc).__name__)
            if conn is not None:
                conn.close()
            conn = None
        next_at += interval
    if conn is not None:
        conn.close()
    summary = latency_summary(latencies)
    summary.update({"status": statuses, "errors": errors, "skipped_slots": skipped,
                    "over_50ms": sum(1 for v in latencies if v * 1000 > HEALTH_P99_GOAL_MS),
                    "queued_max": max(queued) if queued else None, "queued_p50": percentile(queued, 50),
                    "in_flight_max": max(in_flight) if in_flight else None,
                    "per_second_p99_ms": {k: round(percentile(v, 99) * 1000, 1) for k, v in per_second.items()}})
    pipe.send(summary)
    pipe.close()


# --------------------------------------------------------------------------- server and RSS


class Server:
    def __init__(self, binary, workdir, args):
        self.binary = binary
        self.workdir = workdir
        self.out_path = os.path.join(workdir, "server.out")
        self.err_path = os.path.join(workdir, "server.err")
        command = [binary, "serve", "--host", HOST, "--port", "0", "--db", os.path.join(workdir, "overload.sqlite"),
                   "--no-cache", "--queue-limit", str(args.queue_limit), "--workers", str(args.workers)]
        self.command = command
        env = dict(os.environ)
        for name in ("BACKTEST_API_KEYS", "BACKTEST_URL", "BACKTEST_DATA_DIR"):
            env.pop(name, None)
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.process = subprocess.Popen(command, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
        self.port = None
        self.exit_status = None

    def wait_listening(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.out_path, "rb") as out:
                first = out.readline().decode(errors="replace").strip()
            if first.startswith("listening on ") and first.endswith(tuple("0123456789")):
                self.port = int(first.rsplit(":", 1)[1])
                return True
            if self.process.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def stderr_tail(self, lines=15):
        try:
            with open(self.err_path, "rb") as err:
                return err.read().decode(errors="replace").splitlines()[-lines:]
        except OSError:
            return []

    def status_kb(self):
        """{'VmRSS': kB, 'VmHWM': kB} from /proc, or {} once the process is gone."""
        values = {}
        try:
            with open("/proc/%d/status" % self.process.pid) as status:
                for line in status:
                    if line.startswith(("VmRSS:", "VmHWM:")):
                        name, value = line.split(":", 1)
                        values[name] = int(value.split()[0])
        except (OSError, ValueError):
            pass
        return values

    def stop(self, grace=15.0):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.exit_status = self.process.wait(grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
                self.exit_status = "killed after %.0f s" % grace
        elif self.exit_status is None:
            self.exit_status = "exited early: %s" % self.process.returncode
        return self.exit_status


class RSSSampler(threading.Thread):
    def __init__(self, server, interval=0.05):
        super().__init__(daemon=True)
        self.server, self.interval = server, interval
        self.peak_rss_kb = 0
        self.hwm_kb = 0
        self.samples = 0
        self.halt = threading.Event()

    def run(self):
        while not self.halt.is_set():
            self.sample()
            self.halt.wait(self.interval)

    def sample(self):
        values = self.server.status_kb()
        if values:
            self.samples += 1
            self.peak_rss_kb = max(self.peak_rss_kb, values.get("VmRSS", 0))
            self.hwm_kb = max(self.hwm_kb, values.get("VmHWM", 0))
        return values


# --------------------------------------------------------------------------- blocking requests (main process)


def blocking_request(port, method, path, body=None, timeout=10.0):
    """(status, headers, body) on a fresh connection; raises on connection failures."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def measure_capacity(port, args, seconds):
    """Backtests/s from back-to-back batch calls on 2 x `workers` connections (after a warm-up;
    two per worker so the server does not idle while the client reads a reply)."""
    connections = max(2, 2 * args.workers)
    results = {"items_ok": 0, "calls": 0, "status": {}, "errors": 0}
    lock = threading.Lock()

    def worker(index, until, record):
        rng = random.Random(1_000_000 + index)
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        try:
            for _ in range(100_000):
                if time.monotonic() >= until:
                    break
                try:
                    conn.request("POST", "/v1/backtests/batch", body=batch_body(rng, args.batch, args.start, args.end),
                                 headers={"Content-Type": "application/json"})
                    response = conn.getresponse()
                    data = response.read()
                except Exception:
                    conn.close()
                    conn = http.client.HTTPConnection(HOST, port, timeout=30)
                    if record:
                        with lock:
                            results["errors"] += 1
                    continue
                if not record:
                    continue
                ok = inspect_batch_reply(data, args.batch)[0] if response.status == 200 else 0
                with lock:
                    results["calls"] += 1
                    results["items_ok"] += ok
                    add_count(results["status"], str(response.status))
        finally:
            conn.close()

    def phase(duration, record):
        until = time.monotonic() + duration
        threads = [threading.Thread(target=worker, args=(i, until, record), daemon=True) for i in range(connections)]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(duration + 35)
        return time.monotonic() - began

    phase(min(1.0, seconds / 3), record=False)  # warm-up: allocator, bar store, connections
    elapsed = phase(seconds, record=True)
    results["seconds"] = round(elapsed, 2)
    results["connections"] = connections
    results["backtests_per_s"] = round(results["items_ok"] / elapsed, 1) if elapsed > 0 else 0.0
    return results


def health_load(port, timeout):
    """(status, queued, in_flight) from GET /health on a fresh connection."""
    status, _, data = blocking_request(port, "GET", "/health", timeout=timeout)
    try:
        health = json.loads(data)
        return status, int(health["queued"]), int(health["in_flight"])
    except (ValueError, KeyError, TypeError):
        return status, None, None


def post_load_check(port, stopped_at, timeout):
    """/health 200, a normal batch (7 tickers: 200, all ok), /ready 200, retried until all
    pass; then /health is polled until the server is idle (queued = in_flight = 0)."""
    body = json.dumps({"tickers": TICKERS, "strategy": "sma_cross", "start": "2020-01-01", "end": "2020-12-31",
                       "params": {"fast": 10, "slow": 30}}).encode()
    attempts, failures, at_stop, missing_retry_after = 0, [], None, 0
    began = time.monotonic()
    result = {"ok": False, "time_to_first_normal_reply_ms": None}
    for _ in range(10_000):
        if time.monotonic() - began > timeout:
            break
        attempts += 1
        problem, retry_after = None, None
        try:
            status, queued, in_flight = health_load(port, timeout)
            if at_stop is None:
                at_stop = {"queued": queued, "in_flight": in_flight,
                           "ms_after_stop": round((time.monotonic() - stopped_at) * 1000, 1)}
            if status != 200:
                problem = "/health %d" % status
            else:
                status, headers, data = blocking_request(port, "POST", "/v1/backtests/batch", body, timeout=timeout)
                if status != 200:
                    problem = "batch %d" % status
                    retry_after = headers.get("retry-after", "missing") if status == 429 else headers.get("retry-after")
                    missing_retry_after += retry_after == "missing"
                else:
                    ok, errors, reply_problem = inspect_batch_reply(data, len(TICKERS))
                    if ok != len(TICKERS) or reply_problem:
                        problem = "batch 200 but %d/%d items ok %s %s" % (ok, len(TICKERS), errors, reply_problem or "")
            if problem is None:
                status = blocking_request(port, "GET", "/ready", timeout=timeout)[0]
                if status != 200:
                    problem = "/ready %d" % status
        except Exception as exc:
            problem = "%s: %s" % (type(exc).__name__, exc)
        if problem is None:
            done = time.monotonic()
            result = {"ok": True, "time_to_first_normal_reply_ms": round((done - stopped_at) * 1000, 1)}
            break
        if len(failures) < 10:
            failures.append(problem if retry_after is None else "%s (Retry-After %s)" % (problem, retry_after))
        time.sleep(0.05)  # polls faster than Retry-After asks: this measures when the server recovers
    result.update({"attempts": attempts, "failures": failures, "health_at_stop": at_stop,
                   "first_attempt_ok": result["ok"] and attempts == 1, "retry_after_missing": missing_retry_after,
                   "check_ms": round((time.monotonic() - began) * 1000, 1), "time_to_idle_ms": None})
    for _ in range(1_000):
        if time.monotonic() - began > timeout:
            break
        try:
            status, queued, in_flight = health_load(port, timeout)
            if status == 200 and queued == 0 and in_flight == 0:
                result["time_to_idle_ms"] = round((time.monotonic() - stopped_at) * 1000, 1)
                break
        except Exception:
            pass
        time.sleep(0.02)
    return result


# --------------------------------------------------------------------------- main


class HardStop(Exception):
    pass


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Bounded overload test of `backtest serve` (127.0.0.1 only).")
    parser.add_argument("--binary", required=True, help="the backtest executable (e.g. .build/release/backtest)")
    parser.add_argument("--seconds", type=float, default=20.0, help="load phase length (default 20, at most 300)")
    parser.add_argument("--connections", type=int, default=64, help="load connections, batch + single (default 64)")
    parser.add_argument("--single-connections", type=int, default=None,
                        help="of --connections, how many post single backtests (default connections/8, at least 1)")
    parser.add_argument("--single-rate", type=float, default=50.0, help="single calls per second per connection (default 50)")
    parser.add_argument("--batch", type=int, default=200, help="items per batch call (default 200, at most 1000)")
    parser.add_argument("--queue-limit", type=int, default=8, help="server --queue-limit (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="server --workers (default 2)")
    parser.add_argument("--multiple", type=float, default=10.0, help="offered load as a multiple of capacity (default 10)")
    parser.add_argument("--capacity-seconds", type=float, default=3.0, help="capacity measurement (default 3)")
    parser.add_argument("--probe-interval-ms", type=float, default=20.0, help="/health probe period (default 20)")
    parser.add_argument("--recovery-timeout", type=float, default=10.0, help="post-load check gives up after (default 10 s)")
    parser.add_argument("--request-timeout", type=float, default=10.0, help="per-request timeout under load (default 10 s)")
    parser.add_argument("--start", default="2020-01-01", help="backtest start date (default 2020-01-01)")
    parser.add_argument("--end", default="2020-12-31", help="backtest end date (default 2020-12-31)")
    parser.add_argument("--seed", type=int, default=1, help="random seed for the params")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the lines")
    parser.add_argument("--timeline", action="store_true", help="also print per-second counts and /health p99")
    args = parser.parse_args(argv)
    if not (0 < args.seconds <= 300):
        parser.error("--seconds must be in (0, 300]")
    if not (1 <= args.batch <= 1000):
        parser.error("--batch must be in 1...1000")
    if args.connections < 2:
        parser.error("--connections must be at least 2")
    if args.single_connections is None:
        args.single_connections = max(1, args.connections // 8)
    if not (0 <= args.single_connections < args.connections):
        parser.error("--single-connections must be in 0...connections-1")
    if args.single_rate <= 0 or args.multiple <= 0 or args.probe_interval_ms <= 0:
        parser.error("--single-rate, --multiple and --probe-interval-ms must be positive")
    return args


def fmt(value, unit=""):
    return "-" if value is None else "%s%s" % (value, unit)


def print_report(r):
    cap, load, probe, post = r["capacity"], r["load"], r["health_probe"], r["post_load"]
    print("binary: %s (server: --workers %d --queue-limit %d --no-cache, %d cores)"
          % (r["binary"], r["workers"], r["queue_limit"], os.cpu_count() or 0))
    print("capacity: %.0f backtests/s (%d batch calls of %d on %d connections in %.1f s; statuses %s)"
          % (cap["backtests_per_s"], cap["calls"], r["batch"], cap["connections"], cap["seconds"], cap["status"]))
    print("load: %.1f s, %d connections (%d batch x %d items, %d single at %g/s each); target %.0f backtests/s"
          % (load["seconds"], r["connections"], r["batch_connections"], r["batch"], r["single_connections"],
             r["single_rate"], r["target_backtests_per_s"]))
    print("offered: %.0f backtests/s = %.1fx capacity (%d batch calls, %d single calls; %d sends behind schedule)"
          % (load["offered_backtests_per_s"], load["offered_multiple"], load["sent"]["batch"], load["sent"]["single"],
             load["late_sends"]))
    print("requests sent: %d; status: batch %s, single %s" % (load["requests_sent"], load["status"]["batch"],
                                                               load["status"]["single"]))
    print("429 share: %.1f %%; 429 without Retry-After: %d (Retry-After values %s)"
          % (load["share_429"] * 100, load["retry_after_missing"], load["retry_after_values"]))
    print("5xx replies: %d; batch items with 5xx: %d; other item errors: %s"
          % (load["replies_5xx"], load["items_5xx"], load["item_errors"]))
    print("connection errors: %s; in flight at the hard stop: %d" % (load["connection_errors"] or 0, load["aborted_at_stop"]))
    lat = load["latency"]
    print("batch latency: 200 p50 %s p99 %s max %s (%d); 429 p50 %s p99 %s (%d)"
          % (fmt(lat["batch_200"]["p50_ms"], " ms"), fmt(lat["batch_200"]["p99_ms"], " ms"),
             fmt(lat["batch_200"]["max_ms"], " ms"), lat["batch_200"]["count"], fmt(lat["batch_429"]["p50_ms"], " ms"),
             fmt(lat["batch_429"]["p99_ms"], " ms"), lat["batch_429"]["count"]))
    print("completed: %.0f backtests/s (%d backtests) = %.2fx capacity"
          % (load["backtests_per_s"], load["items_ok"], load["completed_multiple"]))
    print("/health: %d probes, p50 %s p99 %s max %s, %d over 50 ms, status %s, errors %s (goal p99 < %.0f ms: %s)"
          % (probe.get("count", 0), fmt(probe.get("p50_ms"), " ms"), fmt(probe.get("p99_ms"), " ms"),
             fmt(probe.get("max_ms"), " ms"), probe.get("over_50ms", 0), probe.get("status"), probe.get("errors") or 0,
             HEALTH_P99_GOAL_MS, "met" if r["goals"]["health_p99"] else "NOT met"))
    print("server peak RSS: %.1f MB VmHWM (%.1f MB before the load; max sampled VmRSS %.1f MB) (goal < %.0f MB: %s)"
          % (r["rss"]["peak_mb"], r["rss"]["before_load_mb"], r["rss"]["max_sampled_rss_mb"], RSS_GOAL_MB,
             "met" if r["goals"]["rss"] else "NOT met"))
    print("server queue (/health 'queued' during the load): max %s, median %s (--queue-limit %d); in_flight max %s"
          % (fmt(probe.get("queued_max")), fmt(probe.get("queued_p50")), r["queue_limit"], fmt(probe.get("in_flight_max"))))
    at_stop = post.get("health_at_stop") or {}
    if post["ok"]:
        print("after the load: /health 200, normal batch 200 (7/7 ok), /ready 200 after %.1f ms (%d attempt%s%s)"
              % (post["time_to_first_normal_reply_ms"], post["attempts"], "" if post["attempts"] == 1 else "s",
                 "; earlier: %s" % post["failures"] if post["failures"] else ""))
    else:
        print("after the load: NOT serving normally within the timeout (%d attempts: %s)" % (post["attempts"], post["failures"]))
    print("at the stop: queued %s, in_flight %s (%s ms after); idle (queued = in_flight = 0) after %s"
          % (fmt(at_stop.get("queued")), fmt(at_stop.get("in_flight")), fmt(at_stop.get("ms_after_stop")),
             fmt(post.get("time_to_idle_ms"), " ms")))
    print("client CPU: %.1f s in the load process; server exit status after SIGTERM: %s"
          % (load["client_cpu_s"], r["server_exit_status"]))
    if r.get("show_timeline"):
        print("timeline (second: batch 200/429, single 200/429, backtests completed, connection errors, /health p99 ms):")
        probe_p99 = probe.get("per_second_p99_ms") or {}
        for second in sorted(set(load["timeline"]) | set(probe_p99), key=int):
            row = load["timeline"].get(second, {})
            print("  %3s: %4d/%-4d %5d/%-5d %7d %4d %8s" % (
                second, row.get("batch_200", 0), row.get("batch_429", 0), row.get("single_200", 0),
                row.get("single_429", 0), row.get("items_ok", 0), row.get("conn_error", 0), fmt(probe_p99.get(second))))
    print("result: %s" % ("PASS" if r["pass"] else "FAIL: " + "; ".join(r["failures"])))


def main(argv):
    args = parse_args(argv)
    if not (os.path.isfile(args.binary) and os.access(args.binary, os.X_OK)):
        print("overload: %s is not an executable file" % args.binary, file=sys.stderr)
        return 2
    args.binary = os.path.abspath(args.binary)
    budget = 60 + args.capacity_seconds * 2 + args.seconds + args.request_timeout + args.recovery_timeout + 60

    def on_signal(signum, frame):
        raise HardStop("signal %d" % signum)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGALRM):
        signal.signal(signum, on_signal)
    signal.alarm(int(budget))

    workdir = tempfile.mkdtemp(prefix="backtest-overload-")
    server, sampler, children = None, None, []
    context = multiprocessing.get_context("spawn")
    try:
        server = Server(args.binary, workdir, args)
        if not server.wait_listening(30):
            print("overload: the server did not start: %s" % " ".join(server.command), file=sys.stderr)
            print("\n".join(server.stderr_tail()), file=sys.stderr)
            return 2
        port = server.port
        sampler = RSSSampler(server)
        sampler.start()

        capacity = measure_capacity(port, args, args.capacity_seconds)
        if capacity["backtests_per_s"] <= 0:
            print("overload: capacity measurement completed no backtest: %s" % capacity, file=sys.stderr)
            return 2
        before_load = sampler.sample()

        batch_connections = args.connections - args.single_connections
        single_offer = args.single_connections * args.single_rate
        target = capacity["backtests_per_s"] * args.multiple
        target_batch = max(target - single_offer, batch_connections * args.batch / max(args.seconds, 1.0))
        t_start = time.monotonic() + 1.0  # children start (spawn) before this
        load_cfg = {
            "port": port, "t_start": t_start, "seconds": args.seconds, "batch": args.batch,
            "batch_connections": batch_connections, "single_connections": args.single_connections,
            "single_rate": args.single_rate, "target_batch_items_per_s": target_batch,
            "request_timeout": args.request_timeout, "start": args.start, "end": args.end, "seed": args.seed,
            "max_requests_per_connection": int(args.seconds * max(args.single_rate, 1000.0)) + 10,
        }
        probe_cfg = {"port": port, "t_start": t_start, "seconds": args.seconds,
                     "interval": args.probe_interval_ms / 1000.0, "timeout": 5.0}
        load_recv, load_send = context.Pipe(duplex=False)
        probe_recv, probe_send = context.Pipe(duplex=False)
        load_proc = context.Process(target=load_process, args=(load_cfg, load_send), daemon=True)
        probe_proc = context.Process(target=probe_process, args=(probe_cfg, probe_send), daemon=True)
        children = [load_proc, probe_proc]
        load_proc.start()
        probe_proc.start()
        load_send.close()
        probe_send.close()

        wait_for = max(0.0, t_start - time.monotonic()) + args.seconds + args.request_timeout + 10
        load = load_recv.recv() if load_recv.poll(wait_for) else None
        if load is None:
            raise HardStop("the load process did not report within %.0f s" % wait_for)
        post = post_load_check(port, load["stopped_at"], args.recovery_timeout)
        probe = probe_recv.recv() if probe_recv.poll(15) else {"error": "probe did not report"}
        for child in children:
            child.join(5)
        final = sampler.sample()
        sampler.halt.set()
        alive = server.process.poll() is None
        exit_status = server.stop()

        duration = args.seconds
        sent_items = load["items_sent"]
        statuses = {}
        for kind in ("batch", "single"):
            for key, n in load["status"][kind].items():
                add_count(statuses, key, n)
        replies = sum(statuses.values())
        replies_5xx = sum(n for key, n in statuses.items() if key.startswith("5"))
        items_5xx = sum(n for key, n in load["item_errors"].items() if key.startswith("5"))
        hwm_kb = max(sampler.hwm_kb, final.get("VmHWM", 0))
        load_report = {
            "seconds": duration, "sent": load["sent"], "requests_sent": sum(load["sent"].values()),
            "replies": replies, "status": load["status"], "status_total": statuses,
            "share_429": (statuses.get("429", 0) / replies) if replies else 0.0,
            "retry_after_missing": load["retry_after_missing"], "retry_after_values": load["retry_after_values"],
            "replies_5xx": replies_5xx, "items_5xx": items_5xx, "item_errors": load["item_errors"],
            "connection_errors": load["connection_errors"], "aborted_at_stop": load["aborted_at_stop"],
            "reply_problems": load["reply_problems"], "late_sends": load["late_sends"],
            "items_sent": sent_items, "items_ok": load["items_ok"],
            "offered_backtests_per_s": round(sent_items / duration, 1),
            "offered_multiple": round(sent_items / duration / capacity["backtests_per_s"], 2),
            "backtests_per_s": round(load["items_ok"] / duration, 1),
            "completed_multiple": round(load["items_ok"] / duration / capacity["backtests_per_s"], 2),
            "latency": load["latency"], "client_cpu_s": load["client_cpu_s"], "error": load["error"],
            "timeline": load["timeline"],
        }
        report = {
            "binary": args.binary, "workers": args.workers, "queue_limit": args.queue_limit, "batch": args.batch,
            "connections": args.connections, "batch_connections": batch_connections,
            "single_connections": args.single_connections, "single_rate": args.single_rate,
            "target_backtests_per_s": round(target_batch + single_offer, 1),
            "capacity": capacity, "load": load_report, "health_probe": probe,
            "rss": {"peak_mb": round(hwm_kb / 1024, 1), "before_load_mb": round(before_load.get("VmHWM", 0) / 1024, 1),
                    "max_sampled_rss_mb": round(sampler.peak_rss_kb / 1024, 1), "samples": sampler.samples},
            "post_load": post, "server_alive_after_load": alive, "server_exit_status": exit_status,
            "show_timeline": args.timeline,
        }
        p99 = probe.get("p99_ms")
        report["goals"] = {"health_p99": p99 is not None and p99 < HEALTH_P99_GOAL_MS,
                           "rss": hwm_kb / 1024 < RSS_GOAL_MB}
        failures = []
        if replies_5xx:
            failures.append("%d replies with 5xx" % replies_5xx)
        if items_5xx:
            failures.append("%d batch items with 5xx" % items_5xx)
        if load["retry_after_missing"] or post["retry_after_missing"]:
            failures.append("%d 429 replies without Retry-After" % (load["retry_after_missing"] + post["retry_after_missing"]))
        if not alive:
            failures.append("the server exited during the test")
        if not post["ok"]:
            failures.append("post-load check failed: %s" % post["failures"])
        if load["error"]:
            failures.append("load process error: %s" % load["error"])
        report["failures"] = failures
        report["pass"] = not failures
        if args.json:
            report.pop("show_timeline")
            print(json.dumps(report, sort_keys=True))
        else:
            print_report(report)
        if not alive:
            print("server stderr (tail):\n" + "\n".join(server.stderr_tail()), file=sys.stderr)
        return 0 if not failures else 1
    except HardStop as stop:
        print("overload: stopped: %s" % stop, file=sys.stderr)
        return 1
    finally:
        signal.alarm(0)
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)  # finish the clean-up
        if sampler is not None:
            sampler.halt.set()
        for child in children:
            if child.is_alive():
                child.terminate()
                child.join(3)
                if child.is_alive():
                    child.kill()
                    child.join(3)
        if server is not None:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
