  // ---------- shared by optimize.html, batch.html and dashboard.html (lib/page.js) ----------
  // Needs lib/helpers.js and lib/stats.js before it. window.__report tells a browser test
  // when the page is ready and what went wrong (as in report.html).
  const T0 = performance.now();
  const R = (window.__report = {
    ready: false, error: null, violations: [],
    startMs: T0, phases: {}, scriptMs: null, readyMs: null,
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
  let readySignalled = false;
  // ready after the next painted frame (once)
  function signalReady() {
    if (readySignalled) return;
    readySignalled = true;
    R.scriptMs = performance.now() - T0;
    requestAnimationFrame(() => requestAnimationFrame(() => {
      R.readyMs = performance.now();
      R.ready = true;
      document.documentElement.dataset.ready = R.error ? 'error' : 'true';
    }));
  }
  function failed(e, where) {
    R.error = String((e && e.stack) || e);
    console.error(e);
    try {
      const box = where || $('main');
      if (box) box.prepend(h('div', { class: 'message error', text: 'The page could not be drawn: ' + e }));
    } catch (_) { /* nothing more to do */ }
  }
  function run(main) {
    try {
      main();
    } catch (e) {
      failed(e);
    }
    signalReady();
  }

  // the data block; null for a bare template (placeholder not replaced) or broken data
  function loadData() {
    const el = $('report-data');
    if (!el) return null;
    try {
      return JSON.parse(el.textContent);
    } catch (e) {
      return null;
    }
  }
  function setTitle(D, fallback) {
    const t = typeof D.title === 'string' && D.title ? D.title : fallback;
    $('title').textContent = t;
    document.title = t;
    if (typeof D.subtitle === 'string') $('subtitle').textContent = D.subtitle;
  }

  // ---------- theme ----------
  const cssVar = (name) => getComputedStyle(document.documentElement).getPropertyValue('--' + name).trim();
  function onSchemeChange(fn) {
    const mq = window.matchMedia('(prefers-color-scheme: dark)');
    if (mq.addEventListener) mq.addEventListener('change', fn);
  }
  // any CSS colour as [r, g, b, a] (0-255), through a 1x1 canvas
  let colorCtx = null;
  function rgba(color) {
    if (!colorCtx) {
      const c = document.createElement('canvas');
      c.width = c.height = 1;
      colorCtx = c.getContext('2d', { willReadFrequently: true });
    }
    colorCtx.clearRect(0, 0, 1, 1);
    colorCtx.fillStyle = '#000';
    colorCtx.fillStyle = color;
    colorCtx.fillRect(0, 0, 1, 1);
    return Array.from(colorCtx.getImageData(0, 0, 1, 1).data);
  }
  const FONT = () => cssVar('font') || 'sans-serif';

  // ---------- statistics (labels and order of report.html) ----------
  const STAT = new Map(STATS.map((s) => [s[0], s]));
  const statLabel = (key) => (STAT.has(key) ? STAT.get(key)[1] : key);
  const statKind = (key) => (STAT.has(key) ? STAT.get(key)[2] : 'ratio');
  const statValue = (key, v) => statText(v, statKind(key));
  const finite = (v) => Number.isFinite(num(v));
  // a value of unknown scale: about four significant digits
  const fmtAuto = (v) => {
    const x = num(v);
    return fmt(x, x === 0 || !Number.isFinite(x) ? 2 : Math.max(0, Math.min(6, 3 - Math.floor(Math.log10(Math.abs(x))))));
  };

  // The statistics table of report.html: known keys in its order (a gap before each group),
  // then unknown scalar keys. data-points = rows. With columns > 1 the rows are split at group
  // boundaries into that many tables side by side (in one element with data-panel).
  function statsTable(S, panel, columns) {
    const rows = [];
    const known = new Set();
    let few = false;
    const gapBefore = new Set(['exposure_time_pct', 'return_pct', 'sharpe_ratio', 'max_drawdown_pct', 'trades']);
    for (const [key, label, kind] of STATS) {
      known.add(key);
      if (!(key in S)) continue;
      const v = S[key];
      if (statFew(key)) few = true;
      rows.push({ group: gapBefore.has(key), tr: h('tr', null,
        statLabelCell(key, label),
        h('td', { class: 'v', text: statText(v, kind), title: v == null ? 'NaN' : String(v), data: { key } })) });
    }
    for (const key in S) {
      if (known.has(key) || (S[key] !== null && typeof S[key] === 'object')) continue;
      rows.push({ group: false, tr: h('tr', null, h('td', { class: 'l', text: key }), h('td', { class: 'v', text: statText(S[key], 'ratio'), data: { key } })) });
    }
    const parts = [];
    let cur = [];
    const per = Math.ceil(rows.length / Math.max(1, columns || 1));
    for (const r of rows) {
      // a new table at the first group start past its share of the rows
      if (r.group && parts.length < (columns || 1) - 1 && cur.length >= per * 0.8) { parts.push(cur); cur = []; }
      if (r.group && cur.length) r.tr.className = 'gap';
      cur.push(r);
    }
    parts.push(cur);
    const data = panel ? { panel, points: String(rows.length) } : null;
    const tables = parts.map((p) => h('table', { class: 'stats' }, h('tbody', null, ...p.map((r) => r.tr))));
    if (few) tables[tables.length - 1].prepend(fewCaption());
    if (tables.length === 1) {
      if (data) for (const k in data) tables[0].dataset[k] = data[k];
      return tables[0];
    }
    return h('div', { class: 'stats-split', data }, ...tables);
  }
  // the KPI cards of report.html, with `extra` cards first ([label, text, class])
  function kpiCards(S, extra) {
    const cards = [
      ['Return', 'return_pct', (v) => fmtS(v, 2) + '%', true], ['Buy & Hold', 'buy_hold_return_pct', (v) => fmtS(v, 2) + '%', true],
      ['CAGR', 'cagr_pct', (v) => fmtS(v, 2) + '%', true], ['Sharpe Ratio', 'sharpe_ratio', (v) => fmt(v, 2)],
      ['Max. Drawdown', 'max_drawdown_pct', (v) => fmt(v, 2) + '%', true], ['Win Rate', 'win_rate_pct', (v) => fmt(v, 1) + '%'],
      ['# Trades', 'trades', (v) => fmt(v, 0)], ['Profit Factor', 'profit_factor', (v) => fmt(v, 2)],
      ['Equity Final', 'equity_final', (v) => fmt(v, 0)],
    ];
    const kpi = (label, text, c, key) => h('div', { class: 'kpi' },
      h('div', { class: 'k', text: label, title: (key && statTitle(key)) || label }), h('div', { class: 'v ' + (c || ''), text }));
    return (extra || []).map((e) => kpi(...e)).concat(cards.filter((c) => S && c[1] in S).map(([label, key, f, colored]) =>
      kpi(label, S[key] == null ? '—' : f(S[key]), colored ? cls(S[key]) : '', key)));
  }

  // ---------- parameters ----------
  function paramText(v) {
    if (v == null) return '—';
    if (typeof v === 'boolean') return String(v);
    if (typeof v === 'number' || /^-?Infinity$/.test(v)) return Number.isInteger(v) ? String(v) : trim(v, 6);
    return String(v);
  }
  // [name, value] pairs, the names in `order` first (the grid's order), then the others
  function paramEntries(p, order) {
    if (!p || typeof p !== 'object') return [];
    const keys = Object.keys(p);
    const first = (order || []).filter((k) => keys.includes(k));
    return first.concat(keys.filter((k) => !first.includes(k))).map((k) => [k, p[k]]);
  }
  const paramsText = (p, order) => paramEntries(p, order).map(([k, v]) => k + '=' + paramText(v)).join(', ');
  function chips(p, order) {
    return h('div', { class: 'chips' }, ...paramEntries(p, order).map(([k, v]) => h('span', { class: 'chip' }, h('b', { text: k }), paramText(v))));
  }
  const paramSortKey = (v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v);

  // ---------- a sortable table ----------
  // Sort keys: numbers (and "Infinity" strings) numerically, other strings by text; null and
  // NaN last in either direction; ties keep the data's order.
  function sortKey(v) {
    if (v == null) return null;
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (typeof v === 'number') return Number.isNaN(v) ? null : v;
    if (v === 'Infinity' || v === '-Infinity') return num(v);
    return String(v).toLowerCase();
  }
  function compareKeys(a, b, dir) {
    if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
    const na = typeof a === 'number', nb = typeof b === 'number';
    if (na && nb) return a === b ? 0 : (a < b ? -1 : 1) * dir;
    if (na !== nb) return na ? -1 : 1;
    return a.localeCompare(b) * dir;
  }
  // columns: {key, label, get(row) -> sort value, cell(row) -> text or Node, cls(row), txt (left-aligned),
  // first (1 ascending or -1 descending on the first click; default -1 for numbers, 1 for text),
  // title, few (a dagger after the label and the few-trades note as the table's caption)}. opts: {columns, rows, panel, sort: {key, dir}, rowAttrs(row) -> props, renderRow(row,
  // columns) -> <tr> or null (a row drawn its own way), sortable (default true)}.
  function sortableTable(opts) {
    const { columns, rows } = opts;
    const sortable = opts.sortable !== false;
    const table = h('table', {
      class: 'data' + (sortable ? ' sortable' : ''),
      data: opts.panel ? { panel: opts.panel, points: String(rows.length) } : null,
    });
    let state = opts.sort || null;
    const keys = new Map();
    // a column marked few (a statistic that means little on few trades) adds the note
    const caption = columns.some((c) => c.few) ? fewCaption() : null;
    function render() {
      const col = state && columns.find((c) => c.key === state.key);
      const order = rows.map((r, i) => i);
      if (col) {
        if (!keys.has(col.key)) keys.set(col.key, rows.map((r) => sortKey(col.get(r))));
        const k = keys.get(col.key);
        order.sort((a, b) => compareKeys(k[a], k[b], state.dir) || a - b);
      }
      const head = h('tr', null, ...columns.map((c) => h('th', {
        class: (c.txt ? 'txt ' : '') + (state && state.key === c.key ? 'sorted' + (state.dir > 0 ? ' asc' : '') : ''),
        title: c.title || (sortable ? 'Sort by ' + c.label : null), data: { key: c.key },
      }, c.label, c.few ? h('span', { class: 'few-mark', text: FEW_MARK }) : null)));
      const body = h('tbody');
      const frag = document.createDocumentFragment();
      for (const i of order) {
        const row = rows[i];
        let tr = opts.renderRow ? opts.renderRow(row, columns) : null;
        if (!tr) {
          tr = h('tr', opts.rowAttrs ? opts.rowAttrs(row) : null);
          for (const c of columns) {
            const v = c.cell ? c.cell(row) : c.get(row);
            const td = h('td', null, v == null ? '—' : v);
            const k = ((c.txt ? 'txt ' : '') + (c.cls ? c.cls(row) || '' : '')).trim();
            if (k) td.className = k;
            tr.append(td);
          }
        }
        frag.append(tr);
      }
      body.append(frag);
      if (caption) table.replaceChildren(caption, h('thead', null, head), body);
      else table.replaceChildren(h('thead', null, head), body);
    }
    if (sortable) {
      table.addEventListener('click', (e) => {
        const th = e.target.closest('th');
        if (!th || !table.contains(th)) return;
        const c = columns.find((x) => x.key === th.dataset.key);
        if (!c || c.nosort) return;
        state = state && state.key === c.key ? { key: c.key, dir: -state.dir } : { key: c.key, dir: c.first || (c.txt ? 1 : -1) };
        render();
      });
    }
    render();
    table._render = render;
    return table;
  }
  // A ticker whose data covers less than asked: its name and a badge whose title is the
  // footnote the Swift side wrote (Coverage.footnote), or the name alone.
  function tickerWithCoverage(name, note) {
    name = String(name == null ? '—' : name);
    if (typeof note !== 'string' || !note) return name;
    return h('span', null, name + ' ', h('span', { class: 'badge short', text: 'short data', title: note + ' (not comparable with full rows)' }));
  }
  // a stat column for sortableTable (rows hold their statistics at row.stats)
  function statColumn(key, getStats) {
    return {
      key: 'stat:' + key, label: statLabel(key), title: statTitle(key), few: statFew(key),
      get: (r) => { const S = getStats(r); return S ? S[key] : null; },
      cell: (r) => { const S = getStats(r); return S && key in S ? statValue(key, S[key]) : '—'; },
      cls: (r) => { const S = getStats(r); return S && /pct$/.test(key) && key !== 'exposure_time_pct' && key !== 'win_rate_pct' ? cls(S[key]) : ''; },
    };
  }

  // ---------- tooltip ----------
  const tip = {
    el: null,
    show(clientX, clientY, kids) {
      if (!this.el) this.el = $('tooltip');
      this.el.replaceChildren(...kids);
      this.el.hidden = false;
      const pad = 14, w = this.el.offsetWidth, hh = this.el.offsetHeight;
      let x = clientX + pad, y = clientY + pad;
      if (x + w > window.innerWidth - 4) x = clientX - pad - w;
      if (y + hh > window.innerHeight - 4) y = Math.max(4, clientY - pad - hh);
      this.el.style.transform = 'translate(' + Math.round(Math.max(4, x)) + 'px,' + Math.round(y) + 'px)';
    },
    hide() {
      if (this.el) this.el.hidden = true;
    },
  };
  // a tooltip body: a heading and key/value rows
  function tipBody(title, pairs) {
    const g = h('div', { class: 'grid' });
    for (const [k, v, c] of pairs) {
      g.append(h('span', { class: 'k', text: k }));
      g.append(h('span', { class: 'v' + (c ? ' ' + c : ''), text: v }));
    }
    return [h('div', { class: 'when', text: title }), g];
  }

  // ---------- dates ----------
  // "2004-08-19T00:00:00" (UTC when no zone) -> Unix seconds, NaN when unreadable
  function isoSeconds(s) {
    if (typeof s !== 'string') return NaN;
    return Date.parse(s.endsWith('Z') || /[+-]\d\d:\d\d$/.test(s) ? s : s + 'Z') / 1000;
  }
  function isoDay(s) {
    if (typeof s !== 'string') return '—';
    const [d, t] = s.split('T');
    return !t || /^00:00(:00)?/.test(t) ? d : d + ' ' + t.slice(0, 5);
  }

  // uPlot axes and colours from the theme
  function uAxis(extra) {
    return Object.assign({
      font: '11px ' + FONT(), stroke: cssVar('axis'), grid: { stroke: cssVar('grid'), width: 1 },
      ticks: { stroke: cssVar('grid'), width: 1, size: 4 },
    }, extra);
  }
  const utcDate = (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC');
