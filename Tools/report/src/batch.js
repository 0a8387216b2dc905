/* Batch report: draws the JSON in <script id="report-data"> (see Tools/report/README.md): one
 * sortable row per ticker with its statistics and an equity sparkline (SVG), failed rows with
 * their error, and a link to each ticker's own report -- a plain link, or (report_fetch) a
 * button that fetches the report with the API key and opens it as a blob: URL.
 */
(function () {
  'use strict';

  //#include lib/helpers.js
  //#include lib/stats.js
  //#include lib/page.js
  //#include lib/api.js

  const DEFAULT_COLUMNS = ['return_pct', 'sharpe_ratio', 'max_drawdown_pct', 'win_rate_pct', 'trades', 'sqn'];
  const SVGNS = 'http://www.w3.org/2000/svg';
  const SPARK_W = 128, SPARK_H = 28;

  // the finite values of an equity curve, with their positions
  function curve(eq) {
    const pts = [];
    if (!Array.isArray(eq)) return { pts, n: 0 };
    for (let i = 0; i < eq.length; i++) {
      const v = num(eq[i]);
      if (Number.isFinite(v)) pts.push([i, v]);
    }
    return { pts, n: eq.length };
  }
  function change(row) {
    const { pts } = curve(row.equity);
    if (pts.length < 1 || !pts[0][1]) return null;
    return (pts[pts.length - 1][1] / pts[0][1] - 1) * 100;
  }
  function sparkline(eq) {
    const { pts, n } = curve(eq);
    if (!pts.length) return null;
    let lo = Infinity, hi = -Infinity;
    for (const [, v] of pts) { if (v < lo) lo = v; if (v > hi) hi = v; }
    const pad = 2;
    const x = (i) => pad + (n > 1 ? (i / (n - 1)) * (SPARK_W - 2 * pad) : (SPARK_W - 2 * pad) / 2);
    const y = (v) => pad + (hi > lo ? (1 - (v - lo) / (hi - lo)) * (SPARK_H - 2 * pad) : (SPARK_H - 2 * pad) / 2);
    const up = pts[pts.length - 1][1] >= pts[0][1];
    const s = document.createElementNS(SVGNS, 'svg');
    const attrs = { class: 'spark', width: SPARK_W, height: SPARK_H, viewBox: '0 0 ' + SPARK_W + ' ' + SPARK_H, role: 'img',
      'aria-label': 'equity ' + (up ? 'up' : 'down') + ' ' + fmt(pts[0][1], 0) + ' → ' + fmt(pts[pts.length - 1][1], 0) };
    for (const k in attrs) s.setAttribute(k, attrs[k]);
    s.dataset.panel = 'sparkline';
    s.dataset.points = String(pts.length);
    const base = document.createElementNS(SVGNS, 'line');
    for (const [k, v] of [['class', 'base'], ['x1', pad], ['x2', SPARK_W - pad], ['y1', y(pts[0][1])], ['y2', y(pts[0][1])]]) base.setAttribute(k, v);
    s.append(base);
    if (pts.length === 1) {
      const c = document.createElementNS(SVGNS, 'circle');
      for (const [k, v] of [['class', up ? 'up' : 'down'], ['cx', x(pts[0][0])], ['cy', y(pts[0][1])], ['r', 2]]) c.setAttribute(k, v);
      s.append(c);
    } else {
      const line = document.createElementNS(SVGNS, 'polyline');
      line.setAttribute('class', up ? 'up' : 'down');
      line.setAttribute('points', pts.map(([i, v]) => x(i).toFixed(1) + ',' + y(v).toFixed(1)).join(' '));
      s.append(line);
    }
    const title = document.createElementNS(SVGNS, 'title');
    title.textContent = 'Equity ' + fmt(pts[0][1], 2) + ' → ' + fmt(pts[pts.length - 1][1], 2) + ' (' + pts.length + ' points)';
    s.append(title);
    return s;
  }

  // a link target the page may open: relative, http(s) or file URLs only
  const safeUrl = (u) => typeof u === 'string' && u !== '' && (/^(https?|file):/i.test(u) || !/^[a-z][a-z0-9+.-]*:/i.test(u));

  function reportCell(row, fetchIt) {
    if (!safeUrl(row.report)) return '—';
    if (fetchIt) {
      const b = h('button', { type: 'button', class: 'link report-link', text: 'open', title: 'Open ' + row.ticker + "'s report (fetched with the API key)", data: { reportUrl: row.report } });
      b.addEventListener('click', () => openReport(row.report, b));
      return h('span', null, b);
    }
    return h('a', { href: row.report, text: 'report', title: 'Open ' + row.ticker + "'s report" });
  }

  function median(xs) {
    if (!xs.length) return NaN;
    const s = xs.slice().sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  }

  function main() {
    const D = loadData();
    phase('parse');
    if (!D || typeof D !== 'object') {
      $('sections').append(h('div', { class: 'message', text: 'This is the batch report template: it holds no data.' }));
      $('kpis').hidden = true;
      return;
    }
    setTitle(D, 'Batch report');
    useDefinitions(D.definitions);
    const rows = (Array.isArray(D.rows) ? D.rows : []).filter((r) => r && typeof r === 'object');
    const columns = Array.isArray(D.columns) && D.columns.length ? D.columns.map(String) : DEFAULT_COLUMNS;
    const fetchIt = D.report_fetch === true;
    const ok = rows.filter((r) => r.stats && !r.error);
    const failedRows = rows.length - ok.length;

    // KPIs
    const rets = ok.map((r) => num(r.stats.return_pct)).filter(Number.isFinite);
    const byRet = ok.filter((r) => Number.isFinite(num(r.stats.return_pct))).sort((a, b) => num(b.stats.return_pct) - num(a.stats.return_pct));
    const mean = rets.length ? rets.reduce((a, b) => a + b, 0) / rets.length : NaN;
    const kp = [['Tickers', String(rows.length)], ['Succeeded', String(ok.length)], ['Failed', String(failedRows), failedRows ? 'neg' : '']];
    if (rets.length) {
      kp.push(['Mean Return', fmtS(mean, 2) + '%', cls(mean)]);
      const med = median(rets);
      kp.push(['Median Return', fmtS(med, 2) + '%', cls(med)]);
      const b = byRet[0], w = byRet[byRet.length - 1];
      kp.push(['Best', b.ticker + ' ' + fmtS(b.stats.return_pct, 1) + '%', cls(b.stats.return_pct)]);
      if (byRet.length > 1) kp.push(['Worst', w.ticker + ' ' + fmtS(w.stats.return_pct, 1) + '%', cls(w.stats.return_pct)]);
    }
    $('kpis').replaceChildren(...kpiCards(null, kp));
    phase('kpis');

    // A ticker whose data covers less than asked gets a badge; its title says what it covers.
    const tickerCell = (r) => tickerWithCoverage(r.ticker, r.coverage_note);
    const cols = [
      { key: 'ticker', label: 'Ticker', txt: true, get: (r) => r.ticker, cell: tickerCell, first: 1, cls: () => 'tk' },
      { key: 'equity', label: 'Equity', txt: true, title: 'Sort by the equity curve\'s change', get: change, cell: (r) => sparkline(r.equity) || '—', cls: () => 'spark-cell' },
    ].concat(columns.map((k) => statColumn(k, (r) => r.stats)))
      .concat([{ key: 'report', label: 'Report', txt: true, get: (r) => (safeUrl(r.report) ? 0 : null), cell: (r) => reportCell(r, fetchIt), first: 1 }]);
    const table = sortableTable({
      columns: cols, rows, panel: 'batch-table',
      renderRow: (r) => {
        if (r.stats && !r.error) return null;
        return h('tr', { class: 'failed' },
          h('td', { class: 'txt tk', text: String(r.ticker == null ? '—' : r.ticker) }),
          h('td', { class: 'err', colSpan: columns.length + 1, text: r.error ? String(r.error) : 'no statistics' }),
          h('td', { class: 'txt' }, reportCell(r, fetchIt)));
      },
    });
    const title = h('h2', null, 'Tickers', h('span', { class: 'count', text: ok.length + ' of ' + rows.length + ' ran' + (failedRows ? ', ' + failedRows + ' failed' : '') }));
    const cardEl = h('div', { class: 'card' }, title, h('div', { class: 'table-wrap' }, table));
    $('sections').append(h('section', { class: 'section' }, cardEl));
    if (!rows.length) cardEl.append(h('div', { class: 'message', text: 'No tickers.' }));
    phase('table');
  }

  run(main);
})();
