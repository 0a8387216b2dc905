/* Portfolio report: draws the JSON in <script id="report-data"> (see Tools/report/README.md):
 * equity and drawdown (uPlot, one cursor), each ticker's share of equity over time as a
 * stacked area (uPlot), each ticker's contribution to the return (table with bars, SVG), the
 * tickers whose data starts late or ends early, the orders (sortable) and the statistics.
 */
(function () {
  'use strict';

  //#include lib/helpers.js
  //#include lib/stats.js
  //#include lib/page.js

  const charts = []; // {layout(), retheme()} of everything drawn to a width or with theme colours
  const SVGNS = 'http://www.w3.org/2000/svg';
  const MAX_BANDS = 12; // tickers drawn as their own band; the others share one
  let D = null;

  function section(title, note) {
    const s = h('section', { class: 'section' });
    if (title) s.append(h('h2', null, title, note ? h('span', { class: 'note', text: note }) : null));
    $('sections').append(s);
    return s;
  }
  const card = (title, note, ...kids) => h('div', { class: 'card' }, title ? h('h2', null, title, note ? h('span', { class: 'count', text: note }) : null) : null, ...kids);
  const nonEmpty = (a) => Array.isArray(a) && a.length > 0;
  const day = (t) => (Number.isFinite(t) ? ymd(new Date(t * 1000)) : '—');
  // the palette: the theme's eight colours, then hues around the wheel
  function colour(i) {
    if (i < 8) return cssVar('c' + (i + 1));
    return 'hsl(' + Math.round((i * 137.5) % 360) + ', 55%, 55%)';
  }
  const swatch = (c) => { const s = h('span', { class: 'sw' }); s.style.background = c; return s; };

  // ---------- equity and drawdown ----------
  function series() {
    const T = [], E = [], DD = [];
    const n = Math.min(D.time.length, D.equity.length);
    let peak = -Infinity, eqPoints = 0, ddPoints = 0;
    for (let i = 0; i < n; i++) {
      const t = num(D.time[i]);
      if (!Number.isFinite(t)) continue;
      const v = num(D.equity[i]);
      T.push(t);
      if (Number.isFinite(v)) {
        eqPoints++;
        if (v > peak) peak = v;
        E.push(v);
        const dd = peak > 0 ? (v / peak - 1) * 100 : NaN;
        DD.push(Number.isFinite(dd) ? dd : null);
        if (Number.isFinite(dd)) ddPoints++;
      } else {
        E.push(null);
        DD.push(null);
      }
    }
    return { T, E, DD, eqPoints, ddPoints };
  }

  function lineChart(opts) {
    const wrap = h('div', { class: 'plot', data: { panel: opts.panel, points: String(opts.points) } });
    let u = null;
    function make() {
      if (u) u.destroy();
      const c = cssVar(opts.colour);
      u = new uPlot({
        width: Math.max(300, wrap.clientWidth), height: opts.height,
        legend: { show: false },
        tzDate: utcDate,
        cursor: { sync: { key: 'portfolio' }, drag: { x: false, y: false }, points: { size: 7, fill: cssVar('card'), stroke: c, width: 2 } },
        scales: { x: { time: true } },
        axes: [uAxis({}), uAxis({ size: 62, values: (uu, splits) => splits.map(opts.tick) })],
        series: [{}, { label: opts.label, stroke: c, width: 1.6, fill: cssVar(opts.fill), points: { show: false } }],
        hooks: { setCursor: [(uu) => opts.tip(uu)] },
      }, [opts.T, opts.Y], wrap);
      u.over.addEventListener('mouseleave', () => tip.hide());
    }
    return { wrap, init: make, retheme: make, layout() { if (u) u.setSize({ width: Math.max(300, wrap.clientWidth), height: opts.height }); } };
  }

  function renderEquity() {
    const { T, E, DD, eqPoints, ddPoints } = series();
    if (!T.length) return;
    const cash = num(D.cash);
    const showTip = (uu) => {
      const i = uu.cursor.idx;
      if (i == null || uu.cursor.left < 0) { tip.hide(); return; }
      const r = uu.over.getBoundingClientRect();
      tip.show(r.left + uu.cursor.left, r.top + uu.cursor.top, tipBody(day(T[i]), [
        ['equity', E[i] == null ? '—' : fmt(E[i], 2)],
        ['return', E[i] == null || !(cash > 0) ? '—' : fmtS((E[i] / cash - 1) * 100, 2) + '%', E[i] == null ? '' : cls(E[i] - cash)],
        ['drawdown', DD[i] == null ? '—' : fmt(DD[i], 2) + '%'],
      ]));
    };
    const eq = lineChart({ panel: 'equity', points: eqPoints, T, Y: E, height: 280, colour: 'equity', fill: 'nav-fill', label: 'Equity', tick: compact, tip: showTip });
    const dd = lineChart({ panel: 'drawdown', points: ddPoints, T, Y: DD, height: 120, colour: 'dd-line', fill: 'dd-area', label: 'Drawdown', tick: (v) => fmt(v, 0) + '%', tip: showTip });
    const s = section('Equity and drawdown', T.length + ' bars, ' + day(T[0]) + ' – ' + day(T[T.length - 1]));
    s.append(card(null, null, eq.wrap, dd.wrap));
    for (const m of [eq, dd]) { m.init(); charts.push(m); }
  }

  // ---------- weights: a stacked area ----------
  // bands: [{label, tickers: [index]}], the largest mean weights first, at most MAX_BANDS
  function bands(W, n) {
    const mean = new Array(n).fill(0);
    for (const row of W) for (let j = 0; j < n; j++) { const v = num(row[j]); if (Number.isFinite(v)) mean[j] += v; }
    const order = mean.map((m, j) => j);
    if (n <= MAX_BANDS) return order.map((j) => ({ label: String(D.tickers[j]), tickers: [j] }));
    order.sort((a, b) => mean[b] - mean[a] || a - b);
    const own = order.slice(0, MAX_BANDS - 1).sort((a, b) => a - b);
    const rest = order.slice(MAX_BANDS - 1);
    return own.map((j) => ({ label: String(D.tickers[j]), tickers: [j] })).concat([{ label: rest.length + ' others', tickers: rest }]);
  }

  function renderWeights() {
    const tickers = Array.isArray(D.tickers) ? D.tickers : [];
    if (!nonEmpty(D.weights) || !tickers.length) return;
    const T = [], W = [];
    for (let i = 0; i < Math.min(D.time.length, D.weights.length); i++) {
      const t = num(D.time[i]);
      if (!Number.isFinite(t) || !Array.isArray(D.weights[i])) continue;
      T.push(t);
      W.push(D.weights[i]);
    }
    if (!T.length) return;
    const B = bands(W, tickers.length);
    // cumulative shares: cum[k][i] = sum of bands 0..k at bar i; drawn from the top band down,
    // each filled to zero over the ones before it
    const cum = B.map(() => new Array(T.length));
    for (let i = 0; i < T.length; i++) {
      let acc = 0;
      for (let k = 0; k < B.length; k++) {
        for (const j of B[k].tickers) { const v = num(W[i][j]); if (Number.isFinite(v)) acc += v; }
        cum[k][i] = acc * 100;
      }
    }
    const wrap = h('div', { class: 'plot', data: { panel: 'weights', points: String(T.length) } });
    const legend = h('div', { class: 'legend-row' });
    let u = null;
    function make() {
      if (u) u.destroy();
      const cols = B.map((b, k) => colour(k));
      legend.replaceChildren(...B.map((b, k) => h('span', null, swatch(cols[k]), b.label)), h('span', null, swatch(cssVar('bar-bg')), 'cash'));
      const order = B.map((b, k) => B.length - 1 - k); // top band first
      u = new uPlot({
        width: Math.max(300, wrap.clientWidth), height: 260,
        legend: { show: false },
        tzDate: utcDate,
        cursor: { sync: { key: 'portfolio' }, drag: { x: false, y: false }, points: { show: false } },
        scales: { x: { time: true }, y: { range: [0, 100] } },
        axes: [uAxis({}), uAxis({ size: 62, values: (uu, splits) => splits.map((v) => fmt(v, 0) + '%') })],
        series: [{}].concat(order.map((k) => ({ label: B[k].label, stroke: cols[k], width: 0.8, fill: cols[k], points: { show: false } }))),
        hooks: {
          setCursor: [(uu) => {
            const i = uu.cursor.idx;
            if (i == null || uu.cursor.left < 0) { tip.hide(); return; }
            const r = uu.over.getBoundingClientRect();
            const rows = B.map((b, k) => [b.label, fmt(cum[k][i] - (k ? cum[k - 1][i] : 0), 1) + '%']).reverse();
            rows.push(['cash', fmt(100 - cum[B.length - 1][i], 1) + '%']);
            tip.show(r.left + uu.cursor.left, r.top + uu.cursor.top, tipBody(day(T[i]), rows));
          }],
        },
      }, [T].concat(order.map((k) => cum[k])), wrap);
      u.over.addEventListener('mouseleave', () => tip.hide());
    }
    const s = section('Weights', 'each ticker\'s share of equity after each bar\'s fills');
    s.append(card(null, null, wrap, legend));
    make();
    charts.push({ retheme: make, layout() { if (u) u.setSize({ width: Math.max(300, wrap.clientWidth), height: 260 }); } });
  }

  // ---------- contributions ----------
  function contributionBar(v, lo, hi) {
    const W = 180, H = 14;
    const s = document.createElementNS(SVGNS, 'svg');
    for (const [k, a] of [['class', 'cbar'], ['width', W], ['height', H], ['viewBox', '0 0 ' + W + ' ' + H]]) s.setAttribute(k, a);
    const span = hi - lo || 1;
    const x = (t) => ((t - lo) / span) * W;
    if (Number.isFinite(v)) {
      const r = document.createElementNS(SVGNS, 'rect');
      const a = x(Math.min(0, v)), b = x(Math.max(0, v));
      for (const [k, c] of [['class', v < 0 ? 'neg' : 'pos'], ['x', a], ['y', 2], ['width', Math.max(1, b - a)], ['height', H - 4]]) r.setAttribute(k, c);
      s.append(r);
    }
    const z = document.createElementNS(SVGNS, 'line');
    for (const [k, c] of [['class', 'zero'], ['x1', x(0)], ['x2', x(0)], ['y1', 0], ['y2', H]]) z.setAttribute(k, c);
    s.append(z);
    return s;
  }

  function renderContributions() {
    const rows = (Array.isArray(D.contributions) ? D.contributions : []).filter((r) => r && typeof r === 'object');
    if (!rows.length) return;
    const vals = rows.map((r) => num(r.return_pct)).filter(Number.isFinite);
    const lo = Math.min(0, ...vals), hi = Math.max(0, ...vals);
    const total = vals.reduce((a, b) => a + b, 0);
    const cols = [
      { key: 'ticker', label: 'Ticker', txt: true, get: (r) => r.ticker, first: 1 },
      { key: 'bar', label: 'Contribution', txt: true, get: (r) => num(r.return_pct), cell: (r) => contributionBar(num(r.return_pct), lo, hi), cls: () => 'bar-cell' },
      { key: 'return_pct', label: 'Return [%]', get: (r) => num(r.return_pct), cell: (r) => fmtS(r.return_pct, 2), cls: (r) => cls(r.return_pct) },
      { key: 'pnl', label: 'P&L [$]', get: (r) => num(r.pnl), cell: (r) => fmtS(r.pnl, 2), cls: (r) => cls(r.pnl) },
      { key: 'position', label: 'Final Units', get: (r) => num(r.position), cell: (r) => trim(r.position, 6) },
      { key: 'last_close', label: 'Last Close', get: (r) => num(r.last_close), cell: (r) => fmt(r.last_close, 2) },
    ];
    const table = sortableTable({ columns: cols, rows, panel: 'contributions', sort: { key: 'return_pct', dir: -1 } });
    const caption = h('p', { class: 'caption', text:
      'A ticker\'s P&L is the sum over its fills of the cash they moved (−size × price − commission: sells add, buys take) ' +
      'plus its final units at its last close in the window; its contribution is that P&L as a share of the initial cash (' +
      fmt(D.cash, 2) + '). The contributions add up to the portfolio\'s return (' + fmtS(total, 2) + '%).' });
    section('Contribution to the return', rows.length + ' tickers').append(card(null, null, caption, h('div', { class: 'table-wrap' }, table)));
  }

  // ---------- coverage ----------
  function renderCoverage() {
    const rows = (Array.isArray(D.coverage) ? D.coverage : []).filter((r) => r && typeof r === 'object');
    if (!rows.length) return;
    const T = D.time.map(num).filter(Number.isFinite);
    const list = h('ul', { class: 'coverage', data: { panel: 'coverage', points: String(rows.length) } });
    for (const r of rows) {
      const parts = [];
      if (r.first == null) parts.push('has no bars in the window');
      else {
        if (r.starts_late) parts.push('starts ' + day(num(r.first)));
        if (r.ends_early) parts.push('ends ' + day(num(r.last)));
      }
      list.append(h('li', null, h('b', { text: String(r.ticker) }), ' ' + parts.join(', ')));
    }
    const note = T.length ? 'the window is ' + day(T[0]) + ' – ' + day(T[T.length - 1]) : null;
    const caption = h('p', { class: 'caption', text: 'Not tradable on the bars it lacks; a holding is valued at its last close.' });
    section('Tickers that start late or end early', note).append(card(null, null, caption, list));
  }

  // ---------- orders and statistics ----------
  function renderOrders() {
    const rows = (Array.isArray(D.orders) ? D.orders : []).filter((r) => r && typeof r === 'object');
    if (!rows.length) return;
    const cols = [
      { key: 'time', label: 'Date', txt: true, get: (r) => num(r.time), cell: (r) => day(num(r.time)), first: 1 },
      { key: 'ticker', label: 'Ticker', txt: true, get: (r) => r.ticker, first: 1 },
      { key: 'size', label: 'Size', get: (r) => num(r.size), cell: (r) => (num(r.size) > 0 ? '+' : '') + trim(r.size, 6), cls: (r) => cls(r.size) },
      { key: 'price', label: 'Price', get: (r) => num(r.price), cell: (r) => fmt(r.price, sigDecimals(num(r.price))) },
      { key: 'commission', label: 'Commission', get: (r) => num(r.commission), cell: (r) => fmt(r.commission, 2) },
      { key: 'partial', label: 'Partial', txt: true, get: (r) => (r.partial ? 1 : 0), cell: (r) => (r.partial ? 'partial' : '') },
    ];
    const partial = rows.filter((r) => r.partial).length;
    const note = rows.length + (rows.length === 1 ? ' fill' : ' fills') + (partial ? ', ' + partial + ' partial (cut to the cash left)' : '');
    section('Orders', note).append(card(null, null, h('div', { class: 'table-wrap' }, sortableTable({ columns: cols, rows, panel: 'orders' }))));
  }

  function renderStats() {
    const S = D.stats && typeof D.stats === 'object' ? D.stats : null;
    if (!S) return;
    section('Statistics', 'backtesting.py\'s equity-based statistics').append(card(null, null, statsTable(S, 'stats', 2)));
  }

  // ---------- page ----------
  function main() {
    D = loadData();
    phase('parse');
    if (!D || typeof D !== 'object') {
      $('sections').append(h('div', { class: 'message', text: 'This is the portfolio report template: it holds no data.' }));
      $('kpis').hidden = true;
      return;
    }
    setTitle(D, 'Portfolio report');
    useDefinitions(D.definitions);
    if (!Array.isArray(D.time)) D.time = [];
    if (!Array.isArray(D.equity)) D.equity = [];
    const S = D.stats && typeof D.stats === 'object' ? D.stats : null;
    const n = Array.isArray(D.tickers) ? D.tickers.length : 0;
    const orders = Array.isArray(D.orders) ? D.orders.length : 0;
    $('kpis').replaceChildren(...kpiCards(S, [['Tickers', String(n)], ['Orders', String(orders)]]));
    phase('kpis');
    renderEquity();
    renderWeights();
    phase('charts');
    renderContributions();
    renderCoverage();
    renderOrders();
    renderStats();
    phase('tables');
    if (!$('sections').childElementCount) $('sections').append(h('div', { class: 'message', text: 'The portfolio has no bars.' }));

    let lastW = $('sections').clientWidth;
    let pendingLayout = false;
    new ResizeObserver(() => {
      const w = $('sections').clientWidth;
      if (w === lastW || pendingLayout) return;
      lastW = w;
      pendingLayout = true;
      requestAnimationFrame(() => {
        pendingLayout = false;
        for (const m of charts) m.layout();
      });
    }).observe($('sections'));
    onSchemeChange(() => { for (const m of charts) m.retheme(); });
  }

  run(main);
})();
