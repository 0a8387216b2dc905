#!/usr/bin/env python3
"""Reference values for the BacktestResearch module (issue 22), computed independently.

Every statistic is written out here from its formula (no pbo library is used): per-period
Sharpe ratio mean / std (ddof=1), PSR, DSR with E[max] from Euler's gamma, PBO by CSCV with
the returns of each split concatenated and measured in two passes, and the trade bootstrap
with its own SplitMix64. numpy, scipy and pandas are used for arithmetic, ranks, the normal
distribution and as a cross-check of skewness and kurtosis.

Usage (from the repository root):
    python3 -m venv .build/robustness-venv
    .build/robustness-venv/bin/pip install numpy scipy pandas
    .build/robustness-venv/bin/python Tools/robustness/reference.py \
        > Tests/BacktestResearchTests/Fixtures/reference.json
"""

import itertools
import json
import math
import sys

import numpy as np
import pandas as pd
import scipy.stats as ss

MASK = (1 << 64) - 1


class SplitMix64:
    """SplitMix64 with the published constants."""

    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def uniform(self):
        return float(self.next() >> 11) * 2.0 ** -53

    def index_below(self, n):
        """Unbiased: reject draws below 2**64 mod n, then take the draw mod n."""
        reject_below = (1 << 64) % n
        while True:
            x = self.next()
            if x >= reject_below:
                return x % n


def synthetic_columns(periods, trials, seed):
    """The matrix of SyntheticReturns.columns (periods x trials), same arithmetic order."""
    g = SplitMix64(seed)
    drift = [0.0001 * float(j % 11 - 5) for j in range(trials)]
    skew = [0.002 * float(j % 5 - 2) for j in range(trials)]
    m = np.empty((periods, trials))
    for t in range(periods):
        for j in range(trials):
            u1, u2, u3, u4 = g.uniform(), g.uniform(), g.uniform(), g.uniform()
            z = ((u1 + u2) + (u3 + u4)) - 2.0
            m[t, j] = (drift[j] + 0.01 * z) + skew[j] * (z * z - 1.0 / 3.0)
    return m


def sharpe(x):
    """Per-period Sharpe ratio, two passes; 0 when the returns do not vary."""
    sd = np.std(x, ddof=1, axis=0)
    mean = np.mean(x, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sd > 0, mean / np.where(sd > 0, sd, 1.0), 0.0)


def skew_kurt(x):
    """Bias-corrected skewness and excess kurtosis (pandas' skew() and kurt())."""
    n = float(len(x))
    d = x - np.mean(x)
    m2, m3, m4 = np.sum(d**2), np.sum(d**3), np.sum(d**4)
    if m2 == 0:
        return 0.0, 0.0
    g1 = n * math.sqrt(n - 1) / (n - 2) * m3 / m2**1.5
    g2 = n * (n + 1) * (n - 1) * m4 / ((n - 2) * (n - 3) * m2**2) - 3 * (n - 1) ** 2 / ((n - 2) * (n - 3))
    s = pd.Series(x)
    assert abs(g1 - s.skew()) <= 1e-9 * max(1, abs(g1)), (g1, s.skew())
    assert abs(g2 - s.kurt()) <= 1e-9 * max(1, abs(g2)), (g2, s.kurt())
    return g1, g2


def psr(sr, sr0, t, g3, g4):
    var = 1 - g3 * sr + (g4 - 1) / 4 * sr * sr
    if var <= 0:
        return None
    return float(ss.norm.cdf((sr - sr0) * math.sqrt(t - 1) / math.sqrt(var)))


def expected_max(n):
    g = np.euler_gamma
    return (1 - g) * ss.norm.ppf(1 - 1 / n) + g * ss.norm.ppf(1 - 1 / (n * math.e))


def least_squares(x, y):
    x, y = np.asarray(x), np.asarray(y)
    mx, my = np.mean(x), np.mean(y)
    sxx = np.sum((x - mx) ** 2)
    slope = float(np.sum((x - mx) * (y - my)) / sxx) if sxx > 0 else 0.0
    if sxx > 0:
        lr = ss.linregress(x, y)
        assert abs(lr.slope - slope) <= 1e-9 * max(1, abs(slope))
    return slope, float(my - slope * mx)


