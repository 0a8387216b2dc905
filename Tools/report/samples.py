#!/usr/bin/env python3
"""Hand-made data for optimize.html and batch.html, in the shapes of Tools/report/README.md.

    samples.py [--out DIR]     # write the samples (default Tools/report/samples/)

Writes optimize-grid.json (two parameters: one heatmap), optimize-three.json (three parameters,
three heatmaps, minimised), optimize-line.json (one parameter: the objective line; null and
"Infinity" values), optimize-walkforward.json (folds and the stitched equity),
optimize-tickers.json (several tickers: ranking and per-ticker bests), batch.json (six tickers,
one failed, one without an equity curve) and batch-fetch.json (the same, as the server makes
it: "report_fetch": true and server paths). selftest.py and dashboard_mock.py build their data
with these functions too. Deterministic; Python 3 standard library only.
"""
import argparse
import datetime as dt
import json
import math
import os

HERE = os.path.dirname(os.path.abspath(__file__))

# backtest run --csv GOOG.csv --strategy sma_cross --commission 0.002 --format json
GOOG_STATS = {
    "start": "2004-08-19T00:00:00", "end": "2013-03-01T00:00:00", "duration_days": 3116,
    "exposure_time_pct": 54.7951582867784, "equity_final": 50462.40614, "equity_peak": 53976.81971999999,
    "commissions": 4133.28386, "return_pct": 404.6240614, "buy_hold_return_pct": 522.0601851851852,
    "return_ann_pct": 20.923167046121584, "volatility_ann_pct": 27.23994059482203, "cagr_pct": 20.892736180323123,
    "sharpe_ratio": 0.7681061922028866, "sortino_ratio": 1.4970069366284156, "calmar_ratio": 0.670879858536745,
    "alpha_pct": 187.00441456114993, "beta": 0.41684781374709895, "max_drawdown_pct": -31.187651231260794,
    "avg_drawdown_pct": -4.611493052627044, "max_drawdown_duration_days": 584, "avg_drawdown_duration_days": 48,
    "trades": 32, "win_rate_pct": 50, "best_trade_pct": 53.08876039031443, "worst_trade_pct": -11.184721514379326,
    "avg_trade_pct": 4.761992616992372, "max_trade_duration_days": 183, "avg_trade_duration_days": 53,
    "profit_factor": 3.3751360179715624, "expectancy_pct": 5.6784619944161445, "sqn": 1.5257522520456444,
    "kelly_criterion": 0.2652359269467183,
}


def stats(ret=None, sqn=None, trades=None, start=None, end=None, **kw):
    """A full statistics object like GOOG_STATS with some values changed."""
    s = dict(GOOG_STATS)
    if ret is not None:
        s["return_pct"] = ret
        s["equity_final"] = 10000 * (1 + ret / 100)
        s["equity_peak"] = max(10000.0, s["equity_final"] * 1.04)
    if sqn is not None:
        s["sqn"] = sqn
    if trades is not None:
        s["trades"] = trades
    if start:
        s["start"] = start
    if end:
        s["end"] = end
    s.update(kw)
    return s


def frange(lo, hi, step):
    out, v = [], lo
    while v <= hi + 1e-9:
        out.append(round(v, 10))
        v += step
    return out


def iso(t):
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def surface(f, s):
    """A made-up objective over (fast, slow): a ridge near fast 5-15, slow 20-80."""
    return round(2.2 * math.exp(-((f - 8) / 14) ** 2 - ((s - 40) / 70) ** 2)
                 + 0.25 * math.sin(f / 3.0) * math.cos(s / 25.0) - 0.45, 4)


def top_list(cells, stat_keys, n, minimize=False):
    """cells: [(params, objective, trades)] -> the top n entries, best first."""
    ok = [c for c in cells if c[1] is not None]
    ok.sort(key=lambda c: c[1], reverse=not minimize)
    out = []
    for params, obj, trades in ok[:n]:
        st = {}
        for k in stat_keys:
            st[k] = obj if k == stat_keys[0] else trades if k == "trades" else round(abs(obj) * 3.1 + 5, 2)
        out.append({"params": params, "stats": st})
    return out


def logit_histogram(width=0.25, lower=-5.25, bins=42):
    """Counts of CSCV logits in bins of `width` from `lower` (right-closed), a bell leaning right of 0."""
    counts = [round(700 * math.exp(-(((lower + (k + 0.5) * width) - 1.1) / 1.7) ** 2)) for k in range(bins)]
    return {"lower": lower, "width": width, "counts": counts}


