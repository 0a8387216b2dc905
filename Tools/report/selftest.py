#!/usr/bin/env python3
"""Self-test of the pages and of render_check.py; needs only Python 3 and Chromium.

    selftest.py [--out DIR] [--only report,optimize,batch,portfolio,dashboard]   # default .build/report-selftest

report.html:
1. the pages are what build_template.py makes from the sources (--check);
2. the bare template (placeholder not replaced) opens without errors and draws no panels;
3. hand-made data -- 300 daily bars with trades, volume, an overlay and an RSI-like panel, and
   a title and an indicator name that try to close the data's <script> element -- renders every
   kind of panel with data-points > 0, and the title shows the text as given;
4. edge cases render without errors: one bar, no trades, no volume, no indicators, NaN/"Infinity"
   statistics, an open trade without an exit, 25,000 intraday bars (display aggregated);
5. the checker catches what it must: a page whose script no longer matches its CSP hash, and a
   console error, both fail.
optimize.html and batch.html (samples.py): the bare templates; every sample in samples/ (and
that they are what samples.py makes), each drawing exactly the panels and data-points its data
calls for; a title, ticker and parameter name that try to close the data's element; edge cases
(no results at all, a best without a top list, boolean parameter values, "Infinity" cells, a
heatmap without a best cell, three 200 x 200 heatmaps in time, a batch of failed rows only, an
empty batch, a one-point and a gappy equity curve); dark mode; a changed script is refused.
portfolio.html: the bare template; hand-made data (a late start, an early end, partial fills,
NaN and "Infinity" statistics) drawing exactly the panels its data calls for, hovered and dark;
hostile text; one bar, no orders/weights/coverage/statistics, 30 tickers (11 bands and "others"),
gaps in the equity, nothing at all.
dashboard.html (dashboard_mock.py): all panels fill in, live events arrive, and the report
buttons open a batch page, a backtest report from that page, and an optimisation page as blob:
URLs that render under the inherited CSP; each job kind shows its label (batch, optimisation,
portfolio job), a portfolio job's live item its tickers, and its report opens; a kind the page has
no label for fails the check naming it; with a key required the form takes it (and the key
never appears in a URL), without it the check fails saying so; no jobs is "no jobs yet".
Screenshots land in the output folder. Exit status 0 when every step passed.
"""
import argparse
import json
import math
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TEMPLATE = os.path.join(ROOT, "Sources", "BacktestReport", "Resources", "report.html")
sys.path.insert(0, HERE)
import fill  # noqa: E402
import render_check  # noqa: E402
import samples  # noqa: E402

RES = os.path.dirname(TEMPLATE)


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


def report_steps(a, step, run):
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



