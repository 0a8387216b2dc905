#!/usr/bin/env python3
"""Self-test of the report template and of render_check.py; needs only Python 3 and Chromium.

    selftest.py [--out DIR]      # default .build/report-selftest

1. the template is what build_template.py makes from the sources (--check);
2. the bare template (placeholder not replaced) opens without errors and draws no panels;
3. hand-made data -- 300 daily bars with trades, volume, an overlay and an RSI-like panel, and
   a title and an indicator name that try to close the data's <script> element -- renders every
   kind of panel with data-points > 0, and the title shows the text as given;
4. edge cases render without errors: one bar, no trades, no volume, no indicators, NaN/"Infinity"
   statistics, an open trade without an exit, 25,000 intraday bars (display aggregated);
5. the checker catches what it must: a page whose script no longer matches its CSP hash, and a
   console error, both fail.
Screenshots land in the output folder. Exit status 0 when every step passed.
"""
import argparse
import json
import math
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TEMPLATE = os.path.join(ROOT, "Sources", "BacktestReport", "Resources", "report.html")
sys.path.insert(0, HERE)
import fill  # noqa: E402
import render_check  # noqa: E402


def bars(n, step=86400, start=1104537600, seed=1.0):
    t, o, h, lo, c, v = [], [], [], [], [], []
    price = 100.0
    for i in range(n):
        nxt = price * (1 + 0.012 * math.sin(i * 0.21 * seed) + 0.004 * math.cos(i * 1.7))
        t.append(start + i * step)
        o.append(round(price, 4))
        c.append(round(nxt, 4))
        h.append(round(max(price, nxt) * 1.006, 4))
        lo.append(round(min(price, nxt) * 0.994, 4))
        v.append(1000 + (i * 37) % 500)
        price = nxt
    return {"time": t, "open": o, "high": h, "low": lo, "close": c, "volume": v}


def sma(xs, n):
    return [None if i < n - 1 else sum(xs[i - n + 1:i + 1]) / n for i in range(len(xs))]


def dataset(n, step=86400, trades_every=40, volume=True, indicators=True, title="selftest"):
    b = bars(n, step)
    if not volume:
        b["volume"] = None
    cash = 10000.0
    equity, trades = [], []
    eq = cash
    for i in range(n):
        if i and i % trades_every == 0 and i >= trades_every:
            e, x = i - trades_every + 5, i
            size = 50 if (i // trades_every) % 2 else -30
            pnl = size * (b["close"][x] - b["close"][e])
            trades.append({
                "size": size, "entry_bar": e, "exit_bar": x,
                "entry_time": iso(b["time"][e]), "exit_time": iso(b["time"][x]),
                "entry_price": b["close"][e], "exit_price": b["close"][x], "pnl": pnl,
                "return_pct": pnl / abs(size * b["close"][e]), "sl": None, "tp": None, "commission": 0.0,
                "duration_days": (b["time"][x] - b["time"][e]) / 86400,
            })
            eq += pnl
        equity.append(eq)
    inds = []
    if indicators:
        inds = [
            {"name": "SMA(20)", "panel": "price", "values": sma(b["close"], 20)},
            {"name": "osc", "panel": "Oscillator", "values": [50 + 30 * math.sin(i / 9) for i in range(n)],
             "levels": [30, 70]},
            {"name": "bars", "panel": "Oscillator", "values": [10 * math.sin(i / 5) for i in range(n)],
             "style": "histogram"},
        ]
    stats = {"start": iso(b["time"][0]), "end": iso(b["time"][-1]), "duration_days": n * step / 86400,
             "equity_final": equity[-1], "return_pct": (equity[-1] / cash - 1) * 100, "sharpe_ratio": None,
             "profit_factor": "Infinity", "trades": len(trades), "max_drawdown_pct": -5.0,
             "max_drawdown_duration_days": 12.5}
    return {"title": title, "subtitle": f"{n} bars", "cash": cash, "bars": b, "equity": equity, "trades": trades,
            "indicators": inds, "stats": stats}


def iso(t):
    import datetime as dt
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(ROOT, ".build", "report-selftest"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    failures = []

    def step(name, ok, detail=""):
        print(("ok   " if ok else "FAIL ") + name + (f": {detail}" if detail and not ok else ""))
        if not ok:
            failures.append(name)

    def run(html, png=None, **kw):
        args = render_check.parser().parse_args([html] + (["--png", png] if png else []))
        for k, v in kw.items():
            setattr(args, k, v)
        return render_check.check(args)

    r = subprocess.run([sys.executable, os.path.join(HERE, "build_template.py"), "--check"], capture_output=True,
                       text=True)
    step("template up to date", r.returncode == 0, r.stdout.strip())
    with open(TEMPLATE, encoding="utf-8") as f:
        template = f.read()

    res = run(TEMPLATE, os.path.join(a.out, "template.png"), expect="")
    step("bare template opens cleanly", not res["problems"] and not res.get("panels"), res["problems"])

    evil = '</script><script>alert(1)</script><!--'
    d = dataset(300, title="x " + evil)
    d["indicators"][0]["name"] = "SMA " + evil
    path = os.path.join(a.out, "full.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(fill.fill(template, d))
    res = run(path, os.path.join(a.out, "full.png"))
    step("all six panel kinds render", not res["problems"], res["problems"])
    with open(path, encoding="utf-8") as f:
        page = f.read()
    step("data cannot close its element", page.count("</script>") == template.count("</script>"))

    cases = {
        "one-bar": dataset(1, indicators=False),
        "no-trades-no-volume": dataset(120, trades_every=10 ** 9, volume=False),
        "aggregated-25k-hourly": dataset(25000, step=3600, trades_every=97),
    }
    open_trade = dataset(200)
    open_trade["trades"].append(dict(open_trade["trades"][-1], exit_bar=None, exit_time=None, exit_price=None))
    cases["open-trade"] = open_trade
    for name, data in cases.items():
        path = os.path.join(a.out, name + ".html")
        with open(path, "w", encoding="utf-8") as f:
            f.write(fill.fill(template, data))
        res = run(path, os.path.join(a.out, name + ".png"), expect="equity,drawdown,ohlc", allow_zero="pl")
        extra = ""
        if name.startswith("aggregated") and res.get("buckets", 1) < 2:
            extra = "display not aggregated"
        step("edge case " + name, not res["problems"] and not extra, res["problems"] or extra)

    # the checker must fail a page whose script does not match its hash...
    tampered = fill.fill(template, dataset(100)).replace("'use strict';", "'use strict'; ", 1)
    path = os.path.join(a.out, "tampered.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(tampered)
    res = run(path, expect="", timeout=3)
    step("CSP blocks a changed script (and the check fails)", any("Content Security Policy" in p or "CSP" in p
                                                                for p in res["problems"]), res["problems"])
    # ...and a page that logs an error
    data = dataset(50)
    data["bars"]["time"] = "not an array"
    path = os.path.join(a.out, "broken.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(fill.fill(template, data))
    res = run(path, expect="")
    step("a drawing error fails the check", bool(res["problems"]), "no problem reported")

    print(f"{len(failures)} failed" if failures else "selftest: all passed", f"(screenshots in {a.out})")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