def split_sample(slope, intercept, splits=12870, max_points=1000):
    """Every step-th split's in-sample and out-of-sample Sharpe ratio of n*, scattered around the line."""
    step = -(-splits // max_points)
    ins, outs = [], []
    for i in range(0, splits, step):
        x = 0.034 + 0.009 * math.sin(i * 1.7) + 0.004 * math.cos(i * 0.37)
        ins.append(float(f"{x:.6g}"))
        outs.append(float(f"{slope * x + intercept + 0.012 * math.sin(i * 2.3 + 1) * math.cos(i * 0.11):.6g}"))
    return {"step": step, "in_sample_sharpe": ins, "out_of_sample_sharpe": outs}


def optimize_grid(nx=10, ny=20, title="sma_cross on GOOG: grid search, maximize sqn"):
    xs = frange(5, 5 * nx, 5)
    ys = frange(10, 10 * ny, 10)
    z, cells, best, best_v = [], [], None, -math.inf
    for j, s in enumerate(ys):
        row = []
        for i, f in enumerate(xs):
            if f >= s:
                row.append(None)  # the constraint fast < slow
                continue
            v = surface(f, s)
            row.append(v)
            cells.append(({"fast": f, "slow": s}, v, int(120 / (1 + f / 10) + s / 20)))
            if v > best_v:
                best, best_v = (i, j), v
        z.append(row)
    top = top_list(cells, ["sqn", "trades"], 10)
    bx, by = xs[best[0]], ys[best[1]]
    return {
        "kind": "optimization", "title": title,
        "subtitle": f"{len(cells)} of {nx * ny} combinations run in 0.21 s, 2004-08-19 – 2013-03-01, commission 0.002",
        "objective": {"statistic": "sqn", "direction": "maximize"},
        "parameters": ["fast", "slow"], "statistics": ["sqn", "trades"],
        "best": {"params": {"fast": bx, "slow": by}, "objective": best_v,
                 "stats": stats(ret=412.5, sqn=best_v, trades=top[0]["stats"]["trades"])},
        "top": top,
        "heatmaps": [{"x": "fast", "y": "slow", "xs": xs, "ys": ys, "z": z, "best": list(best)}],
        "lines": [], "folds": [], "stitched": None, "tickers": None, "ranking": None,
        "robustness": {
            "trials": len(cells), "periods": 2147, "blocks": 16, "combinations": 12870,
            "best_trial": f"fast={bx}, slow={by}", "sharpe": 0.0412, "sharpe_std": 0.0113,
            "expected_max_sharpe": 0.0291, "psr": 0.9706, "dsr": 0.7123, "pbo": 0.1875, "prob_oos_loss": 0.0421,
            "degradation": {"slope": 0.3871, "intercept": 0.0102},
            "bootstrap": {"samples": 1000, "seed": 42, "trades": 56,
                          "total_return": {"p5": 0.812, "p50": 3.104, "p95": 8.233},
                          "max_drawdown": {"p5": 0.118, "p50": 0.214, "p95": 0.377}},
            "winner": f"fast={bx}, slow={by}", "winner_sharpe": 0.0412, "winner_psr": 0.9706,
            "logit_histogram": logit_histogram(), "split_sample": split_sample(0.3871, 0.0102),
        },
        "robustness_notes": [
            "DSR 0.71: the probability that the best trial's Sharpe ratio beats what the best of the trials without skill would reach.",
            "PBO 0.19: the trial best on one half ranked at or below the median on the other in 18.8 % of the splits.",
        ],
    }


def optimize_three(n=12, minimize=True):
    """Three parameters (period, lower, upper), minimising max. drawdown: three heatmaps of n x n."""
    names = ["period", "lower", "upper"]
    vals = {"period": frange(2, 2 + 2 * (n - 1), 2), "lower": frange(10, 10 + 2 * (n - 1), 2),
            "upper": [round(60 + 2.5 * k, 1) for k in range(n)]}

    def f(p, lo, up):
        if p == 10 and lo == 20:
            return None  # no trades
        v = -(8 + 0.04 * (p - 14) ** 2 + 0.03 * (lo - 24) ** 2 + 0.02 * (up - 75) ** 2 + 2 * math.sin(p * lo / 40))
        return round(v, 3)

    sign = 1 if minimize else -1
    heatmaps = []
    pairs = [("period", "lower", "upper"), ("period", "upper", "lower"), ("lower", "upper", "period")]
    for x, y, other in pairs:
        z = []
        bv, bc = None, None
        for j, yv in enumerate(vals[y]):
            row = []
            for i, xv in enumerate(vals[x]):
                cands = []
                for ov in vals[other]:
                    p = {x: xv, y: yv, other: ov}
                    v = f(p["period"], p["lower"], p["upper"])
                    if v is not None:
                        cands.append(v)
                v = (min(cands) if minimize else max(cands)) if cands else None
                row.append(v)
                if v is not None and (bv is None or sign * v < sign * bv):
                    bv, bc = v, [i, j]
            z.append(row)
        heatmaps.append({"x": x, "y": y, "xs": vals[x], "ys": vals[y], "z": z, "best": bc})
    cells = []
    for p in vals["period"][::2]:
        for lo in vals["lower"][::2]:
            for up in vals["upper"][::3]:
                v = f(p, lo, up)
                cells.append(({"period": p, "lower": lo, "upper": up}, v, 40))
    top = top_list(cells, ["max_drawdown_pct", "return_pct", "trades"], 15, minimize=minimize)
    b = top[0]
    return {
        "kind": "optimization", "title": "rsi_reversion on EURUSD: grid search, minimize max_drawdown_pct",
        "subtitle": f"{n ** 3} combinations, three parameters (best over the third in each heatmap)",
        "objective": {"statistic": "max_drawdown_pct", "direction": "minimize" if minimize else "maximize"},
        "parameters": names, "statistics": ["max_drawdown_pct", "return_pct", "trades"],
        "best": {"params": b["params"], "objective": b["stats"]["max_drawdown_pct"],
                 "stats": stats(ret=12.5, max_drawdown_pct=b["stats"]["max_drawdown_pct"], profit_factor="Infinity",
                                sharpe_ratio=None, sortino_ratio="-Infinity")},
        "top": top, "heatmaps": heatmaps, "lines": [], "folds": [], "stitched": None, "tickers": None, "ranking": None,
    }


def optimize_line():
    xs = list(range(5, 61, 5))
    ys = []
    for x in xs:
        if x == 15:
            ys.append(None)  # NaN: no trades
        elif x == 60:
            ys.append("Infinity")
        else:
            ys.append(round(1.8 - ((x - 25) / 20) ** 2 + 0.1 * math.sin(x), 4))
    finite = [(v, i) for i, v in enumerate(ys) if isinstance(v, float)]
    best_v, best_i = max(finite)
    cells = [({"period": x}, v if isinstance(v, float) else None, 30 + i) for i, (x, v) in enumerate(zip(xs, ys))]
    return {
        "kind": "optimization", "title": "rsi_reversion on AAPL: one parameter",
        "subtitle": "12 combinations, 2020-01-01 – 2020-12-31",
        "objective": {"statistic": "sharpe_ratio", "direction": "maximize"},
        "parameters": ["period"], "statistics": ["sharpe_ratio", "trades", "win_rate_pct"],
        "best": {"params": {"period": xs[best_i]}, "objective": best_v, "stats": stats(ret=31.2, sharpe_ratio=best_v, sqn=None)},
        "top": top_list(cells, ["sharpe_ratio", "trades", "win_rate_pct"], 12),
        "heatmaps": [], "lines": [{"x": "period", "xs": xs, "ys": ys, "best": best_i}],
        "folds": [], "stitched": None, "tickers": None, "ranking": None,
    }


def optimize_walkforward(folds=5, train_bars=500, test_bars=250):
    day = 86400
    t0 = 1092873600  # 2004-08-19
    F, times, equity, ins_ann, oos_ann = [], [], [], [], []
    eq = 10000.0
    for k in range(folds):
        tr0 = t0 + k * test_bars * day * 7 // 5
        tr1 = tr0 + train_bars * day * 7 // 5
        te0 = tr1 + day
        te1 = te0 + test_bars * day * 7 // 5
        p = {"fast": [20, 10, 15, 20, 5, 30][k % 6], "slow": [70, 50, 60, 90, 30, 120][k % 6]}
        ret = [8.5, -3.2, 12.1, 4.4, -1.0, 6.0][k % 6]
        is_ann = [25.0, 18.0, -4.0, 30.0, 12.0, 20.0][k % 6]
        oos = stats(ret=ret, sqn=round(ret / 5, 3), trades=4 + k, start=iso(te0), end=iso(te1))
        oos_ann.append(oos["return_ann_pct"])
        ins_ann.append(is_ann)
        F.append({
            "train": {"start": iso(tr0), "end": iso(tr1), "bars": train_bars},
            "test": {"start": iso(te0), "end": iso(te1), "bars": test_bars},
            "params": p, "in_sample_objective": round(3.2 - 0.4 * k, 3) if k != 2 else None,
            "stats": oos, "in_sample_return_ann_pct": is_ann,
            "efficiency": oos["return_ann_pct"] / is_ann if is_ann > 0 else None,
        })
        for b in range(test_bars):
            t = te0 + b * day * 7 // 5
            eq *= 1 + (ret / 100) / test_bars + 0.004 * math.sin(b / 7 + k)
            times.append(t - t % day)
            equity.append(round(eq, 2))
    last = F[-1]
    return {
        "kind": "optimization", "title": "sma_cross on GOOG: walk-forward, maximize sqn",
        "subtitle": f"{folds} folds of {train_bars} training and {test_bars} test bars, commission 0.002",
        "objective": {"statistic": "sqn", "direction": "maximize"},
        "parameters": ["fast", "slow"], "statistics": ["sqn", "trades"],
        "best": {"params": last["params"], "objective": last["in_sample_objective"],
                 "stats": stats(ret=round((eq / 10000 - 1) * 100, 3), sqn=1.1, trades=30)},
        "top": [], "heatmaps": [], "lines": [], "folds": F,
        "stitched": {"time": times, "equity": equity}, "tickers": None, "ranking": None,
        "walk_forward_efficiency": (sum(oos_ann) / folds) / (sum(ins_ann) / folds),
    }


def optimize_tickers(tickers=("AAPL", "MSFT", "GOOG")):
    combos = [{"fast": f, "slow": s} for f in (10, 20, 30) for s in (60, 120, 180)]
    ranking = []
    for i, c in enumerate(combos):
        ranking.append({"params": c, "mean_objective": round(198.8 - 11.5 * i + (3 if i % 3 else 0), 2),
                        "tickers": len(tickers) if i != 4 else len(tickers) - 1})
    ranking.sort(key=lambda r: -r["mean_objective"])
    per = []
    for k, t in enumerate(tickers):
        c = combos[(k * 4) % len(combos)]
        obj = round(250.0 - 40 * k, 2)
        per.append({"ticker": t, "best": {"params": c, "objective": obj, "stats": stats(ret=obj, trades=12 + k)},
                    "top": [{"params": c, "stats": {"return_pct": obj, "trades": 12 + k}}]})
    return {
        "kind": "optimization", "title": f"sma_cross on {len(tickers)} tickers, maximize return_pct",
        "subtitle": "9 combinations on each ticker, 2015-01-02 – 2024-12-31",
        "objective": {"statistic": "return_pct", "direction": "maximize"},
        "parameters": ["fast", "slow"], "statistics": ["return_pct", "trades"],
        "best": None, "top": [], "heatmaps": [], "lines": [], "folds": [], "stitched": None,
        "tickers": per, "ranking": ranking,
    }


def equity_curve(n, drift, seed):
    eq, out = 10000.0, []
    for i in range(n):
        eq *= 1 + drift / n + 0.01 * math.sin(i / (5 + seed) + seed) * math.cos(i / 17)
        out.append(round(eq, 2))
    return out


def batch(report_fetch=False, prefix=""):
    specs = [("AAPL", 31.2, 1.4), ("MSFT", 18.9, 1.1), ("GOOG", -7.5, -0.3), ("AMZN", 52.0, 1.9),
             ("NVDA", 0.0, None), ("TSLA", None, None)]
    rows = []
    for k, (t, ret, sharpe) in enumerate(specs):
        link = (prefix + t + "/report") if report_fetch else t + ".html"
        if ret is None:
            rows.append({"ticker": t, "error": "unknown ticker 'TSLA' (not in the local store; import it with backtest data import)",
                         "stats": None, "equity": None, "report": None})
            continue
        st = stats(ret=ret, sharpe_ratio=sharpe, trades=10 + 3 * k, start="2020-01-02T00:00:00", end="2020-12-31T00:00:00",
                   max_drawdown_pct=-(5 + 3 * k), win_rate_pct=40 + 5 * k, sqn=None if k == 4 else round(ret / 20, 3))
        if t == "NVDA":
            st["profit_factor"] = "Infinity"
            st["trades"] = 0
        eq = None if t == "NVDA" else equity_curve(200 if t != "MSFT" else 37, ret / 100, k)
        rows.append({"ticker": t, "error": None, "stats": st, "equity": eq, "report": link})
    d = {"kind": "batch", "title": f"sma_cross on {len(specs)} tickers",
         "subtitle": "2020-01-01 – 2020-12-31, commission 0.002",
         "columns": ["return_pct", "sharpe_ratio", "max_drawdown_pct", "win_rate_pct", "trades", "sqn"], "rows": rows}
    if report_fetch:
        d["report_fetch"] = True
    return d


SAMPLES = {
    "optimize-grid": optimize_grid,
    "optimize-three": optimize_three,
    "optimize-line": optimize_line,
    "optimize-walkforward": optimize_walkforward,
    "optimize-tickers": optimize_tickers,
    "batch": batch,
    "batch-fetch": lambda: batch(report_fetch=True, prefix="/v1/jobs/job-done-1/items/"),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(HERE, "samples"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for name, make in SAMPLES.items():
        path = os.path.join(a.out, name + ".json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(make(), f, separators=(",", ":"), allow_nan=False)
            f.write("\n")
        print(f"{path}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
