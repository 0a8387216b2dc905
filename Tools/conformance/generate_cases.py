#!/usr/bin/env python3
"""Generate backtesting.py 0.6.6 reference cases (conformance fixtures).

Runs the reference strategies of SEMANTICS.md sections 10/11 with backtesting.py 0.6.6 and
writes case JSON files in the layout of shared/conformance/cases/*.json (SEMANTICS.md
section 12).

Usage (needs a venv with backtesting==0.6.6, pandas, numpy):

    python generate_cases.py --data-dir DIR --out OUTDIR [--split extra] [--only NAME ...]
    python generate_cases.py --data-dir DIR --verify CASES_DIR   # re-run and compare

Indicators are computed with plain left-to-right Python loops so values are bit-reproducible
(the Swift engine implements the same definitions).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import sys
import warnings

import numpy as np
import pandas as pd

import backtesting
from backtesting import Backtest, Strategy

NAN = float('nan')


# --------------------------------------------------------------------------------------------
# Indicators (SEMANTICS.md section 10): strictly left-to-right loops, NaN where undefined.
# --------------------------------------------------------------------------------------------

def _arr(x):
    return np.asarray(x, dtype=float)


def SMA(x, n):
    x = _arr(x)
    out = np.full(len(x), NAN)
    for i in range(n - 1, len(x)):
        s = x[i - n + 1]
        for j in range(i - n + 2, i + 1):
            s = s + x[j]
        out[i] = s / n
    return out


def EMA(x, n):
    """SMA-seeded EMA: seed at the first defined input + n - 1."""
    x = _arr(x)
    out = np.full(len(x), NAN)
    s = None
    for i in range(len(x)):
        if not math.isnan(x[i]):
            s = i
            break
    if s is None or s + n - 1 >= len(x):
        return out
    acc = x[s]
    for j in range(s + 1, s + n):
        acc = acc + x[j]
    prev = acc / n
    out[s + n - 1] = prev
    a = 2.0 / (n + 1)
    b = 1.0 - a
    for i in range(s + n, len(x)):
        prev = a * x[i] + b * prev
        out[i] = prev
    return out


def MACD(x, fast, slow, signal):
    ef = EMA(x, fast)
    es = EMA(x, slow)
    line = np.full(len(ef), NAN)
    for i in range(len(ef)):
        line[i] = ef[i] - es[i]
    sig = EMA(line, signal)
    return line, sig


def RSI(x, n):
    x = _arr(x)
    N = len(x)
    out = np.full(N, NAN)
    if N <= n:
        return out
    gain = [0.0] * N
    loss = [0.0] * N
    for i in range(1, N):
        d = x[i] - x[i - 1]
        gain[i] = d if d > 0 else 0.0
        loss[i] = -d if d < 0 else 0.0
    ag = gain[1]
    al = loss[1]
    for j in range(2, n + 1):
        ag = ag + gain[j]
        al = al + loss[j]
    ag = ag / n
    al = al / n

    def rsi(ag, al):
        s = ag + al
        return 50.0 if s == 0 else 100.0 * ag / s

    out[n] = rsi(ag, al)
    for i in range(n + 1, N):
        ag = (ag * (n - 1) + gain[i]) / n
        al = (al * (n - 1) + loss[i]) / n
        out[i] = rsi(ag, al)
    return out


def BOLL(x, n, k):
    x = _arr(x)
    mid = SMA(x, n)
    N = len(x)
    upper = np.full(N, NAN)
    lower = np.full(N, NAN)
    for i in range(n - 1, N):
        m = mid[i]
        d = x[i - n + 1] - m
        acc = d * d
        for j in range(i - n + 2, i + 1):
            d = x[j] - m
            acc = acc + d * d
        sd = math.sqrt(acc / n)
        upper[i] = m + k * sd
        lower[i] = m - k * sd
    return mid, upper, lower


def DONCHIAN_UPPER(h, n):
    h = _arr(h)
    out = np.full(len(h), NAN)
    for i in range(n, len(h)):
        m = h[i - n]
        for j in range(i - n + 1, i):
            if h[j] > m:
                m = h[j]
        out[i] = m
    return out


def DONCHIAN_LOWER(lo, n):
    lo = _arr(lo)
    out = np.full(len(lo), NAN)
    for i in range(n, len(lo)):
        m = lo[i - n]
        for j in range(i - n + 1, i):
            if lo[j] < m:
                m = lo[j]
        out[i] = m
    return out


def crossover(a, b):
    """a crosses above b on the current bar: a[-2] < b[-2] and a[-1] > b[-1] (NaN -> False)."""
    try:
        return bool(a[-2] < b[-2] and a[-1] > b[-1])
    except IndexError:
        return False


# --------------------------------------------------------------------------------------------
# Strategies (SEMANTICS.md section 11)
# --------------------------------------------------------------------------------------------

class _Base(Strategy):
    sl_pct = None
    tp_pct = None

    def init(self):
        self._margins = []  # decision margins (diagnostics only)

    # diagnostics.min_decision_margin: smallest |a - b| / scale over every comparison the
    # rules make on every simulated bar (whatever the position), scale = C[i] (RSI: 100).
    def _note(self, a, b, scale):
        if not (math.isnan(a) or math.isnan(b)):
            self._margins.append(abs(a - b) / scale)

    def _note_cross(self, a, b):
        c = float(self.data.Close[-1])
        if len(a) >= 2:
            self._note(float(a[-2]), float(b[-2]), float(self.data.Close[-2]))
        self._note(float(a[-1]), float(b[-1]), c)

    def _flat(self):
        return len(self.trades) == 0

    def _long(self):
        c = float(self.data.Close[-1])
        kw = {}
        if self.sl_pct is not None:
            kw['sl'] = c * (1 - self.sl_pct)
        if self.tp_pct is not None:
            kw['tp'] = c * (1 + self.tp_pct)
        self.buy(**kw)

    def _short(self):
        c = float(self.data.Close[-1])
        kw = {}
        if self.sl_pct is not None:
            kw['sl'] = c * (1 + self.sl_pct)
        if self.tp_pct is not None:
            kw['tp'] = c * (1 - self.tp_pct)
        self.sell(**kw)


class BuyAndHold(_Base):
    def next(self):
        if self._flat():
            self._long()


class SmaCross(_Base):
    fast = 10
    slow = 30

    def init(self):
        super().init()
        self.ma_fast = self.I(SMA, self.data.Close, self.fast)
        self.ma_slow = self.I(SMA, self.data.Close, self.slow)

    def next(self):
        self._note_cross(self.ma_fast, self.ma_slow)
        if crossover(self.ma_fast, self.ma_slow):
            if self._flat():
                self._long()
        elif crossover(self.ma_slow, self.ma_fast):
            self.position.close()


class SmaCrossReverse(_Base):
    fast = 10
    slow = 30

    def init(self):
        super().init()
        self.ma_fast = self.I(SMA, self.data.Close, self.fast)
        self.ma_slow = self.I(SMA, self.data.Close, self.slow)

    def next(self):
        self._note_cross(self.ma_fast, self.ma_slow)
        if crossover(self.ma_fast, self.ma_slow):
            self.position.close()
            self._long()
        elif crossover(self.ma_slow, self.ma_fast):
            self.position.close()
            self._short()


class RsiReversion(_Base):
    period = 14
    lower = 30.0
    upper = 70.0

    def init(self):
        super().init()
        self.rsi = self.I(RSI, self.data.Close, self.period)

    def next(self):
        r = float(self.rsi[-1])
        self._note(r, self.lower, 100.0)
        self._note(r, self.upper, 100.0)
        if self._flat():
            if r < self.lower:
                self._long()
        else:
            if r > self.upper:
                self.position.close()


class Bollinger(_Base):
    period = 20
    k = 2.0
    allow_short = False

    def init(self):
        super().init()
        self.bb_mid = self.I(lambda x: BOLL(x, self.period, self.k)[0], self.data.Close)
        self.bb_upper = self.I(lambda x: BOLL(x, self.period, self.k)[1], self.data.Close)
        self.bb_lower = self.I(lambda x: BOLL(x, self.period, self.k)[2], self.data.Close)

    def next(self):
        c = float(self.data.Close[-1])
        mid, up, lo = float(self.bb_mid[-1]), float(self.bb_upper[-1]), float(self.bb_lower[-1])
        self._note(c, lo, c)
        self._note(c, mid, c)
        if self.allow_short:
            self._note(c, up, c)
        if self._flat():
            if c < lo:
                self._long()
            elif self.allow_short and c > up:
                self._short()
        elif self.position.is_long:
            if c > mid:
                self.position.close()
        else:
            if c < mid:
                self.position.close()


class MacdCross(_Base):
    fast = 12
    slow = 26
    signal = 9
    allow_short = False

    def init(self):
        super().init()
        self.macd_line = self.I(lambda x: MACD(x, self.fast, self.slow, self.signal)[0],
                                self.data.Close)
        self.macd_signal = self.I(lambda x: MACD(x, self.fast, self.slow, self.signal)[1],
                                  self.data.Close)

    def next(self):
        self._note_cross(self.macd_line, self.macd_signal)
        up = crossover(self.macd_line, self.macd_signal)
        down = crossover(self.macd_signal, self.macd_line)
        if not self.allow_short:
            if up and self._flat():
                self._long()
            elif down:
                self.position.close()
        else:
            if up:
                self.position.close()
                self._long()
            elif down:
                self.position.close()
                self._short()


class Donchian(_Base):
    n_entry = 20
    n_exit = 10

    def init(self):
        super().init()
        self.dc_upper = self.I(DONCHIAN_UPPER, self.data.High, self.n_entry)
        self.dc_lower = self.I(DONCHIAN_LOWER, self.data.Low, self.n_exit)

    def next(self):
        c = float(self.data.Close[-1])
        self._note(c, float(self.dc_upper[-1]), c)
        self._note(c, float(self.dc_lower[-1]), c)
        if self._flat():
            if c > self.dc_upper[-1]:
                self._long()
        else:
            if c < self.dc_lower[-1]:
                self.position.close()


STRATEGIES = {
    'buy_and_hold': BuyAndHold,
    'sma_cross': SmaCross,
    'sma_cross_reverse': SmaCrossReverse,
    'rsi_reversion': RsiReversion,
    'bollinger': Bollinger,
    'macd_cross': MacdCross,
    'donchian': Donchian,
}

# --------------------------------------------------------------------------------------------
# Case definitions
# --------------------------------------------------------------------------------------------


def case(name, description, data, strategy, params=None, *, split='extra', cash=10000.0,
         commission=0.0, spread=0.0, margin=1.0, trade_on_close=False, hedging=False,
         exclusive_orders=False, finalize_trades=False, sl_pct=None, tp_pct=None):
    return {
        'name': name, 'split': split, 'description': description,
        'case': {
            'data': data, 'strategy': strategy, 'params': dict(params or {}),
            'cash': float(cash),
            'commission': ([float(commission[0]), float(commission[1])]
                           if isinstance(commission, (list, tuple)) else float(commission)),
            'spread': float(spread), 'margin': float(margin),
            'trade_on_close': trade_on_close, 'hedging': hedging,
            'exclusive_orders': exclusive_orders, 'finalize_trades': finalize_trades,
            'sl_pct': sl_pct, 'tp_pct': tp_pct,
        },
    }


PUBLIC_CASES = [
    case('goog_bollinger_20_2',
         'Long-only Bollinger mean reversion (buy below lower band, exit above middle band), '
         'no commission.',
         'GOOG.csv', 'bollinger', {'period': 20, 'k': 2.0}, split='public',
         finalize_trades=True),
    case('goog_buy_and_hold',
         'Buy at first opportunity, held to the end; finalize_trades closes it at the LAST bar '
         'OPEN.',
         'GOOG.csv', 'buy_and_hold', {}, split='public', finalize_trades=True),
    case('goog_macd_cross_12_26_9', 'Long-only MACD/signal crossover with 0.2% commission.',
         'GOOG.csv', 'macd_cross', {'fast': 12, 'slow': 26, 'signal': 9}, split='public',
         commission=0.002),
    case('goog_rsi_reversion_14_30_70', 'Wilder RSI mean reversion, 0.1% commission.',
         'GOOG.csv', 'rsi_reversion', {'period': 14, 'lower': 30.0, 'upper': 70.0},
         split='public', commission=0.001, finalize_trades=True),
    case('goog_sma_cross_10_30',
         'Classic long-only SMA crossover with 0.2% commission; final open trade (if any) is '
         'not closed.',
         'GOOG.csv', 'sma_cross', {'fast': 10, 'slow': 30}, split='public', commission=0.002),
]

EXTRA_CASES = [
    case('eurusd_macd_ls_sltp',
         'MACD 12/26/9 long/short reversal on EURUSD hourly with SL 0.4% / TP 0.8% bracket '
         'orders (same-bar SL/TP re-check, hourly period rules); finalize_trades.',
         'EURUSD.csv', 'macd_cross', {'fast': 12, 'slow': 26, 'signal': 9, 'allow_short': True},
         sl_pct=0.004, tp_pct=0.008, finalize_trades=True),
    case('goog_sma_cross_reverse_spread_toc',
         'SMA 10/30 always-in-market reversal with 0.1% spread and trade_on_close (fills at the '
         'signal bar close, entry/exit bars i-1); finalize_trades exits at C[N-2].',
         'GOOG.csv', 'sma_cross_reverse', {'fast': 10, 'slow': 30}, spread=0.001,
         trade_on_close=True, finalize_trades=True),
    case('goog_sma_cross_reverse_exclusive',
         'SMA 10/30 reversal with exclusive_orders and a fixed+relative commission (5 + 0.1%); '
         'final trade left open.',
         'GOOG.csv', 'sma_cross_reverse', {'fast': 10, 'slow': 30}, exclusive_orders=True,
         commission=(5.0, 0.001)),
    case('goog_bollinger_short_margin',
         'Bollinger 20/2 long/short with margin 0.5 (2x leverage), 0.1% commission, SL 5% / '
         'TP 10%; finalize_trades.',
         'GOOG.csv', 'bollinger', {'period': 20, 'k': 2.0, 'allow_short': True}, margin=0.5,
         commission=0.001, sl_pct=0.05, tp_pct=0.1, finalize_trades=True),
    case('goog_donchian_20_10',
         'Donchian breakout: enter above the previous 20-bar high, exit below the previous '
         '10-bar low; 0.1% commission; finalize_trades.',
         'GOOG.csv', 'donchian', {'n_entry': 20, 'n_exit': 10}, commission=0.001,
         finalize_trades=True),
    case('goog_rsi_sltp_gaps',
         'RSI 14/30/70 mean reversion with SL 2% / TP 3% (many SL/TP exits, including gap '
         'fills at the open and same-bar exits); final trade left open.',
         'GOOG.csv', 'rsi_reversion', {'period': 14, 'lower': 30.0, 'upper': 70.0},
         sl_pct=0.02, tp_pct=0.03),
    case('btcusd_sma_cross_3_6',
         'SMA 3/6 crossover on BTCUSD monthly bars (monthly period rules: D=12, month bins); '
         'cash 100000, 0.2% commission; finalize_trades.',
         'BTCUSD.csv', 'sma_cross', {'fast': 3, 'slow': 6}, cash=100000.0, commission=0.002,
         finalize_trades=True),
    case('btcusd_buy_and_hold_toc',
         'Buy and hold on BTCUSD monthly with trade_on_close (first next() on bar 1: entry at '
         'C[1], entry_bar 1; finalize_trades exits at C[N-2], exit_bar N-2); cash 100000.',
         'BTCUSD.csv', 'buy_and_hold', {}, cash=100000.0, trade_on_close=True,
         finalize_trades=True),
    case('goog_no_trades',
         'SMA 10/30 crossover with cash 50, below every price: each entry is cancelled by the '
         'broker, zero trades.',
         'GOOG.csv', 'sma_cross', {'fast': 10, 'slow': 30}, cash=50.0),
    case('goog_hedging_reverse',
         'SMA 5/20 reversal with hedging=True (close orders first, then a new trade); '
         'finalize_trades.',
         'GOOG.csv', 'sma_cross_reverse', {'fast': 5, 'slow': 20}, hedging=True,
         finalize_trades=True),
    case('eurusd_rsi_toc_finalize',
         'RSI 14/25/75 on EURUSD hourly with trade_on_close and SL 0.3%; finalize_trades.',
         'EURUSD.csv', 'rsi_reversion', {'period': 14, 'lower': 25.0, 'upper': 75.0},
         trade_on_close=True, sl_pct=0.003, finalize_trades=True),
    case('goog_bankrupt',
         'MACD 12/26/9 long/short at margin 0.02 (50x leverage), no SL: equity falls to <= 0, '
         'all trades are closed at that bar close and equity is 0 from there on.',
         'GOOG.csv', 'macd_cross', {'fast': 12, 'slow': 26, 'signal': 9, 'allow_short': True},
         margin=0.02, finalize_trades=True),
    # Not in the original request list: bankruptcy after several closed trades, with a
    # commission charged on the forced close at C[i].
    case('goog_bankrupt_after_trades',
         'SMA 10/30 reversal at margin 0.1 (10x leverage), 0.1% commission: 9 closed trades, '
         'then equity <= 0 on bar 297; the open trade is closed at that bar close (commission '
         'charged), cash and equity are 0 from there on, finalize_trades is skipped.',
         'GOOG.csv', 'sma_cross_reverse', {'fast': 10, 'slow': 30}, margin=0.1,
         commission=0.001, finalize_trades=True),
]

ALL_CASES = PUBLIC_CASES + EXTRA_CASES

# --------------------------------------------------------------------------------------------
# Running and serialising
# --------------------------------------------------------------------------------------------

STAT_KEYS = [
    ('Start', 'start'), ('End', 'end'), ('Duration', 'duration_days'),
    ('Exposure Time [%]', 'exposure_time_pct'), ('Equity Final [$]', 'equity_final'),
    ('Equity Peak [$]', 'equity_peak'), ('Commissions [$]', 'commissions'),
    ('Return [%]', 'return_pct'), ('Buy & Hold Return [%]', 'buy_hold_return_pct'),
    ('Return (Ann.) [%]', 'return_ann_pct'), ('Volatility (Ann.) [%]', 'volatility_ann_pct'),
    ('CAGR [%]', 'cagr_pct'), ('Sharpe Ratio', 'sharpe_ratio'),
    ('Sortino Ratio', 'sortino_ratio'), ('Calmar Ratio', 'calmar_ratio'),
    ('Alpha [%]', 'alpha_pct'), ('Beta', 'beta'),
    ('Max. Drawdown [%]', 'max_drawdown_pct'), ('Avg. Drawdown [%]', 'avg_drawdown_pct'),
    ('Max. Drawdown Duration', 'max_drawdown_duration_days'),
    ('Avg. Drawdown Duration', 'avg_drawdown_duration_days'),
    ('# Trades', 'trades'), ('Win Rate [%]', 'win_rate_pct'),
    ('Best Trade [%]', 'best_trade_pct'), ('Worst Trade [%]', 'worst_trade_pct'),
    ('Avg. Trade [%]', 'avg_trade_pct'), ('Max. Trade Duration', 'max_trade_duration_days'),
    ('Avg. Trade Duration', 'avg_trade_duration_days'), ('Profit Factor', 'profit_factor'),
    ('Expectancy [%]', 'expectancy_pct'), ('SQN', 'sqn'),
    ('Kelly Criterion', 'kelly_criterion'),
]

UNITS = {
    'trades[].return_pct': 'FRACTION (library _trades.ReturnPct), e.g. 0.05 = 5%',
    'stats.*_pct': 'percent, as the library prints them',
    '*_days': 'Timedelta expressed in days (float); library values already ceil-rounded to the '
              'data period resolution',
    'equity': 'one value per bar, same length as the data',
    'null': 'NaN in the library; "Infinity" strings would mean +/-inf',
}


def ts(t):
    return pd.Timestamp(t).strftime('%Y-%m-%dT%H:%M:%S')


def fnum(v):
    v = num(v)
    return float(v) if isinstance(v, int) else v


def num(v):
    """JSON-safe number: NaN/NaT/None -> None, +-inf -> strings, Timedelta -> float days."""
    if v is None or v is pd.NaT:
        return None
    if isinstance(v, (pd.Timedelta, np.timedelta64)):
        v = pd.Timedelta(v)
        if pd.isna(v):
            return None
        return v.total_seconds() / 86400.0
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    v = float(v)
    if math.isnan(v):
        return None
    if math.isinf(v):
        return 'Infinity' if v > 0 else '-Infinity'
    return v


def load_data(data_dir, fname):
    path = os.path.join(data_dir, fname)
    df = pd.read_csv(path, index_col=0, parse_dates=True)
    with open(path, 'rb') as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    return df, sha


def run_case(defn, data_dir):
    c = defn['case']
    df, sha = load_data(data_dir, c['data'])
    strat = STRATEGIES[c['strategy']]
    commission = c['commission']
    if isinstance(commission, list):
        commission = tuple(commission)
    params = dict(c['params'])
    params['sl_pct'] = c['sl_pct']
    params['tp_pct'] = c['tp_pct']

    with warnings.catch_warnings(record=True) as wlist:
        warnings.simplefilter('always')
        bt = Backtest(df, strat, cash=c['cash'], commission=commission, spread=c['spread'],
                      margin=c['margin'], trade_on_close=c['trade_on_close'],
                      hedging=c['hedging'], exclusive_orders=c['exclusive_orders'],
                      finalize_trades=c['finalize_trades'])
        stats = bt.run(**params)
    # library warnings only (pandas deprecation notices raised inside the library are dropped)
    wmsgs = [str(w.message) for w in wlist
             if not issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning,
                                            FutureWarning))]

    strategy = stats['_strategy']
    broker = strategy._broker
    n = len(df)

    out_stats = {}
    for label, key in STAT_KEYS:
        if key in ('start', 'end'):
            out_stats[key] = ts(stats[label])
        elif key == 'commissions':
            out_stats[key] = num(stats[label]) if label in stats.index else 0.0
        elif key == 'trades':
            out_stats[key] = int(stats[label])
        else:
            # always a float (the library yields int 0 e.g. for Return (Ann.) when the
            # geometric mean short-cuts to 0 after a -100 % period return)
            v = num(stats[label])
            out_stats[key] = float(v) if isinstance(v, (int, float)) else v

    tdf = stats['_trades']
    trades = []
    for r in tdf.itertuples(index=False):
        trades.append({
            'size': int(r.Size),
            'entry_bar': int(r.EntryBar),
            'exit_bar': int(r.ExitBar),
            'entry_time': ts(r.EntryTime),
            'exit_time': ts(r.ExitTime),
            'entry_price': fnum(r.EntryPrice),
            'exit_price': fnum(r.ExitPrice),
            'sl': fnum(r.SL),
            'tp': fnum(r.TP),
            'pnl': fnum(r.PnL),
            'return_pct': fnum(r.ReturnPct),
            'commission': fnum(r.Commission),
            'duration_days': fnum(r.Duration),
        })

    open_trades = []
    if not c['finalize_trades']:
        for t in broker.trades:
            open_trades.append({
                'size': int(t.size),
                'entry_bar': int(t.entry_bar),
                'entry_time': ts(t.entry_time),
                'entry_price': fnum(t.entry_price),
                'sl': fnum(t.sl),
                'tp': fnum(t.tp),
            })

    equity = [fnum(v) for v in stats['_equity_curve']['Equity'].values]
    assert len(equity) == n

    from backtesting._util import _data_period, _indicator_warmup_nbars
    W = int(_indicator_warmup_nbars(strategy))
    index = df.index
    freq_days = _data_period(index).days
    have_weekends = index.day_of_week.to_series().between(5, 6).mean() > 2 / 7 * .6
    annual = (52 if freq_days == 7 else 12 if freq_days == 31 else 1 if freq_days == 365
              else (365 if have_weekends else 252))
    margins = getattr(strategy, '_margins', [])
    canceled = sum(1 for m in wmsgs if 'Broker canceled' in m)

    result = {
        'name': defn['name'],
        'split': defn['split'],
        'description': defn['description'],
        'generator': {
            'backtesting': backtesting.__version__,
            'pandas': pd.__version__,
            'numpy': np.__version__,
            'python': platform.python_version(),
        },
        'case': c,
        'data_sha256': sha,
        'stats': out_stats,
        'trades': trades,
        'open_trades_at_end': open_trades,
        'equity': equity,
        'diagnostics': {
            'n_bars': n,
            'warmup_bars': W,
            'first_next_bar': W + 1,
            'annual_trading_days': annual,
            'data_period': str(_data_period(index)),
            'broker_canceled_orders': canceled,
            'orders_pending_at_end': len(broker.orders),
            'min_decision_margin': (min(margins) if margins else None),
        },
        'units': UNITS,
    }
    return result, wmsgs


def dump(obj, path):
    with open(path, 'w') as f:
        json.dump(obj, f, indent=1, allow_nan=False)
        f.write('\n')


# --------------------------------------------------------------------------------------------
# Verification against existing case files
# --------------------------------------------------------------------------------------------

def _rel(a, b):
    if a is None and b is None:
        return 0.0
    if isinstance(a, str) or isinstance(b, str) or a is None or b is None:
        return 0.0 if a == b else math.inf
    if a == b:
        return 0.0
    return abs(a - b) / max(abs(a), abs(b))


def compare(ref, got):
    """Return (max rel diff stats, max rel diff trades, max rel diff equity, problems)."""
    problems = []
    ds = 0.0
    for k, v in ref['stats'].items():
        if k not in got['stats']:
            problems.append(f'missing stat {k}')
            continue
        d = _rel(v, got['stats'][k])
        if k == 'trades' and v != got['stats'][k]:
            problems.append(f'trades count {v} != {got["stats"][k]}')
        ds = max(ds, d)
        if d > 1e-9:
            problems.append(f'stat {k}: {v} vs {got["stats"][k]} (rel {d:.3g})')
    if list(ref['stats']) != list(got['stats']):
        problems.append('stats key order differs')
    dt = 0.0
    if len(ref['trades']) != len(got['trades']):
        problems.append(f'#trades {len(ref["trades"])} vs {len(got["trades"])}')
    for i, (a, b) in enumerate(zip(ref['trades'], got['trades'])):
        if list(a) != list(b):
            problems.append(f'trade {i} keys differ')
        for k in a:
            d = _rel(a[k], b.get(k))
            dt = max(dt, d)
            if d > 0:
                problems.append(f'trade {i} {k}: {a[k]} vs {b.get(k)}')
    if ref['open_trades_at_end'] != got['open_trades_at_end']:
        problems.append(f'open trades differ: {ref["open_trades_at_end"]} vs '
                        f'{got["open_trades_at_end"]}')
    de = 0.0
    if len(ref['equity']) != len(got['equity']):
        problems.append('equity length differs')
    for i, (a, b) in enumerate(zip(ref['equity'], got['equity'])):
        d = _rel(a, b)
        de = max(de, d)
    if de > 0:
        problems.append(f'equity max rel diff {de:.3g}')
    for k in ('case', 'data_sha256', 'diagnostics', 'units', 'name', 'split', 'description'):
        if ref[k] != got[k]:
            problems.append(f'{k} differs: {ref[k]} vs {got[k]}')
    if list(ref) != list(got):
        problems.append('top-level key order differs')
    return ds, dt, de, problems


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--data-dir', default=os.path.join(here, '..', '..', 'Tests',
                                                       'BacktestEngineTests', 'Fixtures',
                                                       'data'))
    ap.add_argument('--out', help='output directory for generated case files')
    ap.add_argument('--split', default='extra', help="which split to generate ('extra', "
                    "'public' or 'all')")
    ap.add_argument('--only', nargs='*', help='case names to generate')
    ap.add_argument('--verify', metavar='CASES_DIR',
                    help='re-run the cases found in CASES_DIR and compare')
    args = ap.parse_args(argv)

    if args.verify:
        by_name = {d['name']: d for d in ALL_CASES}
        ok = True
        for fname in sorted(os.listdir(args.verify)):
            if not fname.endswith('.json'):
                continue
            with open(os.path.join(args.verify, fname)) as f:
                ref = json.load(f)
            defn = by_name.get(ref['name'])
            if defn is None:
                defn = {k: ref[k] for k in ('name', 'split', 'description', 'case')}
            got, _ = run_case(defn, args.data_dir)
            got = json.loads(json.dumps(got, allow_nan=False))
            ds, dt, de, problems = compare(ref, got)
            status = 'OK' if not problems else 'MISMATCH'
            ok &= not problems
            print(f'{ref["name"]:40s} {status}  stats max rel {ds:.3g}  trades max rel {dt:.3g}'
                  f'  equity max rel {de:.3g}')
            for p in problems[:20]:
                print('    ' + p)
        return 0 if ok else 1

    if not args.out:
        ap.error('--out is required (or use --verify)')
    os.makedirs(args.out, exist_ok=True)
    defs = (ALL_CASES if args.split == 'all' else
            [d for d in ALL_CASES if d['split'] == args.split])
    if args.only:
        defs = [d for d in defs if d['name'] in args.only]
    rows = []
    for d in defs:
        res, wmsgs = run_case(d, args.data_dir)
        dump(res, os.path.join(args.out, d['name'] + '.json'))
        s = res['stats']
        kinds = []
        if any('Broker canceled' in m for m in wmsgs):
            kinds.append(f'{res["diagnostics"]["broker_canceled_orders"]}x broker canceled')
        if any('larger than initial cash' in m for m in wmsgs):
            kinds.append('prices > cash')
        if any('remain open' in m for m in wmsgs):
            kinds.append('trades remain open')
        if any('contingent SL/TP' in m for m in wmsgs):
            kinds.append('contingent same-bar')
        other = sorted({m[:70] for m in wmsgs if not any(x in m for x in (
            'Broker canceled', 'larger than initial', 'remain open', 'contingent SL/TP'))})
        kinds += other
        rows.append((d['name'], s['trades'], s['return_pct'], s['equity_final'],
                     '; '.join(kinds) or '-'))
    print(f'{"case":36s} {"#tr":>5s} {"return_pct":>14s} {"equity_final":>14s}  warnings')
    for name, ntr, ret, eqf, w in rows:
        print(f'{name:36s} {ntr:5d} {ret:14.6f} {eqf:14.4f}  {w}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