def cscv(m, s):
    """PBO, prob. of OOS loss, degradation and the per-split values, by the definition."""
    t, n = m.shape
    m = m[t % s:]
    length = m.shape[0] // s
    blocks = [m[i * length:(i + 1) * length] for i in range(s)]
    logits, selected, r_is, r_oos = [], [], [], []
    for combo in itertools.combinations(range(s), s // 2):
        rest = [b for b in range(s) if b not in combo]
        j_is = np.concatenate([blocks[b] for b in combo])
        j_oos = np.concatenate([blocks[b] for b in rest])
        sr_is, sr_oos = sharpe(j_is), sharpe(j_oos)
        rank_is = ss.rankdata(sr_is)  # average ranks
        best = int(np.argmax(rank_is))  # first of the tied highest
        rank_oos = ss.rankdata(sr_oos)[best]
        w = rank_oos / (n + 1)
        logits.append(float(math.log(w / (1 - w))))
        selected.append(best)
        r_is.append(float(sr_is[best]))
        r_oos.append(float(sr_oos[best]))
    slope, intercept = least_squares(r_is, r_oos)
    return {
        "combinations": len(logits),
        "pbo": sum(1 for x in logits if x <= 0) / len(logits),
        "prob_oos_loss": sum(1 for x in r_oos if x < 0) / len(r_oos),
        "degradation": {"slope": slope, "intercept": intercept},
        "logits": logits,
        "selected": selected,
        "in_sample_sharpe": r_is,
        "out_of_sample_sharpe": r_oos,
    }


def robustness(m, s):
    t, n = m.shape
    srs = sharpe(m)
    best = int(np.argmax(srs))  # first on ties
    g3, g2 = skew_kurt(m[:, best])
    sr_std = float(np.std(srs, ddof=1))
    sr0 = sr_std * expected_max(n)
    out = {
        "trials": n,
        "periods": t,
        "blocks": s,
        "best_trial": best,
        "sharpe": float(srs[best]),
        "sharpe_std": sr_std,
        "expected_max_sharpe": float(sr0),
        "psr": psr(srs[best], 0.0, t, g3, g2 + 3),
        "dsr": psr(srs[best], sr0, t, g3, g2 + 3),
    }
    out.update(cscv(m, s))
    return out


def bootstrap(returns, samples, seed):
    g = SplitMix64(seed)
    n = len(returns)
    totals, drawdowns = [], []
    for _ in range(samples):
        equity, peak, dd = 1.0, 1.0, 0.0
        for _ in range(n):
            equity *= 1 + returns[g.index_below(n)]
            peak = max(peak, equity)
            dd = max(dd, 1 - equity / peak)
        totals.append(equity - 1)
        drawdowns.append(dd)

    def pct(v):
        return {f"p{p}": float(np.percentile(v, p)) for p in (5, 50, 95)}

    return {"trade_returns": returns, "samples": samples, "seed": seed,
            "total_return": pct(totals), "max_drawdown": pct(drawdowns)}


def ties_matrix():
    base = synthetic_columns(42, 3, 7)
    a = base[:, 0] + 0.004
    # A, a duplicate of A, 2·A (same Sharpe ratio exactly; the best, so n* is tied in-sample),
    # zeros (Sharpe ratio 0), and two others.
    return np.column_stack([a, a, 2.0 * a, np.zeros(42), base[:, 1], base[:, 2]])


def main():
    cases = []
    for name, m, s in [
        ("ties", ties_matrix(), 4),
        ("two_trials", synthetic_columns(50, 2, 11), 6),
        ("uneven", synthetic_columns(103, 7, 13), 8),
    ]:
        r = robustness(m, s)
        r["name"] = name
        r["returns"] = m.T.tolist()  # trial-major
        cases.append(r)
    big = synthetic_columns(2520, 120, 2026)
    r = robustness(big, 16)
    for key in ("logits", "selected", "in_sample_sharpe", "out_of_sample_sharpe"):
        r[key] = r[key][:40]
    r["name"] = "seeded_2520x120"
    r["seed"] = 2026
    r["checksum"] = {"sum": float(np.sum(big)), "first": float(big[0, 0]), "last": float(big[-1, -1])}
    cases.append(r)

    trades = synthetic_columns(23, 1, 99)[:, 0] * 5.0
    quantiles = [{"p": p, "x": float(ss.norm.ppf(p))} for p in (0.5, 0.9, 0.975, 0.025, 0.99, 1e-10, 0.9999, 1 - 1 / 120, 1 - 1 / (120 * math.e))]
    expected = [{"trials": n, "value": float(expected_max(n))} for n in (2, 3, 10, 120, 175, 10000)]
    out = {
        "cases": cases,
        "bootstrap": [bootstrap(trades.tolist(), 1000, 42), bootstrap([0.1, -0.05, 0.02], 200, 7)],
        "quantiles": quantiles,
        "expected_maximum": expected,
    }
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
