#!/usr/bin/env python3
"""Sample report data (the JSON the Swift side puts into report.html), made without Swift.

Runs the real `backtest` binary (`run --format json --include trades,equity`), reads the bars
from the same CSV and computes the indicators in Python, then writes one JSON object in the
report's data contract (see Tools/report/README.md).

    make_sample.py --csv GOOG.csv --strategy sma_cross --param fast=10 --param slow=30 \
        --commission 0.002 --indicator sma:10 --indicator sma:30 --out goog.json
    make_sample.py --synthetic 100000 --strategy macd_cross --indicator macd:12:26:9 --out big.json

Indicators: sma:N, ema:N, rsi:N[:LOWER:UPPER], macd:FAST:SLOW:SIGNAL, bollinger:N:K,
donchian:N. Python 3 standard library only.
"""
import argparse
import csv
import datetime as dt
import json
import math
import os
import random
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def parse_time(text):
    text = text.strip()
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=dt.timezone.utc)
        except ValueError:
            pass
    raise SystemExit(f"unparseable date {text!r}")


def read_csv(path):
    bars = {"time": [], "open": [], "high": [], "low": [], "close": [], "volume": []}
    with open(path, newline="") as f:
        rows = csv.reader(f)
        header = [h.strip().lower() for h in next(rows)]
        col = {name: header.index(name) for name in ("open", "high", "low", "close")}
        vol = header.index("volume") if "volume" in header else None
        for row in rows:
            if not row:
                continue
            bars["time"].append(int(parse_time(row[0]).timestamp()))
            for name, i in col.items():
                bars[name].append(float(row[i]))
            bars["volume"].append(float(row[vol]) if vol is not None and row[vol] != "" else None)
    if all(v is None for v in bars["volume"]):
        bars["volume"] = None
    return bars


def synthetic_csv(n, path, seed=7):
    """A random walk of `n` hourly bars (weekdays only), written as a backtest CSV."""
    rng = random.Random(seed)
    t = dt.datetime(2010, 1, 4, 0, 0)
    price = 100.0
    drift = 0.0
    with open(path, "w") as f:
        f.write(",Open,High,Low,Close,Volume\n")
        written = 0
        while written < n:
            if t.weekday() < 5:
                # a slowly wandering trend, pulled back towards 100 so the walk stays bounded
                drift = 0.995 * drift + rng.gauss(0, 0.00002) - 0.00002 * math.log(price / 100)
                o = price
                c = o * math.exp(drift + rng.gauss(0, 0.002))
                h = max(o, c) * (1 + abs(rng.gauss(0, 0.002)))
                lo = min(o, c) * (1 - abs(rng.gauss(0, 0.002)))
                v = int(1000 + abs(rng.gauss(0, 1)) * 5000)
                f.write(f"{t:%Y-%m-%d %H:%M:%S},{o:.4f},{h:.4f},{lo:.4f},{c:.4f},{v}\n")
                price = c
                written += 1
            t += dt.timedelta(hours=1)


def nan_to_none(xs):
    return [None if x is None or (isinstance(x, float) and math.isnan(x)) else x for x in xs]


def sma(x, n):
    out = [math.nan] * len(x)
    s = 0.0
    for i, v in enumerate(x):
        s += v
        if i >= n:
            s -= x[i - n]
        if i >= n - 1:
            out[i] = s / n
    return out


def ema(x, n):
    out = [math.nan] * len(x)
    start = next((i for i, v in enumerate(x) if not math.isnan(v)), None)
    if start is None or start + n - 1 >= len(x):
        return out
    prev = sum(x[start:start + n]) / n
    out[start + n - 1] = prev
    a = 2.0 / (n + 1)
    for i in range(start + n, len(x)):
        prev = a * x[i] + (1 - a) * prev
        out[i] = prev
    return out


def rsi(x, n):
    out = [math.nan] * len(x)
    if len(x) <= n:
        return out
    gains = [max(x[k] - x[k - 1], 0) for k in range(1, n + 1)]
    losses = [max(x[k - 1] - x[k], 0) for k in range(1, n + 1)]
    ag, al = sum(gains) / n, sum(losses) / n

    def value(g, l):
        return 50.0 if g + l == 0 else 100.0 * g / (g + l)

    out[n] = value(ag, al)
    for i in range(n + 1, len(x)):
        d = x[i] - x[i - 1]
        ag = (ag * (n - 1) + max(d, 0)) / n
        al = (al * (n - 1) + max(-d, 0)) / n
        out[i] = value(ag, al)
    return out


def rolling(x, n, fn):
    return [fn(x[i - n + 1:i + 1]) if i >= n - 1 else math.nan for i in range(len(x))]