def write_page(a, name, template, data):
    path = os.path.join(a.out, name + ".html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(fill.fill(template, data))
    return path


def big_heatmaps(n=200, k=3):
    """An optimisation with k heatmaps of n x n cells (every 97th empty, one "Infinity")."""
    d = samples.optimize_grid()
    xs = list(range(1, n + 1))
    d["heatmaps"] = []
    for m in range(k):
        z = [[None if (i * 7 + j * 3 + m) % 97 == 0 else round(math.sin(i / 17 + m) * math.cos(j / 23) * 3 + (i - j) / 100, 4)
              for i in range(n)] for j in range(n)]
        z[5][5] = "Infinity"
        d["heatmaps"].append({"x": f"p{2 * m}", "y": f"p{2 * m + 1}", "xs": xs, "ys": xs, "z": z, "best": [10, 20]})
    d["parameters"] = [f"p{i}" for i in range(2 * k)]
    return d


def data_page_steps(a, step, run, only):
    """optimize.html and batch.html: bare templates, the samples, hostile text, edge cases."""
    pages = {}
    for name in ("optimize", "batch"):
        with open(os.path.join(RES, name + ".html"), encoding="utf-8") as f:
            pages[name] = f.read()
    kinds = [k for k in ("optimize", "batch") if k in only]

    for name in kinds:
        res = run(os.path.join(RES, name + ".html"), os.path.join(a.out, name + "-template.png"), expect="")
        step(f"bare {name}.html opens cleanly", not res["problems"] and not res.get("panels"), res["problems"])

    # the samples: current, and each draws exactly what its data calls for (light and dark)
    stale = []
    for sname, make in samples.SAMPLES.items():
        path = os.path.join(HERE, "samples", sname + ".json")
        want = json.dumps(make(), separators=(",", ":"), allow_nan=False) + "\n"
        if not os.path.exists(path) or open(path, encoding="utf-8").read() != want:
            stale.append(sname)
    step("samples/*.json are what samples.py makes", not stale, f"stale: {stale} (run samples.py)")
    for sname, make in samples.SAMPLES.items():
        kind = "batch" if sname.startswith("batch") else "optimize"
        if kind not in kinds:
            continue
        path = write_page(a, sname, pages[kind], make())
        res = run(path, os.path.join(a.out, sname + ".png"))
        step(f"sample {sname}: {panel_summary(res)} ({res.get('readyWallMs') or 0:.0f} ms)", not res["problems"], res["problems"])
        hover = {"optimize-grid": ".heat canvas", "optimize-line": ".u-over", "optimize-walkforward": "rect.test",
                 "batch": "svg.spark"}.get(sname)
        if hover:
            res = run(path, os.path.join(a.out, sname + "-hover.png"), hover=hover, viewport_only=True)
            step(f"sample {sname}, hovering {hover}", not res["problems"], res["problems"])
        if sname in ("optimize-grid", "optimize-walkforward", "batch"):
            res = run(path, os.path.join(a.out, sname + "-dark.png"), dark=True)
            step(f"sample {sname}, dark", not res["problems"], res["problems"])

    evil = '</script><script>alert(1)</script><!-- <b>'
    if "optimize" in kinds:
        d = samples.optimize_grid(title="sma_cross <fast/slow> " + evil)
        d["subtitle"] = "<i>" + evil
        d["heatmaps"][0]["x"] = "fast" + evil
        d["top"][0]["params"] = {"fast" + evil: 5, "slow": 20}
        path = write_page(a, "optimize-evil", pages["optimize"], d)
        res = run(path, os.path.join(a.out, "optimize-evil.png"))
        page = open(path, encoding="utf-8").read()
        step("optimize: hostile text stays text", not res["problems"] and res.get("title") == d["title"]
             and page.count("</script>") == pages["optimize"].count("</script>"), res["problems"] or res.get("title"))

        cases = {}
        empty = samples.optimize_grid()
        for k in ("best", "stitched", "tickers", "ranking"):
            empty[k] = None
        for k in ("top", "heatmaps", "lines", "folds"):
            empty[k] = []
        cases["optimize-empty"] = empty
        top_only = samples.optimize_grid()
        top_only["best"] = None
        top_only["heatmaps"] = []
        cases["optimize-top-only"] = top_only
        odd = samples.optimize_three(n=6, minimize=False)
        odd["heatmaps"][0]["xs"] = [False, True] + odd["heatmaps"][0]["xs"][2:]
        odd["heatmaps"][0]["z"][0][0] = "Infinity"
        odd["heatmaps"][0]["z"][1][1] = "-Infinity"
        odd["heatmaps"][1]["best"] = None
        odd["heatmaps"][2]["z"] = [[None] * 5 + [1.5]] + odd["heatmaps"][2]["z"][1:]
        odd["best"]["stats"]["custom_stat"] = 7
        cases["optimize-odd"] = odd
        bools = samples.optimize_line()
        bools["lines"][0]["x"] = "allow_short"
        bools["lines"][0]["xs"] = [False, True]
        bools["lines"][0]["ys"] = [0.5, None]
        bools["lines"][0]["best"] = 0
        bools["parameters"] = ["allow_short"]
        bools["top"] = [{"params": {"allow_short": False}, "stats": {"sharpe_ratio": 0.5, "trades": 3, "win_rate_pct": None}}]
        cases["optimize-bool-line"] = bools
        wf1 = samples.optimize_walkforward(folds=1, train_bars=50, test_bars=20)
        cases["optimize-one-fold"] = wf1
        for name, data in cases.items():
            path = write_page(a, name, pages["optimize"], data)
            res = run(path, os.path.join(a.out, name + ".png"))
            step(f"edge case {name}: {panel_summary(res)}", not res["problems"], res["problems"])

        path = write_page(a, "optimize-3x200x200", pages["optimize"], big_heatmaps())
        res = run(path, os.path.join(a.out, "optimize-3x200x200.png"))
        ms = res.get("readyWallMs") or 0
        step(f"three 200 x 200 heatmaps ({os.path.getsize(path) // 1024} KB): ready in {ms:.0f} ms, heatmaps drawn in "
             f"{(res.get('phases') or {}).get('heatmaps', 0):.0f} ms", not res["problems"] and 0 < ms < 5000,
             res["problems"] or f"{ms:.0f} ms")

        tampered = fill.fill(pages["optimize"], samples.optimize_grid()).replace("'use strict';", "'use strict'; ", 1)
        path = os.path.join(a.out, "optimize-tampered.html")
        with open(path, "w", encoding="utf-8") as f:
            f.write(tampered)
        res = run(path, expect="", timeout=3)
        step("optimize: CSP blocks a changed script (and the check fails)",
             any("Content Security Policy" in p or "CSP" in p for p in res["problems"]), res["problems"])

    if "batch" in kinds:
        d = samples.batch()
        d["title"] = "batch <of> " + evil
        d["rows"][0]["ticker"] = "A" + evil
        d["rows"][-1]["error"] = "failed " + evil
        path = write_page(a, "batch-evil", pages["batch"], d)
        res = run(path, os.path.join(a.out, "batch-evil.png"))
        page = open(path, encoding="utf-8").read()
        step("batch: hostile text stays text", not res["problems"] and res.get("title") == d["title"]
             and page.count("</script>") == pages["batch"].count("</script>"), res["problems"] or res.get("title"))

        failed = samples.batch()
        failed["rows"] = [r for r in failed["rows"] if r["error"]] * 3
        odd = samples.batch()
        odd["rows"][0]["equity"] = [10000]
        odd["rows"][1]["equity"] = [10000, None, 10100, "Infinity", 9900, None]
        odd["rows"][2]["report"] = "javascript:alert(1)"
        odd["columns"] = ["return_pct", "custom_stat", "profit_factor"]
        odd["rows"][3]["stats"]["custom_stat"] = "Infinity"
        for name, data, zero in (("batch-all-failed", failed, ""), ("batch-odd", odd, ""),
                                 ("batch-empty", dict(samples.batch(), rows=[]), "batch-table")):
            path = write_page(a, name, pages["batch"], data)
            res = run(path, os.path.join(a.out, name + ".png"), allow_zero=zero)
            step(f"edge case {name}: {panel_summary(res)}", not res["problems"], res["problems"])


def panel_summary(res):
    counts = {}
    for p in res.get("panels") or []:
        counts.setdefault(p["panel"], []).append(p["points"])
    return ", ".join(f"{k}={'+'.join(str(v) for v in vs)}" for k, vs in counts.items()) or "no panels"


def portfolio_data(n=400, tickers=("AAA", "BBB", "CCC", "DDD"), orders=True, weights=True):
    """A hand-made portfolio page's data: n daily bars, a ticker that starts late, one that ends early."""
    k = len(tickers)
    t = [1262304000 + i * 86400 for i in range(n)]
    eq = [100000 * (1 + 0.3 * i / n + 0.05 * math.sin(i / 17)) for i in range(n)]
    w = [[0.0] * k] + [[max(0.0, (0.22 + 0.02 * math.sin(i / (9 + j) + j)) * 4 / k) for j in range(k)] for i in range(1, n)]
    od = [{"bar": b, "time": t[b], "ticker": tickers[b % k], "size": (-1) ** b * (10 + b), "price": 50 + b / 10,
           "commission": 0.5, "partial": b % 7 == 0} for b in range(1, n, 21)]
    stats = {"start": "2010-01-01T00:00:00", "end": "2011-02-04T00:00:00", "duration_days": n - 1,
             "exposure_time_pct": 99.7, "equity_final": eq[-1], "equity_peak": max(eq), "commissions": 9.5,
             "return_pct": (eq[-1] / 1e5 - 1) * 100, "buy_hold_return_pct": 25.1, "return_ann_pct": 20.2,
             "volatility_ann_pct": 14.0, "cagr_pct": 19.9, "sharpe_ratio": 1.44, "sortino_ratio": None,
             "calmar_ratio": "Infinity", "max_drawdown_pct": -8.1, "avg_drawdown_pct": -1.2,
             "max_drawdown_duration_days": 60, "avg_drawdown_duration_days": 9.5}
    share = (eq[-1] - 1e5) / k
    return {"kind": "portfolio", "title": "equal weight of " + ", ".join(tickers), "subtitle": "hand-made", "cash": 100000,
            "tickers": list(tickers), "time": t, "equity": eq, "weights": w if weights else None,
            "contributions": [{"ticker": x, "pnl": share * (j - 1), "return_pct": share * (j - 1) / 1000, "position": 10 * j,
                               "last_close": 50.5} for j, x in enumerate(tickers)],
            "orders": od if orders else [],
            "coverage": [{"ticker": tickers[1], "first": t[30 % n], "last": t[-1], "starts_late": True, "ends_early": False},
                         {"ticker": tickers[-1], "first": t[0], "last": t[200 % n], "starts_late": False, "ends_early": True}],
            "stats": stats}


def portfolio_steps(a, step, run):
    """portfolio.html: the bare template, hand-made data, hostile text, edge cases, dark mode."""
    with open(os.path.join(RES, "portfolio.html"), encoding="utf-8") as f:
        template = f.read()
    res = run(os.path.join(RES, "portfolio.html"), os.path.join(a.out, "portfolio-template.png"), expect="")
    step("bare portfolio.html opens cleanly", not res["problems"] and not res.get("panels"), res["problems"])
    path = write_page(a, "portfolio", template, portfolio_data())
    res = run(path, os.path.join(a.out, "portfolio.png"))
    step(f"portfolio: {panel_summary(res)}", not res["problems"], res["problems"])
    res = run(path, os.path.join(a.out, "portfolio-hover.png"), hover="[data-panel=weights] .u-over", viewport_only=True)
    step("portfolio, hovering the weights", not res["problems"], res["problems"])
    res = run(path, os.path.join(a.out, "portfolio-dark.png"), dark=True)
    step("portfolio, dark", not res["problems"], res["problems"])

    evil = '</script><script>alert(1)</script><!-- <b>'
    d = portfolio_data(tickers=("A" + evil, "B"))
    d["title"] = "portfolio <of> " + evil
    path = write_page(a, "portfolio-evil", template, d)
    res = run(path, os.path.join(a.out, "portfolio-evil.png"))
    page = open(path, encoding="utf-8").read()
    step("portfolio: hostile text stays text", not res["problems"] and res.get("title") == d["title"]
         and page.count("</script>") == template.count("</script>"), res["problems"] or res.get("title"))

    many = tuple(f"T{i:02d}" for i in range(30))
    cases = {
        "one bar": portfolio_data(n=1),
        "no orders, no weights, no coverage, no stats": dict(portfolio_data(orders=False, weights=False), coverage=[], stats=None),
        "30 tickers (12 bands)": portfolio_data(tickers=many),
        "gaps in the equity": dict(portfolio_data(), equity=[None if i % 50 == 3 else v for i, v in enumerate(portfolio_data()["equity"])]),
        "nothing at all": {"kind": "portfolio", "title": "empty"},
    }
    for i, (name, data) in enumerate(cases.items()):
        path = write_page(a, f"portfolio-edge-{i}", template, data)
        res = run(path, os.path.join(a.out, f"portfolio-edge-{i}.png"))
        step(f"portfolio edge case {name}: {panel_summary(res)}", not res["problems"], res["problems"])


def dashboard_steps(a, step, run):
    """dashboard.html against dashboard_mock.py: panels, live events, reports opened, the key."""
    import dashboard_mock
    srv = dashboard_mock.start()
    try:
        res = run(None, os.path.join(a.out, "dashboard.png"), url=srv.url, wait_for="window.__report.sse > 0",
                  click=["[data-job=job-done-1] button.report", "button.report-link"])
        opened = ", ".join(f"{(o.get('href') or '')[:5]}… {len(o.get('panels') or [])} panels" for o in res.get("opened", []))
        step(f"dashboard: {panel_summary(res)}, {res.get('sse')} live event(s); opens a batch report and a "
             f"backtest from it ({opened})", not res["problems"] and len(res.get("opened", [])) == 2, res["problems"])
        res = run(None, None, url=srv.url, click=["[data-job=job-opt-done] button.report"])
        step("dashboard: opens an optimisation report", not res["problems"] and len(res.get("opened", [])) == 1,
             res["problems"])
        res = run(None, os.path.join(a.out, "dashboard-dark.png"), url=srv.url, dark=True)
        step("dashboard, dark", not res["problems"], res["problems"])
    finally:
        srv.shutdown()

    srv = dashboard_mock.start()  # its portfolio job runs from now, an item every 1.5 s
    try:
        # each kind by its label; a portfolio job's live item by its tickers; its report opens
        live = "document.querySelector('[data-job=job-portfolios-live] .item-note')"
        res = run(None, None, url=srv.url, wait_for=f"{live} && {live}.textContent.startsWith('last: ')",
                  click=["[data-job=job-portfolios-done] button.report"])
        rows = {r["id"]: r for r in res.get("jobRows", [])}
        labels = {i: (rows.get(i) or {}).get("label") for i in ("job-done-1", "job-opt-done", "job-portfolios-done", "job-portfolios-live")}
        note = (rows.get("job-portfolios-live") or {}).get("note", "")
        step(f"dashboard: job kinds as labels ({labels}), a portfolio item as its tickers ({note!r}), "
             "a portfolio job's report opens",
             not res["problems"] and labels == {"job-done-1": "batch", "job-opt-done": "optimisation",
                                               "job-portfolios-done": "portfolio job", "job-portfolios-live": "portfolio job"}
             and re.fullmatch(r"last: [A-Z]+, [A-Z]+, [A-Z]+ \+1", note) is not None and len(res.get("opened", [])) == 1,
             res["problems"] or labels)
    finally:
        srv.shutdown()

    srv = dashboard_mock.start(extra_kind="mystery")
    try:
        res = run(None, None, url=srv.url)
        step("dashboard with a job kind it has no label for: the check fails naming it",
             any("job job-extra-kind shows the API's kind 'mystery'" in p for p in res["problems"]), res["problems"])
    finally:
        srv.shutdown()

    srv = dashboard_mock.start(key="sel ftest-key/1")
    try:
        res = run(None, os.path.join(a.out, "dashboard-key.png"), url=srv.url, api_key="sel ftest-key/1",
                  click=["[data-job=job-done-1] button.report", "button.report-link"])
        step(f"dashboard with a key: the form takes it, reports open ({panel_summary(res)})",
             not res["problems"] and res.get("keyEntered") and len(res.get("opened", [])) == 2, res["problems"])
        step("the key never went into a URL", not srv.leaks, srv.leaks)
        res = run(None, os.path.join(a.out, "dashboard-nokey.png"), url=srv.url, timeout=4, viewport_only=True)
        step("dashboard without the key it needs: the check fails saying so",
             any("wants an API key" in p for p in res["problems"]), res["problems"])
    finally:
        srv.shutdown()

    srv = dashboard_mock.start(jobs=False)
    try:
        res = run(None, os.path.join(a.out, "dashboard-nojobs.png"), url=srv.url)
        jobs = [p["points"] for p in res.get("panels", []) if p["panel"] == "jobs"]
        step("dashboard with no jobs: jobs panel with 0 points", not res["problems"] and jobs == [0], res["problems"] or jobs)
    finally:
        srv.shutdown()

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(ROOT, ".build", "report-selftest"))
    ap.add_argument("--only", default="report,optimize,batch,portfolio,dashboard", help="which pages to test")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    only = set(a.only.split(","))
    failures = []

    def step(name, ok, detail=""):
        print(("ok   " if ok else "FAIL ") + name + (f": {detail}" if detail and not ok else ""), flush=True)
        if not ok:
            failures.append(name)

    def run(html, png=None, **kw):
        args = render_check.parser().parse_args(([html] if html else []) + (["--png", png] if png else []))
        for k, v in kw.items():
            setattr(args, k, v)
        return render_check.check(args)

    r = subprocess.run([sys.executable, os.path.join(HERE, "build_template.py"), "--check"], capture_output=True,
                       text=True)
    step("template up to date", r.returncode == 0, r.stdout.strip())

    if "report" in only:
        report_steps(a, step, run)
    if "optimize" in only or "batch" in only:
        data_page_steps(a, step, run, only)
    if "portfolio" in only:
        portfolio_steps(a, step, run)
    if "dashboard" in only:
        dashboard_steps(a, step, run)

    print(f"{len(failures)} failed" if failures else "selftest: all passed", f"(screenshots in {a.out})")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
