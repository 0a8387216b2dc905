/* Backtest report: draws the JSON in <script id="report-data"> with uPlot.
 *
 * Panels share one x axis, the bar index (so weekends and nights leave no gaps); beyond
 * MAX_CANDLES bars it is the index of a bucket of K bars. Every panel element carries
 * data-panel and data-points (what it draws); every indicator has an element of its own.
 * window.__report tells a browser test when the page is ready and what went wrong.
 */
(function () {
  'use strict';

  const T0 = performance.now();
  const R = (window.__report = {
    ready: false, error: null, violations: [], buckets: 1,
    startMs: T0, // script start, since navigation start
    phases: {}, // ms spent in each step of main()
    scriptMs: null, readyMs: null,
  });
  let tPhase = T0;
  function phase(name) {
    const now = performance.now();
    R.phases[name] = Math.round((now - tPhase) * 10) / 10;
    tPhase = now;
  }
  document.addEventListener('securitypolicyviolation', (e) => {
    R.violations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
  });

  const MAX_CANDLES = 10000;
  const SYNC_KEY = 'backtest-report';
  const Y_AXIS = 58; // width of every y axis (so the plots line up), label excluded
  const Y_LABEL = 18;
  const X_AXIS = 26;
  const LEGEND_H = 22; // a strip above each plot for its legend
  const MAX_TABLE_ROWS = 1000;

  //#include lib/helpers.js

  // ---------- theme ----------
  let C = {};
  function readTheme() {
    const cs = getComputedStyle(document.documentElement);
    const v = (n) => cs.getPropertyValue('--' + n).trim();
    C = {
      font: v('font'), text: v('text'), text2: v('text2'), muted: v('muted'), card: v('card'), border: v('border'),
      grid: v('grid'), axis: v('axis'), cursor: v('cursor'), up: v('up'), down: v('down'), win: v('win'), loss: v('loss'),
      equity: v('equity'), ddShade: v('dd-shade'), ddLine: v('dd-line'), ddArea: v('dd-area'), peak: v('peak'),
      final: v('final'), maxdd: v('maxdd'), volUp: v('vol-up'), volDown: v('vol-down'), spanWin: v('span-win'),
      spanLoss: v('span-loss'), level: v('level'), levelBand: v('level-band'), histUp: v('hist-up'),
      histDown: v('hist-down'), navLine: v('nav-line'), navFill: v('nav-fill'), navShade: v('nav-shade'),
      accent: v('accent'),
      palette: [1, 2, 3, 4, 5, 6, 7, 8].map((i) => v('c' + i)),
    };
  }

  // ---------- the data ----------
  function load() {
    const text = $('report-data').textContent;
    try {
      return JSON.parse(text);
    } catch (e) {
      return null; // the bare template (placeholder not replaced) or broken data
    }
  }

  function arr(a, n) {
    const out = new Array(n);
    for (let i = 0; i < n; i++) {
      const x = a && i < a.length ? a[i] : null;
      out[i] = x == null ? null : +x;
    }
    return out;
  }

  function buildModel(D) {
    const B = D.bars || {};
    for (const k of ['time', 'open', 'high', 'low', 'close']) {
      if (!Array.isArray(B[k])) throw new Error('report data: bars.' + k + ' is not an array');
      if (B[k].length !== B.time.length) throw new Error('report data: bars.' + k + ' has ' + B[k].length + ' values for ' + B.time.length + ' bars');
    }
    if (D.equity != null && !Array.isArray(D.equity)) throw new Error('report data: equity is not an array');
    const time = arr(B.time, (B.time || []).length);
    const n = time.length;
    const open = arr(B.open, n), high = arr(B.high, n), low = arr(B.low, n), close = arr(B.close, n);
    let volume = Array.isArray(B.volume) ? arr(B.volume, n) : null;
    if (volume && !volume.some((v) => v != null && v !== 0)) volume = null;
    for (let i = 0; i < n; i++) {
      // tolerate missing open/high/low: draw what there is
      if (close[i] == null) close[i] = i ? close[i - 1] : open[i];
      if (open[i] == null) open[i] = close[i];
      if (high[i] == null) high[i] = Math.max(open[i], close[i]);
      if (low[i] == null) low[i] = Math.min(open[i], close[i]);
    }
    const daily = time.every((t) => t % 86400 === 0);

    // equity, full resolution
    const eqIn = D.equity || [];
    const eq = new Float64Array(n);
    const cash = num(D.cash) > 0 ? num(D.cash) : num(eqIn[0]) || 1;
    for (let i = 0; i < n; i++) {
      const v = i < eqIn.length ? num(eqIn[i]) : NaN;
      eq[i] = Number.isFinite(v) ? v : i ? eq[i - 1] : cash;
    }
    const peak = new Float64Array(n);
    let pk = -Infinity, peakIdx = 0, ddIdx = 0, ddMin = 0;
    for (let i = 0; i < n; i++) {
      if (eq[i] > pk) { pk = eq[i]; peakIdx = i; }
      peak[i] = pk;
      const dd = pk > 0 ? eq[i] / pk - 1 : 0;
      if (dd < ddMin) { ddMin = dd; ddIdx = i; }
    }
    // the longest drawdown: from a peak to the bar where equity is back at it (or the end)
    let durBest = null;
    let last = 0;
    for (let j = 1; j <= n; j++) {
      const atPeak = j < n && eq[j] >= peak[j - 1];
      if (j === n || atPeak) {
        if (j - 1 > last && eq[j - 1] < peak[last]) {
          const end = j < n ? j : n - 1;
          const dur = time[end] - time[last];
          if (!durBest || dur > durBest.dur) {
            let xEnd = end;
            if (j < n && eq[j] !== eq[j - 1]) xEnd = j - 1 + (peak[last] - eq[j - 1]) / (eq[j] - eq[j - 1]);
            durBest = { start: last, end: xEnd, dur, value: peak[last] };
          }
        }
        if (j < n) last = j;
      }
    }

    // display buckets
    const K = n > MAX_CANDLES ? Math.ceil(n / MAX_CANDLES) : 1;
    const m = Math.ceil(n / K);
    const X = new Array(m), T = new Array(m), O = new Array(m), H = new Array(m), L = new Array(m), Cl = new Array(m);
    const V = volume ? new Array(m) : null;
    const E = new Array(m), P = new Array(m), DD = new Array(m);
    for (let b = 0; b < m; b++) {
      const s = b * K, e = Math.min(n, s + K) - 1;
      X[b] = b;
      T[b] = time[s];
      O[b] = open[s];
      Cl[b] = close[e];
      let hi = high[s], lo = low[s], vs = null, ddb = 0;
      for (let i = s; i <= e; i++) {
        if (high[i] > hi) hi = high[i];
        if (low[i] < lo) lo = low[i];
        if (V && volume[i] != null) vs = (vs || 0) + volume[i];
        const d = peak[i] > 0 ? eq[i] / peak[i] - 1 : 0;
        if (d < ddb) ddb = d;
      }
      H[b] = hi;
      L[b] = lo;
      if (V) V[b] = vs;
      E[b] = (eq[e] / cash) * 100;
      P[b] = (peak[e] / cash) * 100;
      DD[b] = ddb * 100;
    }
    const YM = new Int32Array(m); // year * 12 + month of each bucket, for the time axis
    for (let b = 0; b < m; b++) {
      const d = new Date(T[b] * 1000);
      YM[b] = d.getUTCFullYear() * 12 + d.getUTCMonth();
    }
    const bucket = (i) => Math.max(0, Math.min(m - 1, Math.floor(i / K)));
    const bucketX = (x) => Math.max(0, Math.min(m - 1, x / K));

    // indicators, grouped into panels in order of first appearance
    const indicators = (D.indicators || []).map((ind, idx) => {
      const full = arr(ind.values, n);
      let vals = full;
      if (K > 1) {
        vals = new Array(m);
        for (let b = 0; b < m; b++) {
          let v = null;
          for (let i = Math.min(n, b * K + K) - 1; i >= b * K; i--) if (full[i] != null && Number.isFinite(full[i])) { v = full[i]; break; }
          vals[b] = v;
        }
      } else {
        for (let i = 0; i < n; i++) if (vals[i] != null && !Number.isFinite(vals[i])) vals[i] = null;
      }
      let pts = 0;
      for (let b = 0; b < vals.length; b++) if (vals[b] != null) pts++;
      return {
        idx, name: String(ind.name == null ? 'indicator ' + (idx + 1) : ind.name), panel: String(ind.panel || 'price'),
        style: ind.style === 'histogram' ? 'histogram' : 'line', levels: (ind.levels || []).map(num).filter(Number.isFinite),
        userColor: typeof ind.color === 'string' && /^#[0-9a-fA-F]{3,8}$/.test(ind.color) ? ind.color : null,
        color: null,
        values: vals, full, points: pts, show: true,
      };
    });

    // trades
    const barOfTime = (iso) => {
      if (typeof iso !== 'string') return null;
      const t = Date.parse(iso.endsWith('Z') || /[+-]\d\d:\d\d$/.test(iso) ? iso : iso + 'Z') / 1000;
      if (!Number.isFinite(t)) return null;
      let lo = 0, hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (time[mid] <= t) lo = mid; else hi = mid - 1;
      }
      return lo;
    };
    const trades = (D.trades || []).map((t, i) => {
      const size = num(t.size);
      let eb = t.entry_bar != null ? +t.entry_bar : barOfTime(t.entry_time);
      let xb = t.exit_bar != null ? +t.exit_bar : barOfTime(t.exit_time);
      if (eb == null) eb = 0;
      const open = xb == null;
      if (open) xb = n - 1;
      const ep = num(t.entry_price);
      const xp = open ? close[n - 1] : num(t.exit_price);
      return {
        no: i + 1, t, size, long: size >= 0, pnl: num(t.pnl), ret: num(t.return_pct), eb, xb, ep, xp,
        be: bucket(eb), bx: bucket(xb), win: num(t.pnl) > 0, open,
      };
    });
    // P/L markers: one per exit bucket (several trades closing in one bucket are summed)
    const groups = new Map();
    for (const tr of trades) {
      let g = groups.get(tr.bx);
      if (!g) groups.set(tr.bx, (g = { b: tr.bx, list: [], pnl: 0, notional: 0, size: 0, absSize: 0 }));
      g.list.push(tr);
      g.pnl += Number.isFinite(tr.pnl) ? tr.pnl : 0;
      g.notional += Math.abs(tr.size * tr.ep) || 0;
      g.size += tr.size;
      g.absSize += Math.abs(tr.size);
    }
    const markers = [...groups.values()].sort((a, b) => a.b - b.b);
    let sMin = Infinity, sMax = -Infinity;
    for (const g of markers) {
      g.ret = g.list.length === 1 ? g.list[0].ret * 100 : g.notional ? (g.pnl / g.notional) * 100 : 0;
      if (!Number.isFinite(g.ret)) g.ret = 0;
      g.long = g.list.length === 1 ? g.list[0].long : g.size >= 0;
      g.win = g.pnl > 0;
      sMin = Math.min(sMin, g.absSize);
      sMax = Math.max(sMax, g.absSize);
    }
    for (const g of markers) g.r = 4 + 6 * (sMax > sMin ? (g.absSize - sMin) / (sMax - sMin) : 0.5);
    const PL = new Array(m).fill(null);
    for (const g of markers) PL[g.b] = g.ret;
    const byExit = new Map(markers.map((g) => [g.b, g]));

    // price decimals, from the data
    let pdec = 0;
    for (let i = 0; i < Math.min(n, 300); i++) {
      const s = String(close[i]);
      const dot = s.indexOf('.');
      if (dot >= 0 && s.indexOf('e') < 0) pdec = Math.max(pdec, Math.min(6, s.length - dot - 1));
    }
    if (pdec === 1) pdec = 2;
    const sizeInt = trades.every((t) => Number.isInteger(t.size));

    return {
      n, m, K, time, open, high, low, close, volume, daily, eq, peak, cash, X, T, YM, O, H, L, C: Cl, V, E, P, DD,
      bucket, bucketX, indicators, trades, markers, PL, byExit, pdec, sizeDec: sizeInt ? 0 : 4,
      peakIdx, ddIdx, ddMin, durBest, stats: D.stats || {}, definitions: D.definitions,
    };
  }

  // ---------- time axis ----------
  const H1 = 3600, D1 = 86400;
  const STEPS = [
    [60, 's'], [300, 's'], [900, 's'], [1800, 's'], [H1, 's'], [2 * H1, 's'], [4 * H1, 's'], [6 * H1, 's'], [12 * H1, 's'],
    [D1, 'd'], [2 * D1, 'd'], [7 * D1, 'w'], [1, 'M'], [2, 'M'], [3, 'M'], [6, 'M'], [1, 'Y'], [2, 'Y'], [5, 'Y'],
    [10, 'Y'], [25, 'Y'], [50, 'Y'], [100, 'Y'],
  ];
  const approxSecs = (s) => (s[1] === 'M' ? s[0] * 30.44 * D1 : s[1] === 'Y' ? s[0] * 365.25 * D1 : s[0]);
  // the period of bucket i for step s (Monday-based weeks; months and years from M.YM)
  function periodKey(i, s) {
    const t = M.T[i];
    if (s[1] === 's' || s[1] === 'd') return Math.floor(t / s[0]);
    if (s[1] === 'w') return Math.floor((t / D1 + 3) / 7);
    if (s[1] === 'M') return Math.floor(M.YM[i] / s[0]);
    return Math.floor(Math.floor(M.YM[i] / 12) / s[0]);
  }
  function tickLabel(t, prevT, s) {
    const d = new Date(t * 1000);
    const y = d.getUTCFullYear(), mo = d.getUTCMonth(), day = d.getUTCDate();
    const p = prevT == null ? null : new Date(prevT * 1000);
    if (s[1] === 'Y') return String(y);
    if (s[1] === 'M') {
      if (mo === 0) return String(y);
      return p == null || p.getUTCFullYear() !== y ? MON[mo] + ' ' + y : MON[mo];
    }
    const dayLabel = () => {
      if (p == null) return MON[mo] + ' ' + day + (s[1] === 's' ? '' : ', ' + y);
      if (p.getUTCFullYear() !== y) return String(y);
      if (p.getUTCMonth() !== mo) return MON[mo];
      return MON[mo] + ' ' + day;
    };
    if (s[1] === 'd' || s[1] === 'w') return dayLabel();
    if (p == null || ymd(p) !== ymd(d)) return dayLabel();
    return p2(d.getUTCHours()) + ':' + p2(d.getUTCMinutes());
  }
  let tickCache = null; // every plot has the same x range and width: compute the ticks once
  function timeSplits(u) {
    const min = u.scales.x.min, max = u.scales.x.max;
    const wCss = u.bbox.width / devicePixelRatio || 1;
    const key = min + ' ' + max + ' ' + wCss;
    if (!tickCache || tickCache.key !== key) tickCache = { key, ...computeTicks(min, max, wCss) };
    u._ticks = tickCache.labels;
    return tickCache.ticks;
  }
  function computeTicks(min, max, wCss) {
    const i0 = Math.max(0, Math.ceil(min)), i1 = Math.min(M.m - 1, Math.floor(max));
    if (i1 < i0) return { ticks: [], labels: [] };
    const pxPerBar = wCss / Math.max(1e-9, max - min);
    const minGap = 74;
    const span = Math.max(1, M.T[i1] - M.T[i0]);
    const want = Math.max(2, wCss / 110);
    let step = STEPS[STEPS.length - 1];
    for (const s of STEPS) if (span / approxSecs(s) <= want) { step = s; break; }
    const ticks = [];
    // a tick where a period starts (the first bar is none: its period started before the data)
    let prevKey = periodKey(i0 > 0 ? i0 - 1 : 0, step);
    let lastI = -Infinity;
    for (let i = i0; i <= i1; i++) {
      const key = periodKey(i, step);
      if (key !== prevKey) {
        if ((i - lastI) * pxPerBar >= minGap) {
          ticks.push(i);
          lastI = i;
        }
        prevKey = key;
      }
    }
    return { ticks, labels: ticks.map((i, j) => tickLabel(M.T[i], j ? M.T[ticks[j - 1]] : null, step)) };
  }

  // ---------- plots ----------
  let M = null; // the model
  let plots = [];
  let panelsEl, tooltipEl, nav;
  let hoverPlot = null;
  let highlight = null; // trade number highlighted from the trades table
  let syncing = false;
  let pending = null;

  const nullPaths = () => null;

  function clip(u, fn) {
    const ctx = u.ctx;
    ctx.save();
    ctx.beginPath();
    ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
    ctx.clip();
    fn(ctx);
    ctx.restore();
  }
  // Linear maps from values to canvas pixels for the current scales (faster than valToPos).
  function mapX(u) {
    const { min, max } = u.scales.x;
    const a = u.bbox.width / (max - min), b = u.bbox.left - min * a;
    return (x) => a * x + b;
  }
  function mapY(u, key) {
    const { min, max } = u.scales[key || 'y'];
    const a = -u.bbox.height / (max - min), b = u.bbox.top - max * a;
    return (y) => a * y + b;
  }
  function visible(u) {
    return [Math.max(0, Math.floor(u.scales.x.min)), Math.min(M.m - 1, Math.ceil(u.scales.x.max))];
  }
  const barPx = (u) => u.bbox.width / (u.scales.x.max - u.scales.x.min);
  // how many trades overlap buckets i0..i1 (trades are in entry order, so stop early)
  function visibleTrades(i0, i1) {
    let c = 0;
    for (const t of M.trades) {
      if (t.be > i1) break;
      if (t.bx >= i0) c++;
    }
    return c;
  }

  function padRange(extra) {
    return (u, min, max) => {
      if (min == null || !Number.isFinite(min)) { min = 0; max = 1; }
      for (const v of extra || []) { if (v < min) min = v; if (v > max) max = v; }
      let pad = (max - min) * 0.07;
      if (!pad) pad = Math.abs(max) * 0.05 || 1;
      return [min - pad, max + pad];
    };
  }

  function axisValues(kind) {
    return (u, splits, ai, space, incr) => {
      const d = decimalsFor(incr);
      return splits.map((v) => {
        if (v == null) return '';
        if (kind === 'pct') return trim(v, d) + '%';
        if (kind === 'compact') return compact(v);
        return fmt(v, d);
      });
    };
  }

  function cursorPoint(u, si) {
    const d = document.createElement('div');
    if (u.series[si].dummy) {
      d.className = 'cp-none'; // uPlot 1.6.18 wants an element for every series
      return d;
    }
    d.style.width = d.style.height = '7px';
    d.style.marginLeft = d.style.marginTop = '-3.5px';
    d.style.borderWidth = '2px';
    return d;
  }

  function makePlot(p, isLast, width) {
    const wrap = h('div', { class: 'panel', data: p.data, role: 'img' });
    wrap.setAttribute('aria-label', p.label + ' chart');
    panelsEl.append(wrap);
    const xAxis = {
      scale: 'x', side: 2, size: isLast ? X_AXIS : 0, gap: 4, space: 60, font: '11px ' + C.font, stroke: C.axis,
      grid: { stroke: C.grid, width: 1 }, ticks: { show: isLast, stroke: C.grid, width: 1, size: 4 },
      splits: timeSplits, values: isLast ? (u) => u._ticks : (u, s) => s.map(() => ''),
    };
    const yAxis = {
      scale: 'y', side: 3, size: Y_AXIS, gap: 5, space: p.space || 26, font: '11px ' + C.font, stroke: C.axis,
      label: p.label, labelSize: Y_LABEL, labelGap: 0, labelFont: '600 11px ' + C.font,
      grid: { stroke: C.grid, width: 1 }, ticks: { stroke: C.grid, width: 1, size: 3 },
      values: axisValues(p.yKind),
    };
    const opts = {
      width, height: p.height + LEGEND_H + (isLast ? X_AXIS : 0),
      padding: [LEGEND_H, 14, isLast ? 0 : 4, 0], // the legend sits in the top padding
      legend: { show: false },
      cursor: {
        // x follows the hovered plot; the horizontal hair stays in the hovered plot only
        sync: { key: SYNC_KEY, setSeries: false, match: [(a, b) => a === b, () => false] },
        drag: { x: false, y: false, setScale: false },
        focus: { prox: -1 },
        points: { show: cursorPoint, fill: () => C.card, stroke: (u, si) => u.series[si]._stroke || C.text, size: 7, width: 2 },
      },
      scales: {
        x: { time: false, range: (u, a, b) => (a === 0 && b === M.m - 1 ? [-0.5, M.m - 0.5] : [a, b]) },
        y: { range: p.range || padRange() },
      },
      axes: [xAxis, yAxis],
      series: [{}].concat(p.series),
      hooks: {
        drawAxes: [(u) => p.under && clip(u, (ctx) => p.under(u, ctx))],
        draw: [(u) => {
          if (p.over) clip(u, (ctx) => p.over(u, ctx));
          if (p.free) p.free(u, u.ctx);
        }],
        setScale: [onSetScale],
        setCursor: [onCursor],
      },
    };
    const u = new uPlot(opts, [M.X].concat(p.values), wrap);
    u._panel = p;
    if (p.legend) {
      const lg = h('div', { class: 'legend' }, ...p.legend(u));
      lg.style.left = Y_AXIS + Y_LABEL + 'px';
      wrap.append(lg);
    }
    if (p.empty) wrap.append(h('div', { class: 'empty-note', text: p.empty }));
    bindInteractions(u);
    return u;
  }

  function lineSeries(label, color, extra) {
    return Object.assign({ label, stroke: color, width: 1.4, points: { show: false }, spanGaps: false }, extra);
  }
  const dummySeries = (label) => ({ label, dummy: true, paths: nullPaths, points: { show: false }, stroke: 'transparent' });

  function legendItem(text, color, kind, data) {
    return h('span', { class: 'item', data, color }, h('span', { class: 'sw ' + (kind || '') }), h('span', { text }));
  }

  function indicatorLegend(ind, u, si) {
    const item = h('span', {
      class: 'item toggle', color: ind.color, title: 'Click to hide or show',
      data: { panel: 'indicator', indicator: ind.name, points: String(ind.points) },
    }, h('span', { class: 'sw ' + (ind.style === 'histogram' ? 'box' : '') }), h('span', { text: ind.name }));
    item.addEventListener('click', () => {
      ind.show = !ind.show;
      item.classList.toggle('off', !ind.show);
      if (si != null) u.setSeries(si, { show: ind.show });
      else u.redraw(false);
    });
    return item;
  }

  // ---------- panels ----------
  function buildPanels(width) {
    const m = M.m;
    const S = M.stats;
    const ohlcH = Math.round(Math.max(240, Math.min(420, window.innerHeight * 0.36)));
    const list = [];

    // equity
    const pkB = M.bucket(M.peakIdx), ddB = M.bucket(M.ddIdx);
    const rel = (v) => (v / M.cash) * 100;
    const ddDays = num(S.max_drawdown_duration_days);
    const durText = Number.isFinite(ddDays) ? fmtDays(ddDays) : M.durBest ? fmtDays(M.durBest.dur / D1) : '';
    list.push({
      data: { panel: 'equity', points: String(m) }, label: 'Equity', height: 150, yKind: 'pct',
      // the peak does not widen the y range: zoomed in, the equity's own moves matter more
      series: [lineSeries('Equity', C.equity, { width: 1.6 }), Object.assign(dummySeries('Peak'), { auto: false })],
      values: [M.E, M.P],
      under(u, ctx) {
        const [i0, i1] = visible(u), x = mapX(u), y = mapY(u);
        ctx.beginPath();
        for (let i = i0; i <= i1; i++) ctx.lineTo(x(i), y(M.P[i]));
        for (let i = i1; i >= i0; i--) ctx.lineTo(x(i), y(M.E[i]));
        ctx.fillStyle = C.ddShade;
        ctx.fill();
        ctx.setLineDash([3 * devicePixelRatio, 4 * devicePixelRatio]);
        ctx.strokeStyle = C.level;
        ctx.lineWidth = devicePixelRatio;
        ctx.beginPath();
        ctx.moveTo(u.bbox.left, Math.round(y(100)) + 0.5);
        ctx.lineTo(u.bbox.left + u.bbox.width, Math.round(y(100)) + 0.5);
        ctx.stroke();
        ctx.setLineDash([]);
      },
      over(u, ctx) {
        const x = mapX(u), y = mapY(u), pr = devicePixelRatio;
        const db = M.durBest;
        if (db) {
          ctx.strokeStyle = C.maxdd;
          ctx.lineWidth = 2 * pr;
          ctx.beginPath();
          ctx.moveTo(x(M.bucketX(db.start)), y(rel(db.value)));
          ctx.lineTo(x(M.bucketX(db.end)), y(rel(db.value)));
          ctx.stroke();
        }
      },
      free(u, ctx) {
        // the markers, unclipped so that one at the edge shows whole
        const x = mapX(u), y = mapY(u), pr = devicePixelRatio;
        const mark = (b, v, color) => {
          const px = x(b), py = y(v);
          const bb = u.bbox;
          if (px >= bb.left - 1 && px <= bb.left + bb.width + 1 && py >= bb.top - 1 && py <= bb.top + bb.height + 1) {
            dot(ctx, px, py, 4.5 * pr, color, C.card);
          }
        };
        mark(pkB, rel(M.eq[M.peakIdx]), C.peak);
        mark(M.m - 1, rel(M.eq[M.n - 1]), C.final);
        if (M.ddMin < 0) mark(ddB, rel(M.eq[M.ddIdx]), C.maxdd);
      },
      legend: () => [
        h('span', { class: 'item name', text: 'Equity' }),
        legendItem('Peak (' + trim(rel(M.eq[M.peakIdx]), 0) + '%)', C.peak, 'dot'),
        legendItem('Final (' + trim(rel(M.eq[M.n - 1]), 0) + '%)', C.final, 'dot'),
        M.ddMin < 0 && legendItem('Max Drawdown (' + fmt(Number.isFinite(num(S.max_drawdown_pct)) ? num(S.max_drawdown_pct) : M.ddMin * 100, 1) + '%)', C.maxdd, 'dot'),
        M.durBest && legendItem('Max Dd Dur. (' + durText + ')', C.maxdd, ''),
      ],
    });

    // drawdown
    list.push({
      data: { panel: 'drawdown', points: String(m) }, label: 'Drawdown', height: 70, yKind: 'pct', space: 22,
      series: [lineSeries('Drawdown', C.ddLine, { width: 1, fill: C.ddArea, fillTo: 0 })],
      values: [M.DD],
      range: (u, min) => {
        const lo = Math.min(min == null ? 0 : min, 0);
        return lo < 0 ? [lo * 1.08, -lo * 0.04] : [-1, 0.05];
      },
      legend: () => [h('span', { class: 'item name', text: 'Drawdown' })],
    });

    // profit / loss per trade
    list.push({
      data: { panel: 'pl', points: String(M.markers.length) }, label: 'Profit / Loss', height: 90, yKind: 'pct',
      series: [dummySeries('P/L')],
      values: [M.PL],
      empty: M.markers.length ? null : 'No trades',
      range: (u, min, max) => {
        if (min == null) return [-1, 1];
        min = Math.min(min, 0);
        max = Math.max(max, 0);
        const pad = (max - min) * 0.16 || 1;
        return [min - pad, max + pad];
      },
      under(u, ctx) {
        const x = mapX(u), y = mapY(u), pr = devicePixelRatio;
        const y0 = Math.round(y(0)) + 0.5;
        ctx.setLineDash([4 * pr, 4 * pr]);
        ctx.strokeStyle = C.level;
        ctx.lineWidth = pr;
        ctx.beginPath();
        ctx.moveTo(u.bbox.left, y0);
        ctx.lineTo(u.bbox.left + u.bbox.width, y0);
        ctx.stroke();
        ctx.setLineDash([]);
        const [i0, i1] = visible(u);
        if (M.markers.length > 4000 && barPx(u) < 0.5 * pr) return; // connectors would be a solid smear
        ctx.globalAlpha = 0.35;
        ctx.strokeStyle = C.muted;
        ctx.beginPath();
        for (const g of M.markers) {
          if (g.b < i0 || g.list.length !== 1) continue;
          const t = g.list[0];
          if (t.be > i1) continue;
          if (g.b > i1 + (g.b - t.be)) break;
          ctx.moveTo(x(t.be), y0);
          ctx.lineTo(x(g.b), y(g.ret));
        }
        ctx.stroke();
        ctx.globalAlpha = 1;
      },
      over(u, ctx) {
        const x = mapX(u), y = mapY(u), pr = devicePixelRatio;
        const [i0, i1] = visible(u);
        const paths = { ww: new Path2D(), wl: new Path2D() };
        let hl = null;
        for (const g of M.markers) {
          if (g.b < i0 - 1 || g.b > i1 + 1) continue;
          tri(g.win ? paths.ww : paths.wl, x(g.b), y(g.ret), g.r * pr, g.long);
          if (highlight != null && g.list.some((t) => t.no === highlight)) hl = g;
        }
        ctx.lineWidth = pr;
        ctx.strokeStyle = C.card;
        ctx.fillStyle = C.win;
        ctx.fill(paths.ww);
        ctx.stroke(paths.ww);
        ctx.fillStyle = C.loss;
        ctx.fill(paths.wl);
        ctx.stroke(paths.wl);
        if (hl) {
          const p = new Path2D();
          tri(p, x(hl.b), y(hl.ret), hl.r * pr + 3 * pr, hl.long);
          ctx.lineWidth = 2 * pr;
          ctx.strokeStyle = C.text;
          ctx.stroke(p);
        }
      },
      legend: () => [
        h('span', { class: 'item name', text: 'Profit / Loss' }),
        legendItem('Win', C.win, 'box'), legendItem('Loss', C.loss, 'box'),
        h('span', { class: 'item', text: '▲ long  ▼ short, size-scaled' }),
      ],
    });

    // OHLC with overlays and trades
    const overlays = M.indicators.filter((ind) => ind.panel.toLowerCase() === 'price');
    let ci = 0;
    for (const ind of M.indicators) {
      ind.color = ind.userColor || (ind.style === 'histogram' ? C.histUp : C.palette[ci++ % C.palette.length]);
    }
    const ovLevels = [].concat(...overlays.map((o) => o.levels));
    list.push({
      data: { panel: 'ohlc', points: String(m) }, label: 'Price', height: ohlcH, yKind: 'price', space: 30,
      series: [dummySeries('High'), dummySeries('Low')].concat(overlays.map((o) => lineSeries(o.name, o.color, { width: 1.5 }))),
      values: [M.H, M.L].concat(overlays.map((o) => o.values)),
      under(u, ctx) {
        const x = mapX(u), y = mapY(u), pr = devicePixelRatio;
        const [i0, i1] = visible(u);
        const bw = barPx(u);
        // trade spans, unless there are too many to tell apart
        const top = u.bbox.top, hgt = u.bbox.height;
        if (visibleTrades(i0, i1) <= u.bbox.width / pr / 10) {
          for (const t of M.trades) {
            if (t.bx < i0 || t.be > i1) continue;
            ctx.fillStyle = t.win ? C.spanWin : C.spanLoss;
            const a = x(t.be - 0.5), b = x(t.bx + 0.5);
            ctx.fillRect(a, top, Math.max(pr, b - a), hgt);
          }
        }
        drawLevels(u, ctx, ovLevels);
        // candles; denser than two pixels a bar, one high-low bar per pixel column
        const up = new Path2D(), dn = new Path2D();
        if (bw < 2 * pr) {
          columns(u, i0, i1, (col, a, b) => {
            let hi = M.H[a], lo = M.L[a];
            for (let i = a + 1; i <= b; i++) {
              if (M.H[i] > hi) hi = M.H[i];
              if (M.L[i] < lo) lo = M.L[i];
            }
            const yh = Math.round(y(hi));
            (M.C[b] >= M.O[a] ? up : dn).rect(col, yh, 1, Math.max(1, Math.round(y(lo)) - yh));
          });
        } else {
          const body = Math.max(1, Math.round(Math.min(bw * 0.72, bw - pr, 28 * pr)));
          const wick = Math.max(1, Math.round(pr));
          for (let i = i0; i <= i1; i++) {
            const o = M.O[i], c = M.C[i];
            const path = c >= o ? up : dn;
            const cx = Math.round(x(i));
            const yh = Math.round(y(M.H[i])), yl = Math.round(y(M.L[i]));
            path.rect(cx - Math.floor(wick / 2), yh, wick, Math.max(1, yl - yh));
            const yo = y(o), yc = y(c);
            const bt = Math.round(Math.min(yo, yc)), bb = Math.round(Math.max(yo, yc));
            path.rect(cx - Math.floor(body / 2), bt, body, Math.max(1, bb - bt));
          }
        }
        ctx.fillStyle = C.up;
        ctx.fill(up);
        ctx.fillStyle = C.down;
        ctx.fill(dn);
      },
      over(u, ctx) {
        const x = mapX(u), y = mapY(u), pr = devicePixelRatio;
        const [i0, i1] = visible(u);
        const vis = visibleTrades(i0, i1);
        if (vis > u.bbox.width / pr / 3 && highlight == null) return; // a smear; the P/L panel shows them
        const many = vis > u.bbox.width / pr / 12;
        ctx.lineCap = 'round';
        for (const win of [true, false]) {
          const p = new Path2D(), ends = new Path2D();
          for (const t of M.trades) {
            if (t.win !== win || t.bx < i0 || t.be > i1) continue;
            const ax = x(t.be), ay = y(t.ep), bx = x(t.bx), by = y(t.xp);
            p.moveTo(ax, ay);
            p.lineTo(bx, by);
            if (!many) {
              ends.moveTo(ax + 2.5 * pr, ay);
              ends.arc(ax, ay, 2.5 * pr, 0, 2 * Math.PI);
              ends.moveTo(bx + 2.5 * pr, by);
              ends.arc(bx, by, 2.5 * pr, 0, 2 * Math.PI);
            }
          }
          ctx.strokeStyle = win ? C.win : C.loss;
          ctx.lineWidth = (many ? 1 : 2) * pr;
          ctx.setLineDash(many ? [] : [5 * pr, 3 * pr]);
          ctx.stroke(p);
          ctx.setLineDash([]);
          ctx.fillStyle = win ? C.win : C.loss;
          ctx.fill(ends);
        }
        if (highlight != null) {
          const t = M.trades[highlight - 1];
          if (t) {
            ctx.strokeStyle = C.text;
            ctx.lineWidth = 3 * pr;
            ctx.beginPath();
            ctx.moveTo(x(t.be), y(t.ep));
            ctx.lineTo(x(t.bx), y(t.xp));
            ctx.stroke();
          }
        }
      },
      legend: (u) => [
        h('span', { class: 'item name', text: M.K > 1 ? 'OHLC (' + M.K + ' bars each)' : 'OHLC' }),
        legendItem('Trades (' + M.trades.length + ')', C.win, 'dash'),
        ...overlays.map((o, j) => indicatorLegend(o, u, 3 + j)),
      ],
    });

    // volume
    if (M.V) {
      let pts = 0;
      for (const v of M.V) if (v != null) pts++;
      list.push({
        data: { panel: 'volume', points: String(pts) }, label: 'Volume', height: 64, yKind: 'compact', space: 22,
        series: [dummySeries('Volume')],
        values: [M.V],
        range: (u, min, max) => [0, (max || 1) * 1.12],
        under(u, ctx) {
          const x = mapX(u), y = mapY(u), pr = devicePixelRatio;
          const [i0, i1] = visible(u);
          const bw = barPx(u);
          const w = Math.max(1, Math.round(Math.min(bw * 0.72, bw - pr, 28 * pr)));
          const y0 = Math.round(y(0));
          const up = new Path2D(), dn = new Path2D();
          if (bw < 2 * pr) {
            columns(u, i0, i1, (col, a, b) => {
              let v = null;
              for (let i = a; i <= b; i++) if (M.V[i] != null && (v == null || M.V[i] > v)) v = M.V[i];
              if (v == null) return;
              const yt = Math.round(y(v));
              (M.C[b] >= M.O[a] ? up : dn).rect(col, yt, 1, Math.max(1, y0 - yt));
            });
          } else {
            for (let i = i0; i <= i1; i++) {
              const v = M.V[i];
              if (v == null) continue;
              const yt = Math.round(y(v));
              (M.C[i] >= M.O[i] ? up : dn).rect(Math.round(x(i)) - Math.floor(w / 2), yt, w, Math.max(1, y0 - yt));
            }
          }
          ctx.fillStyle = C.volUp;
          ctx.fill(up);
          ctx.fillStyle = C.volDown;
          ctx.fill(dn);
        },
        legend: () => [h('span', { class: 'item name', text: 'Volume' })],
      });
    }

    // indicator panels
    const groups = new Map();
    for (const ind of M.indicators) {
      if (ind.panel.toLowerCase() === 'price') continue;
      if (!groups.has(ind.panel)) groups.set(ind.panel, []);
      groups.get(ind.panel).push(ind);
    }
    for (const [name, inds] of groups) {
      const levels = [...new Set([].concat(...inds.map((i) => i.levels)))].sort((a, b) => a - b);
      const hists = inds.filter((i) => i.style === 'histogram');
      list.push({
        data: { indicatorPanel: name }, label: name, height: 96, yKind: 'auto', space: 24,
        series: inds.map((i) => (i.style === 'histogram' ? dummySeries(i.name) : lineSeries(i.name, i.color, { width: 1.4 }))),
        values: inds.map((i) => i.values),
        range: padRange(levels.concat(hists.length ? [0] : [])),
        under(u, ctx) {
          if (levels.length >= 2) {
            const y = mapY(u);
            ctx.fillStyle = C.levelBand;
            const a = y(levels[levels.length - 1]), b = y(levels[0]);
            ctx.fillRect(u.bbox.left, a, u.bbox.width, b - a);
          }
          drawLevels(u, ctx, levels);
          for (const ind of hists) if (ind.show) drawHistogram(u, ctx, ind);
        },
        legend: (u) => [
          h('span', { class: 'item name', text: name }),
          ...inds.map((ind, j) => indicatorLegend(ind, u, ind.style === 'histogram' ? null : j + 1)),
        ],
      });
    }

    plots = list.map((p, i) => makePlot(p, i === list.length - 1, width));
  }

  function dot(ctx, x, y, r, fill, stroke) {
    ctx.beginPath();
    ctx.arc(x, y, r, 0, 2 * Math.PI);
    ctx.fillStyle = fill;
    ctx.fill();
    ctx.lineWidth = 1.5 * devicePixelRatio;
    ctx.strokeStyle = stroke;
    ctx.stroke();
  }
  function tri(p, x, y, r, up) {
    const s = up ? 1 : -1;
    p.moveTo(x, y - s * r);
    p.lineTo(x + r * 0.95, y + s * r * 0.7);
    p.lineTo(x - r * 0.95, y + s * r * 0.7);
    p.closePath();
  }
  // Calls fn(column, a, b) for each canvas pixel column and the buckets a..b drawn in it.
  function columns(u, i0, i1, fn) {
    const x = mapX(u);
    let col = null, a = i0;
    for (let i = i0; i <= i1; i++) {
      const c = Math.floor(x(i));
      if (c !== col) {
        if (col !== null) fn(col, a, i - 1);
        col = c;
        a = i;
      }
    }
    if (col !== null) fn(col, a, i1);
  }
  function drawLevels(u, ctx, levels) {
    if (!levels.length) return;
    const y = mapY(u), pr = devicePixelRatio;
    ctx.setLineDash([4 * pr, 4 * pr]);
    ctx.strokeStyle = C.level;
    ctx.lineWidth = pr;
    ctx.beginPath();
    for (const l of levels) {
      const yy = Math.round(y(l)) + 0.5;
      ctx.moveTo(u.bbox.left, yy);
      ctx.lineTo(u.bbox.left + u.bbox.width, yy);
    }
    ctx.stroke();
    ctx.setLineDash([]);
  }
  function drawHistogram(u, ctx, ind) {
    const x = mapX(u), y = mapY(u), pr = devicePixelRatio;
    const [i0, i1] = visible(u);
    const bw = barPx(u);
    const w = Math.max(1, Math.round(Math.min(bw * 0.7, bw - pr, 28 * pr)));
    const y0 = Math.round(y(0));
    const pos = new Path2D(), neg = new Path2D();
    const bar = (left, wd, v) => {
      const yv = Math.round(y(v));
      if (v >= 0) pos.rect(left, yv, wd, Math.max(1, y0 - yv));
      else neg.rect(left, y0, wd, Math.max(1, yv - y0));
    };
    if (bw < 2 * pr) {
      columns(u, i0, i1, (col, a, b) => {
        let v = null;
        for (let i = a; i <= b; i++) if (ind.values[i] != null && (v == null || Math.abs(ind.values[i]) > Math.abs(v))) v = ind.values[i];
        if (v != null) bar(col, 1, v);
      });
    } else {
      for (let i = i0; i <= i1; i++) if (ind.values[i] != null) bar(Math.round(x(i)) - Math.floor(w / 2), w, ind.values[i]);
    }
    ctx.fillStyle = C.histUp;
    ctx.fill(pos);
    ctx.fillStyle = C.histDown;
    ctx.fill(neg);
  }

  // ---------- zoom, pan, sync ----------
  function onSetScale(u, key) {
    if (key !== 'x' || syncing) return;
    syncing = true;
    const { min, max } = u.scales.x;
    for (const o of plots) if (o !== u && (o.scales.x.min !== min || o.scales.x.max !== max)) o.setScale('x', { min, max });
    syncing = false;
    if (nav) nav.draw();
  }

  function clampRange(min, max) {
    const lo = -0.5, hi = M.m - 0.5, full = hi - lo;
    let span = max - min;
    const minSpan = Math.min(full, 6);
    if (span < minSpan) {
      const c = (min + max) / 2;
      min = c - minSpan / 2;
      max = c + minSpan / 2;
      span = minSpan;
    }
    if (span >= full) return [lo, hi];
    if (min < lo) { max += lo - min; min = lo; }
    if (max > hi) { min -= max - hi; max = hi; }
    return [min, max];
  }
  function setX(min, max) {
    [min, max] = clampRange(min, max);
    if (!plots.length) return;
    if (!pending) {
      requestAnimationFrame(() => {
        const r = pending;
        pending = null;
        if (plots.length) plots[0].setScale('x', { min: r[0], max: r[1] });
      });
    }
    pending = [min, max];
  }
  const currentX = () => (pending ? pending.slice() : [plots[0].scales.x.min, plots[0].scales.x.max]);

  function bindInteractions(u) {
    const over = u.over;
    over.addEventListener('mouseenter', () => { hoverPlot = u; });
    over.addEventListener('mouseleave', () => {
      if (hoverPlot === u) hoverPlot = null;
      tooltipEl.hidden = true;
    });
    over.addEventListener('mousemove', (e) => { lastMouse = e; placeTooltip(); });
    over.addEventListener('wheel', (e) => {
      e.preventDefault();
      const rect = over.getBoundingClientRect();
      const [min, max] = currentX();
      const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? rect.height : 1;
      if (Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
        const shift = ((e.deltaX * unit) / rect.width) * (max - min);
        setX(min + shift, max + shift);
        return;
      }
      const frac = Math.max(0, Math.min(1, (e.clientX - rect.left) / rect.width));
      const at = min + frac * (max - min);
      const f = Math.pow(1.0016, Math.max(-300, Math.min(300, e.deltaY * unit)));
      const span = (max - min) * f;
      setX(at - frac * span, at + (1 - frac) * span);
    }, { passive: false });
    let drag = null;
    over.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      const [min, max] = currentX();
      drag = { x: e.clientX, min, max, w: over.getBoundingClientRect().width, moved: false };
      over.setPointerCapture(e.pointerId);
    });
    over.addEventListener('pointermove', (e) => {
      if (!drag) return;
      const dx = e.clientX - drag.x;
      if (!drag.moved && Math.abs(dx) < 3) return;
      drag.moved = true;
      over.classList.add('panning');
      const shift = (-dx / drag.w) * (drag.max - drag.min);
      setX(drag.min + shift, drag.max + shift);
    });
    const end = (e) => {
      if (!drag) return;
      drag = null;
      over.classList.remove('panning');
      if (over.hasPointerCapture(e.pointerId)) over.releasePointerCapture(e.pointerId);
    };
    over.addEventListener('pointerup', end);
    over.addEventListener('pointercancel', end);
    over.addEventListener('dblclick', () => setX(-0.5, M.m - 0.5));
  }

  // ---------- tooltip ----------
  let lastMouse = null;
  function onCursor(u) {
    if (u !== hoverPlot) return;
    const i = u.cursor.idx;
    if (i == null || i < 0 || i >= M.m) {
      tooltipEl.hidden = true;
      return;
    }
    if (tooltipEl._idx !== i || tooltipEl._plot !== u) {
      tooltipEl._idx = i;
      tooltipEl._plot = u;
      tooltipEl.replaceChildren(...tooltipContent(i));
    }
    tooltipEl.hidden = false;
    placeTooltip();
  }
  function placeTooltip() {
    if (tooltipEl.hidden || !lastMouse) return;
    const pad = 16, w = tooltipEl.offsetWidth, hh = tooltipEl.offsetHeight;
    let x = lastMouse.clientX + pad, y = lastMouse.clientY + pad;
    if (x + w > window.innerWidth - 4) x = lastMouse.clientX - pad - w;
    if (y + hh > window.innerHeight - 4) y = Math.max(4, lastMouse.clientY - pad - hh);
    tooltipEl.style.transform = 'translate(' + Math.round(Math.max(4, x)) + 'px,' + Math.round(y) + 'px)';
  }
  function when(b) {
    const s = b * M.K, e = Math.min(M.n, s + M.K) - 1;
    const f = (i) => {
      const d = new Date(M.time[i] * 1000);
      return M.daily ? ymd(d) + ' ' + DOW[d.getUTCDay()] : ymd(d) + ' ' + p2(d.getUTCHours()) + ':' + p2(d.getUTCMinutes());
    };
    return M.K > 1 ? f(s) + ' → ' + f(e) + ' (' + (e - s + 1) + ' bars)' : f(s);
  }
  function kv(grid, k, v, color, vcls) {
    grid.append(h('span', { class: 'k' }, color ? h('span', { class: 'sw dot', color }) : null, k));
    grid.append(h('span', { class: 'v' + (vcls ? ' ' + vcls : ''), text: v }));
  }
  function tradeLine(t, closedHere) {
    const side = t.long ? '▲ Long' : '▼ Short';
    const ret = fmtS(t.ret * 100, 2) + '%';
    const dur = num(t.t.duration_days);
    return h('div', { class: 'trade' },
      h('div', { class: 't1' },
        h('span', { class: t.long ? 'long' : 'short', text: side }), ' #' + t.no + ' · ' + fmt(Math.abs(t.size), M.sizeDec) + ' · ',
        h('span', { class: cls(t.pnl), text: fmtS(t.pnl, 2) + ' (' + ret + ')' }),
        closedHere ? '' : t.open ? ' · open' : ' · in trade'),
      h('div', { class: 't2', text: isoShort(t.t.entry_time) + ' @ ' + fmt(t.ep, M.pdec) + ' → ' + (t.open ? 'open' : isoShort(t.t.exit_time) + ' @ ' + fmt(t.xp, M.pdec)) + (Number.isFinite(dur) ? ' · ' + fmtDays(dur) : '') }));
  }
  function tooltipContent(i) {
    const out = [h('div', { class: 'when', text: when(i) })];
    const g = h('div', { class: 'grid' });
    kv(g, 'Open', fmt(M.O[i], M.pdec));
    kv(g, 'High', fmt(M.H[i], M.pdec));
    kv(g, 'Low', fmt(M.L[i], M.pdec));
    kv(g, 'Close', fmt(M.C[i], M.pdec), null, cls(M.C[i] - M.O[i]));
    if (M.V) kv(g, 'Volume', M.V[i] == null ? '—' : compact(M.V[i]));
    const eqv = (M.E[i] * M.cash) / 100;
    kv(g, 'Equity', fmt(eqv, 2) + ' (' + trim(M.E[i], 1) + '%)', C.equity);
    kv(g, 'Drawdown', fmt(M.DD[i], 2) + '%', C.ddLine);
    out.push(g);
    if (M.indicators.length) {
      const gi = h('div', { class: 'grid' });
      for (const ind of M.indicators) {
        const v = ind.values[i];
        kv(gi, ind.name, v == null ? '—' : fmt(v, ind.panel.toLowerCase() === 'price' ? M.pdec : sigDecimals(v)), ind.color);
      }
      out.push(h('div', { class: 'sep' }), gi);
    }
    const closed = M.byExit.get(i);
    const lines = [];
    if (closed) for (const t of closed.list) lines.push(tradeLine(t, true));
    let more = 0;
    for (const t of M.trades) {
      if (t.be <= i && t.bx >= i && !(closed && t.bx === i)) {
        if (lines.length < 6) lines.push(tradeLine(t, false));
        else more++;
      }
    }
    if (lines.length > 6) { more += lines.length - 6; lines.length = 6; }
    if (lines.length) {
      out.push(h('div', { class: 'sep' }), ...lines);
      if (more) out.push(h('div', { class: 't2', text: '+' + more + ' more' }));
    }
    return out;
  }
  function isoShort(s) {
    if (typeof s !== 'string') return '—';
    const parts = s.split('T');
    return M.daily || parts.length < 2 ? parts[0] : parts[0] + ' ' + parts[1].slice(0, 5);
  }

  // ---------- navigator ----------
  function Navigator(host) {
    const cv = h('canvas');
    host.append(cv);
    const ctx = cv.getContext('2d');
    let geo = null;
    function layout() {
      const u = plots[0];
      const pr = devicePixelRatio;
      const left = u.bbox.left / pr, width = u.bbox.width / pr, height = host.clientHeight;
      cv.style.left = left + 'px';
      cv.style.width = width + 'px';
      cv.style.height = height + 'px';
      cv.width = Math.round(width * pr);
      cv.height = Math.round(height * pr);
      geo = { left, width, height, pr };
      // the close, per pixel column: min and max of the buckets under it
      const cols = cv.width, m = M.m;
      const lo = new Float64Array(cols).fill(Infinity), hi = new Float64Array(cols).fill(-Infinity);
      let vmin = Infinity, vmax = -Infinity;
      for (let b = 0; b < m; b++) {
        const c = Math.min(cols - 1, Math.floor(((b + 0.5) / m) * cols));
        const v = M.C[b];
        if (v < lo[c]) lo[c] = v;
        if (v > hi[c]) hi[c] = v;
        if (v < vmin) vmin = v;
        if (v > vmax) vmax = v;
      }
      geo.cols = { lo, hi, vmin, vmax };
    }
    const toVal = (clientX) => {
      const r = cv.getBoundingClientRect();
      return ((clientX - r.left) / r.width) * M.m - 0.5;
    };
    const toPx = (v) => ((v + 0.5) / M.m) * cv.width;
    function draw() {
      if (!geo) return;
      const { pr } = geo, W = cv.width, Hh = cv.height;
      const { lo, hi, vmin, vmax } = geo.cols;
      ctx.clearRect(0, 0, W, Hh);
      const padY = 5 * pr;
      const sy = (v) => Hh - padY - ((v - vmin) / (vmax - vmin || 1)) * (Hh - 2 * padY);
      const line = new Path2D();
      let first = true, lastX = 0;
      for (let c = 0; c < W; c++) {
        if (lo[c] === Infinity) continue;
        if (first) { line.moveTo(c, sy(hi[c])); first = false; }
        line.lineTo(c, sy(hi[c]));
        if (lo[c] !== hi[c]) line.lineTo(c, sy(lo[c]));
        lastX = c;
      }
      const area = new Path2D(line);
      area.lineTo(lastX, Hh);
      area.lineTo(0, Hh);
      area.closePath();
      ctx.fillStyle = C.navFill;
      ctx.fill(area);
      ctx.strokeStyle = C.navLine;
      ctx.lineWidth = pr;
      ctx.stroke(line);
      const [min, max] = currentX();
      const a = Math.max(0, toPx(min)), b = Math.min(W, toPx(max));
      ctx.fillStyle = C.navShade;
      ctx.fillRect(0, 0, a, Hh);
      ctx.fillRect(b, 0, W - b, Hh);
      ctx.strokeStyle = C.accent;
      ctx.lineWidth = 1.5 * pr;
      ctx.strokeRect(a + 0.75 * pr, 0.75 * pr, Math.max(pr, b - a - 1.5 * pr), Hh - 1.5 * pr);
      ctx.fillStyle = C.accent;
      for (const e of [a, b]) ctx.fillRect(e - 2 * pr, Hh / 2 - 8 * pr, 4 * pr, 16 * pr);
    }
    let drag = null;
    function hit(clientX) {
      const r = cv.getBoundingClientRect();
      const px = clientX - r.left;
      const [min, max] = currentX();
      const a = ((min + 0.5) / M.m) * r.width, b = ((max + 0.5) / M.m) * r.width;
      if (Math.abs(px - a) < 7) return 'l';
      if (Math.abs(px - b) < 7) return 'r';
      return px > a && px < b ? 'in' : 'out';
    }
    cv.addEventListener('pointermove', (e) => {
      if (!drag) {
        const k = hit(e.clientX);
        cv.style.cursor = k === 'l' || k === 'r' ? 'ew-resize' : k === 'in' ? 'grab' : 'pointer';
        return;
      }
      const v = toVal(e.clientX);
      if (drag.kind === 'l') setX(Math.min(v, drag.max - 2), drag.max);
      else if (drag.kind === 'r') setX(drag.min, Math.max(v, drag.min + 2));
      else setX(drag.min + (v - drag.v), drag.max + (v - drag.v));
    });
    cv.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      let kind = hit(e.clientX);
      let [min, max] = currentX();
      const v = toVal(e.clientX);
      if (kind === 'out') {
        const span = max - min;
        [min, max] = clampRange(v - span / 2, v + span / 2);
        setX(min, max);
        kind = 'in';
      }
      drag = { kind, v, min, max };
      cv.setPointerCapture(e.pointerId);
    });
    const end = (e) => {
      drag = null;
      if (cv.hasPointerCapture(e.pointerId)) cv.releasePointerCapture(e.pointerId);
    };
    cv.addEventListener('pointerup', end);
    cv.addEventListener('pointercancel', end);
    cv.addEventListener('wheel', (e) => {
      e.preventDefault();
      const [min, max] = currentX();
      const f = Math.pow(1.0016, Math.max(-300, Math.min(300, e.deltaY)));
      const c = (min + max) / 2, span = (max - min) * f;
      setX(c - span / 2, c + span / 2);
    }, { passive: false });
    return { layout, draw };
  }

  // ---------- KPIs, statistics, trades ----------
  //#include lib/stats.js
  function renderStats() {
    const S = M.stats;
    useDefinitions(M.definitions);
    const tb = h('tbody');
    const known = new Set();
    let rows = 0, few = false;
    const gapBefore = new Set(['exposure_time_pct', 'return_pct', 'sharpe_ratio', 'max_drawdown_pct', 'trades']);
    for (const [key, label, kind] of STATS) {
      known.add(key);
      if (!(key in S)) continue;
      const v = S[key];
      if (statFew(key)) few = true;
      tb.append(h('tr', { class: gapBefore.has(key) && rows ? 'gap' : null },
        statLabelCell(key, label),
        h('td', { class: 'v', text: statText(v, kind), title: v == null ? 'NaN' : String(v), data: { key, value: v == null ? 'null' : String(v) } })));
      rows++;
    }
    for (const key in S) {
      if (known.has(key) || (S[key] !== null && typeof S[key] === 'object')) continue;
      tb.append(h('tr', null, h('td', { class: 'l', text: key }), h('td', { class: 'v', text: statText(S[key], 'ratio'), data: { key } })));
      rows++;
    }
    const t = $('stats');
    if (few) t.replaceChildren(fewCaption(), tb);
    else t.replaceChildren(tb);
    t.dataset.rows = String(rows);

    const kp = $('kpis');
    const cards = [
      ['Return', 'return_pct', (v) => fmtS(v, 2) + '%', true], ['Buy & Hold', 'buy_hold_return_pct', (v) => fmtS(v, 2) + '%', true],
      ['CAGR', 'cagr_pct', (v) => fmtS(v, 2) + '%', true], ['Sharpe Ratio', 'sharpe_ratio', (v) => fmt(v, 2)],
      ['Max. Drawdown', 'max_drawdown_pct', (v) => fmt(v, 2) + '%', true], ['Win Rate', 'win_rate_pct', (v) => fmt(v, 1) + '%'],
      ['# Trades', 'trades', (v) => fmt(v, 0)], ['Profit Factor', 'profit_factor', (v) => fmt(v, 2)],
      ['Equity Final', 'equity_final', (v) => fmt(v, 0)],
    ];
    kp.replaceChildren(...cards.filter((c) => c[1] in S).map(([label, key, f, colored]) =>
      h('div', { class: 'kpi' }, h('div', { class: 'k', text: label, title: statTitle(key) }),
        h('div', { class: 'v ' + (colored ? cls(S[key]) : ''), text: S[key] == null ? '—' : f(S[key]) }))));
  }

  let sortState = { key: 'no', dir: 1 };
  let showAll = false;
  function tradeColumns() {
    const anySl = M.trades.some((t) => t.t.sl != null), anyTp = M.trades.some((t) => t.t.tp != null);
    const anyComm = M.trades.some((t) => num(t.t.commission) !== 0 && t.t.commission != null);
    const price = (v) => fmt(v, M.pdec);
    return [
      { key: 'no', label: '#', get: (t) => t.no, f: (v) => String(v) },
      { key: 'side', label: 'Side', txt: true, get: (t) => (t.long ? 1 : -1), f: (v) => (v > 0 ? '▲ Long' : '▼ Short'), c: (v) => (v > 0 ? 'long' : 'short') },
      { key: 'size', label: 'Size', get: (t) => Math.abs(t.size), f: (v) => fmt(v, M.sizeDec) },
      { key: 'entry_time', label: 'Entry time', txt: true, get: (t) => t.eb, f: (v, t) => isoShort(t.t.entry_time) },
      { key: 'exit_time', label: 'Exit time', txt: true, get: (t) => t.xb, f: (v, t) => (t.open ? 'open' : isoShort(t.t.exit_time)) },
      { key: 'entry_price', label: 'Entry price', get: (t) => t.ep, f: price },
      { key: 'exit_price', label: 'Exit price', get: (t) => t.xp, f: price },
      { key: 'pnl', label: 'P/L', get: (t) => t.pnl, f: (v) => fmtS(v, 2), c: cls },
      { key: 'return_pct', label: 'Return [%]', get: (t) => t.ret * 100, f: (v) => fmtS(v, 2), c: cls },
      { key: 'duration_days', label: 'Duration', get: (t) => num(t.t.duration_days), f: fmtDays },
      anySl && { key: 'sl', label: 'SL', get: (t) => num(t.t.sl), f: price },
      anyTp && { key: 'tp', label: 'TP', get: (t) => num(t.t.tp), f: price },
      anyComm && { key: 'commission', label: 'Commission', get: (t) => num(t.t.commission), f: (v) => fmt(v, 2) },
    ].filter(Boolean);
  }
  function renderTrades() {
    const cols = tradeColumns();
    const table = $('trades');
    $('trade-count').textContent = M.trades.length + (M.trades.length === 1 ? ' trade' : ' trades');
    const head = h('tr', null, ...cols.map((c) => h('th', {
      class: (c.txt ? 'txt ' : '') + (sortState.key === c.key ? 'sorted' + (sortState.dir > 0 ? ' asc' : '') : ''),
      text: c.label, title: 'Sort by ' + c.label, data: { key: c.key },
    })));
    const col = cols.find((c) => c.key === sortState.key) || cols[0];
    const rows = M.trades.slice();
    const key = (t) => { const v = col.get(t); return Number.isNaN(v) ? -Infinity : v; };
    rows.sort((a, b) => (key(a) - key(b)) * sortState.dir || a.no - b.no);
    const shown = showAll ? rows : rows.slice(0, MAX_TABLE_ROWS);
    const body = h('tbody');
    const frag = document.createDocumentFragment();
    for (const t of shown) {
      const tr = document.createElement('tr');
      tr.dataset.trade = t.no;
      for (const c of cols) {
        const v = c.get(t);
        const td = document.createElement('td');
        td.textContent = c.f(v, t);
        const k = (c.txt ? 'txt ' : '') + (c.c ? c.c(v) : '');
        if (k.trim()) td.className = k.trim();
        tr.append(td);
      }
      frag.append(tr);
    }
    body.append(frag);
    table.replaceChildren(h('thead', null, head), body);
    table.dataset.rows = String(shown.length);
    const more = $('trades-more');
    more.replaceChildren();
    if (rows.length > shown.length) {
      more.append(h('button', {
        class: 'more', type: 'button', text: 'Show all ' + rows.length + ' trades',
        onclick: () => { showAll = true; renderTrades(); },
      }));
    }
    if (!M.trades.length) more.append(h('div', { class: 'message', text: 'No trades.' }));
  }
  function bindTrades() {
    const table = $('trades');
    table.addEventListener('click', (e) => {
      const th = e.target.closest('th');
      if (th) {
        const k = th.dataset.key;
        sortState = sortState.key === k ? { key: k, dir: -sortState.dir } : { key: k, dir: k === 'no' || k.endsWith('time') ? 1 : -1 };
        renderTrades();
        return;
      }
      const tr = e.target.closest('tr[data-trade]');
      if (tr) zoomToTrade(+tr.dataset.trade);
    });
    table.addEventListener('mouseover', (e) => {
      const tr = e.target.closest('tr[data-trade]');
      setHighlight(tr ? +tr.dataset.trade : null);
    });
    table.addEventListener('mouseleave', () => setHighlight(null));
  }
  function setHighlight(no) {
    if (highlight === no) return;
    highlight = no;
    for (const u of plots) if (u._panel.data.panel === 'ohlc' || u._panel.data.panel === 'pl') u.redraw(false);
  }
  function zoomToTrade(no, stay) {
    const t = M.trades[no - 1];
    if (!t) return;
    const span = Math.max(t.bx - t.be, 4);
    setX(t.be - span * 0.8 - 2, t.bx + span * 0.8 + 2);
    if (!stay) $('chart').scrollIntoView({ behavior: 'smooth', block: 'start' });
  }

  // ---------- page ----------
  function message(text, isError) {
    $('panels').replaceChildren(h('div', { class: 'message' + (isError ? ' error' : ''), text }));
    $('nav').hidden = true;
    document.querySelector('#chart .toolbar').hidden = true;
  }

  function build() {
    const width = Math.max(320, panelsEl.clientWidth);
    tickCache = null;
    tooltipEl.hidden = true;
    tooltipEl._idx = null;
    hoverPlot = null;
    for (const u of plots) u.destroy();
    plots = [];
    panelsEl.replaceChildren();
    buildPanels(width);
    plots[0].setScale('x', { min: -0.5, max: M.m - 0.5 }); // uPlot ranges a single point its own way
    nav.layout();
    nav.draw();
  }

  function main() {
    panelsEl = $('panels');
    tooltipEl = $('tooltip');
    readTheme();
    const D = load();
    phase('parse');
    if (!D) {
      message('This is the report template: it holds no data.');
      $('tables').hidden = true;
      return;
    }
    if (typeof D.title === 'string') {
      $('title').textContent = D.title;
      document.title = D.title;
    }
    if (typeof D.subtitle === 'string') $('subtitle').textContent = D.subtitle;
    M = buildModel(D);
    R.buckets = M.K;
    phase('model');
    renderStats();
    if (!M.n) {
      message('No bars.');
      renderTrades();
      return;
    }
    if (M.K > 1) {
      const notice = $('notice');
      notice.textContent = M.n.toLocaleString('en-US') + ' bars shown as ' + M.m.toLocaleString('en-US') + ' candles of ' + M.K + ' bars; statistics use every bar';
      notice.hidden = false;
    }
    nav = Navigator($('nav'));
    build();
    phase('charts');
    renderTrades();
    bindTrades();
    phase('tables');
    $('reset').addEventListener('click', () => setX(-0.5, M.m - 0.5));
    // #bars=FROM-TO (bar numbers) or #trade=N opens the chart there
    const applyHash = () => {
      const mb = /^#bars=(\d+)-(\d+)$/.exec(location.hash);
      const mt = /^#trade=(\d+)$/.exec(location.hash);
      if (mb) setX(M.bucketX(+mb[1]) - 0.5, M.bucketX(+mb[2]) + 0.5);
      else if (mt) zoomToTrade(+mt[1], true);
    };
    applyHash();
    window.addEventListener('hashchange', applyHash);

    let lastW = panelsEl.clientWidth;
    new ResizeObserver(() => {
      const w = panelsEl.clientWidth;
      if (w === lastW || !plots.length) return;
      lastW = w;
      for (const u of plots) u.setSize({ width: Math.max(320, w), height: u.height });
      nav.layout();
      nav.draw();
    }).observe(panelsEl);
    const mq = window.matchMedia('(prefers-color-scheme: dark)');
    const retheme = () => {
      const [min, max] = currentX();
      readTheme();
      build();
      setX(min, max);
    };
    if (mq.addEventListener) mq.addEventListener('change', retheme);
  }

  try {
    main();
    R.scriptMs = performance.now() - T0;
  } catch (e) {
    R.error = String((e && e.stack) || e);
    try { message('The report could not be drawn: ' + e, true); } catch (_) { /* nothing more to do */ }
    console.error(e);
  }
  requestAnimationFrame(() => requestAnimationFrame(() => {
    R.readyMs = performance.now();
    R.ready = true;
    document.documentElement.dataset.ready = R.error ? 'error' : 'true';
  }));
})();