def indicators(spec, bars):
    close = bars["close"]
    kind, *args = spec.split(":")
    if kind == "sma":
        n = int(args[0])
        return [{"name": f"SMA({n})", "panel": "price", "values": nan_to_none(sma(close, n))}]
    if kind == "ema":
        n = int(args[0])
        return [{"name": f"EMA({n})", "panel": "price", "values": nan_to_none(ema(close, n))}]
    if kind == "rsi":
        n = int(args[0])
        levels = [float(args[1]), float(args[2])] if len(args) >= 3 else [30, 70]
        return [{"name": f"RSI({n})", "panel": "RSI", "values": nan_to_none(rsi(close, n)),
                 "levels": levels}]
    if kind == "macd":
        f, s, g = (int(a) for a in args)
        line = [a - b for a, b in zip(ema(close, f), ema(close, s))]
        signal = ema(line, g)
        hist = [a - b for a, b in zip(line, signal)]
        return [
            {"name": "MACD", "panel": "MACD", "values": nan_to_none(line)},
            {"name": "signal", "panel": "MACD", "values": nan_to_none(signal)},
            {"name": "hist", "panel": "MACD", "values": nan_to_none(hist), "style": "histogram",
             "levels": [0]},
        ]
    if kind == "bollinger":
        n, k = int(args[0]), float(args[1])
        mid = sma(close, n)
        sd = rolling(close, n, lambda w: math.sqrt(sum((v - sum(w) / len(w)) ** 2 for v in w) / len(w)))
        return [
            {"name": f"BB mid({n})", "panel": "price", "values": nan_to_none(mid)},
            {"name": f"BB upper({n},{k:g})", "panel": "price",
             "values": nan_to_none([m + k * d for m, d in zip(mid, sd)])},
            {"name": f"BB lower({n},{k:g})", "panel": "price",
             "values": nan_to_none([m - k * d for m, d in zip(mid, sd)])},
        ]
    if kind == "donchian":
        n = int(args[0])
        return [
            {"name": f"Donchian high({n})", "panel": "price",
             "values": nan_to_none(rolling(bars["high"], n, max))},
            {"name": f"Donchian low({n})", "panel": "price",
             "values": nan_to_none(rolling(bars["low"], n, min))},
        ]
    raise SystemExit(f"unknown indicator {spec!r}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--csv")
    src.add_argument("--synthetic", type=int, metavar="BARS")
    ap.add_argument("--strategy", required=True)
    ap.add_argument("--param", action="append", default=[])
    ap.add_argument("--commission", default=None)
    ap.add_argument("--cash", type=float, default=10000)
    ap.add_argument("--indicator", action="append", default=[])
    ap.add_argument("--name", help="instrument name in the title (default: the CSV's stem)")
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build/release/backtest"))
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    csv_path = a.csv
    if a.synthetic:
        csv_path = os.path.join(ROOT, ".build", f"report-synthetic-{a.synthetic}.csv")
        os.makedirs(os.path.dirname(csv_path), exist_ok=True)
        if not os.path.exists(csv_path):
            synthetic_csv(a.synthetic, csv_path)
    cmd = [a.binary, "run", "--csv", csv_path, "--strategy", a.strategy, "--cash", f"{a.cash:g}",
           "--format", "json", "--include", "trades,equity"]
    for p in a.param:
        cmd += ["--param", p]
    if a.commission is not None:
        cmd += ["--commission", a.commission]
    run = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)

    bars = read_csv(csv_path)
    n = len(bars["time"])
    name = a.name or ("SYNTH" if a.synthetic else os.path.splitext(os.path.basename(csv_path))[0])
    params = ",".join(a.param)
    strategy = f"{a.strategy}({params})" if params else a.strategy
    fmt = "%Y-%m-%d" if all(t % 86400 == 0 for t in bars["time"]) else "%Y-%m-%d %H:%M"
    first = dt.datetime.fromtimestamp(bars["time"][0], dt.timezone.utc).strftime(fmt)
    last = dt.datetime.fromtimestamp(bars["time"][-1], dt.timezone.utc).strftime(fmt)
    subtitle = f"{first} – {last}, {n} bars"
    if a.commission is not None:
        subtitle += f", commission {a.commission}"
    data = {
        "title": f"{strategy} on {name}",
        "subtitle": subtitle,
        "cash": a.cash,
        "bars": bars,
        "equity": run["equity"],
        "trades": run["trades"],
        "indicators": [ind for spec in a.indicator for ind in indicators(spec, bars)],
        "stats": run["stats"],
    }
    with open(a.out, "w") as f:
        json.dump(data, f, separators=(",", ":"), allow_nan=False)
    print(f"{a.out}: {n} bars, {len(run['trades'])} trades, {os.path.getsize(a.out)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
