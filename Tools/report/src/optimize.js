/* Optimisation report: draws the JSON in <script id="report-data"> (see Tools/report/README.md).
 *
 * Sections appear only for the data there is: the best combination and its statistics, the
 * top list, a heatmap per pair of parameters (canvas) or the objective along the only one
 * (uPlot), the walk-forward folds (SVG timeline, table) with the stitched out-of-sample equity
 * (uPlot), and the ranking of several tickers. Every drawn element carries data-panel and
 * data-points (what it draws).
 */
(function () {
  'use strict';

  //#include lib/helpers.js
  //#include lib/stats.js
  //#include lib/page.js

  const charts = []; // {layout(), retheme()} of everything drawn to a width or with theme colours
  let D = null;
  let OBJ = { statistic: 'objective', direction: 'maximize' };
  let minimize = false;
  let params = []; // parameter names, in order

  function section(title, note) {
    const s = h('section', { class: 'section' });
    if (title) s.append(h('h2', null, title, note ? h('span', { class: 'note', text: note }) : null));
    $('sections').append(s);
    return s;
  }
  const card = (title, note, ...kids) => h('div', { class: 'card' }, title ? h('h2', null, title, note ? h('span', { class: 'count', text: note }) : null) : null, ...kids);
  const objLabel = () => statLabel(OBJ.statistic);
  const objValue = (v) => statValue(OBJ.statistic, v);
  const nonEmpty = (a) => Array.isArray(a) && a.length > 0;

  function paramNames() {
    if (Array.isArray(D.parameters) && D.parameters.length) return D.parameters.map(String);
    const names = [];
    const add = (p) => { for (const [k] of paramEntries(p)) if (!names.includes(k)) names.push(k); };
    for (const t of D.top || []) add(t.params);
    if (D.best) add(D.best.params);
    for (const f of D.folds || []) add(f.params);
    for (const r of D.ranking || []) add(r.params);
    return names;
  }
  const paramColumns = (getParams) => params.map((p) => ({
    key: 'param:' + p, label: p, title: 'parameter ' + p,
    get: (r) => { const P = getParams(r); return P ? paramSortKey(P[p]) : null; },
    cell: (r) => { const P = getParams(r); return P ? paramText(P[p]) : '—'; },
  }));

  // ---------- KPIs, best, top ----------
  function renderHead() {
    const best = D.best;
    const extra = [];
    const dirText = minimize ? 'minimised' : 'maximised';
    if (best) extra.push([objLabel() + ' (' + dirText + ')', objValue(best.objective)]);
    else if (nonEmpty(D.ranking)) extra.push(['Mean ' + objLabel() + ' (' + dirText + ')', objValue(D.ranking[0].mean_objective)]);
    if (nonEmpty(D.folds)) extra.push(['Folds', String(D.folds.length)]);
    if (nonEmpty(D.folds) && D.walk_forward_efficiency != null) extra.push(['WF efficiency', fmt(D.walk_forward_efficiency, 2)]);
    if (nonEmpty(D.tickers)) extra.push(['Tickers', String(D.tickers.length)]);
    $('kpis').replaceChildren(...kpiCards(best ? best.stats : null, extra));
    if ($('kpis').childElementCount === 0) $('kpis').hidden = true;
  }

  function renderBestAndTop() {
    const best = D.best && typeof D.best === 'object' ? D.best : null;
    const top = nonEmpty(D.top) ? D.top : null;
    if (!best && !top) return;
    const s = section(null);
    const grid = h('div', { class: best && top ? 'grid2' : '' });
    s.append(grid);
    if (best) {
      const wf = nonEmpty(D.folds);
      grid.append(card(wf ? 'Parameters to trade next' : 'Best combination', wf ? 'last fold\'s winner; statistics out of sample' : null,
        h('div', { class: 'best-params' }, chips(best.params, params)),
        h('div', { class: 'best-objective' }, objLabel() + ': ', h('b', { text: objValue(best.objective) })),
        statsTable(best.stats || {}, 'best', top ? 1 : 2)));
    }
    if (top) {
      const statsKeys = Array.isArray(D.statistics) && D.statistics.length ? D.statistics.map(String)
        : Object.keys(top[0].stats || {});
      const cols = [{ key: 'rank', label: '#', get: (r) => r._rank, cell: (r) => String(r._rank), first: 1 }]
        .concat(paramColumns((r) => r.params))
        .concat(statsKeys.map((k) => {
          const c = statColumn(k, (r) => r.stats);
          if (k === OBJ.statistic) c.cls = () => 'objective-col';
          c.first = k === OBJ.statistic && minimize ? 1 : -1;
          return c;
        }));
      const rows = top.map((t, i) => Object.assign({ _rank: i + 1 }, t));
      const table = sortableTable({
        columns: cols, rows, panel: 'top', sort: { key: 'rank', dir: 1 },
        rowAttrs: (r) => ({ class: r._rank === 1 ? 'best' : null }),
      });
      grid.append(card('Top ' + top.length, 'by ' + objLabel() + (minimize ? ', lowest first' : ', highest first') + ' · click a header to sort',
        h('div', { class: 'table-wrap' }, table)));
    }
  }

  // ---------- colour scales ----------
  // sequential (viridis) unless the values straddle zero (diverging around it); the better end
  // is bright yellow / green: for "minimize" the lower values.
  function makeScale(min, max) {
    const diverging = min < 0 && max > 0;
    const stops = diverging ? [cssVar('div-bad'), cssVar('div-mid'), cssVar('div-good')]
      : [0, 1, 2, 3, 4].map((i) => cssVar('seq' + i));
    const rgb = stops.map(rgba);
    const N = 256;
    const lut = new Uint8ClampedArray(N * 3);
    for (let k = 0; k < N; k++) {
      const t = (k / (N - 1)) * (rgb.length - 1);
      const a = Math.min(rgb.length - 2, Math.floor(t)), f = t - a;
      for (let c = 0; c < 3; c++) lut[k * 3 + c] = Math.round(rgb[a][c] + (rgb[a + 1][c] - rgb[a][c]) * f);
    }
    const amax = Math.max(Math.abs(min), Math.abs(max)) || 1;
    // position 0..1 along the LUT: 1 is best
    const pos = (v) => {
      let t;
      if (diverging) t = 0.5 + 0.5 * Math.max(-1, Math.min(1, v / amax));
      else t = max > min ? (v - min) / (max - min) : 0.5;
      t = Math.max(0, Math.min(1, Number.isNaN(t) ? 0.5 : t));
      return minimize ? 1 - t : t;
    };
    const index = (v) => Math.round(pos(v) * (N - 1));
    return { lut, index, diverging, min, max, N };
  }

  // ---------- heatmaps ----------
  function Heatmap(hm) {
    const xs = Array.isArray(hm.xs) ? hm.xs : [], ys = Array.isArray(hm.ys) ? hm.ys : [];
    const nx = xs.length, ny = ys.length;
    const vals = new Float64Array(nx * ny).fill(NaN); // vals[j * nx + i], j = y index
    let points = 0, min = Infinity, max = -Infinity;
    for (let j = 0; j < ny; j++) {
      const row = Array.isArray(hm.z) ? hm.z[j] : null;
      for (let i = 0; i < nx; i++) {
        const raw = row ? row[i] : null;
        if (raw == null) continue;
        const v = num(raw);
        if (Number.isNaN(v)) continue;
        vals[j * nx + i] = v;
        points++;
        if (Number.isFinite(v)) { if (v < min) min = v; if (v > max) max = v; }
      }
    }
    if (min === Infinity) { min = 0; max = 1; }
    const best = Array.isArray(hm.best) && hm.best.length === 2 ? { i: +hm.best[0], j: +hm.best[1] } : null;
    const xName = String(hm.x), yName = String(hm.y);

    const wrap = h('div', { class: 'heat', data: { panel: 'heatmap', points: String(points), x: xName, y: yName } });
    const cv = h('canvas');
    cv.setAttribute('role', 'img');
    cv.setAttribute('aria-label', objLabel() + ' by ' + xName + ' and ' + yName);
    wrap.append(cv);
    const barCv = h('canvas', { width: 180, height: 10 });
    const loText = h('span', { class: 'v' }), hiText = h('span', { class: 'v' }), zeroText = h('span', { class: 'v' });
    const legend = h('div', { class: 'colorbar' }, loText, barCv, hiText, zeroText,
      h('span', { text: (minimize ? 'lower is better' : 'higher is better') + ' · ring: best · blank: no value' }));
    const c = card(objLabel() + ' by ' + xName + ' × ' + yName, nx + ' × ' + ny + ' cells, best over the other parameters', wrap, legend);
    c.classList.add('heat-card');

    let scale = null, img = null, geo = null, hover = null;
    function paintImage() {
      scale = makeScale(min, max);
      const off = document.createElement('canvas');
      off.width = Math.max(1, nx);
      off.height = Math.max(1, ny);
      const octx = off.getContext('2d');
      const id = octx.createImageData(off.width, off.height);
      const d = id.data;
      for (let j = 0; j < ny; j++) {
        const row = ny - 1 - j; // the first y value at the bottom
        for (let i = 0; i < nx; i++) {
          const v = vals[j * nx + i];
          if (Number.isNaN(v)) continue;
          const k = scale.index(v) * 3, p = (row * nx + i) * 4;
          d[p] = scale.lut[k];
          d[p + 1] = scale.lut[k + 1];
          d[p + 2] = scale.lut[k + 2];
          d[p + 3] = 255;
        }
      }
      octx.putImageData(id, 0, 0);
      img = off;
      // the colour bar: lowest value left, highest right
      const bctx = barCv.getContext('2d');
      const bd = bctx.createImageData(barCv.width, barCv.height);
      for (let x = 0; x < barCv.width; x++) {
        const v = min + ((max - min) * x) / (barCv.width - 1);
        const k = scale.index(v) * 3;
        for (let y = 0; y < barCv.height; y++) {
          const p = (y * barCv.width + x) * 4;
          bd.data[p] = scale.lut[k];
          bd.data[p + 1] = scale.lut[k + 1];
          bd.data[p + 2] = scale.lut[k + 2];
          bd.data[p + 3] = 255;
        }
      }
      bctx.putImageData(bd, 0, 0);
      loText.textContent = fmtAuto(min);
      hiText.textContent = fmtAuto(max);
      zeroText.textContent = scale.diverging ? '(neutral at 0)' : '';
    }
    const labelOf = (v) => paramText(v);
    function layout() {
      const width = Math.max(200, wrap.clientWidth);
      const pr = devicePixelRatio || 1;
      const ctx = cv.getContext('2d');
      const font = '11px ' + FONT();
      ctx.font = font;
      let yLabW = 0;
      for (const v of ys) yLabW = Math.max(yLabW, ctx.measureText(labelOf(v)).width);
      let xLabW = 0;
      for (const v of xs) xLabW = Math.max(xLabW, ctx.measureText(labelOf(v)).width);
      const left = 18 + Math.ceil(yLabW) + 8, right = 10, top = 8, bottom = 40;
      let cw = (width - left - right) / Math.max(1, nx);
      cw = Math.min(cw, 56);
      const ch = Math.max(3, Math.min(30, Math.round(Math.min(440 / Math.max(1, ny), Math.max(cw, 12)))));
      const plotW = cw * nx, plotH = ch * ny;
      const cssW = Math.ceil(left + plotW + right), cssH = Math.ceil(top + plotH + bottom);
      cv.style.width = cssW + 'px';
      cv.style.height = cssH + 'px';
      cv.width = Math.round(cssW * pr);
      cv.height = Math.round(cssH * pr);
      geo = { left, top, cw, ch, plotW, plotH, pr, font, xStride: Math.max(1, Math.ceil((xLabW + 8) / cw)), yStride: Math.max(1, Math.ceil(13 / ch)), cssW, cssH };
      draw();
    }
    const cellX = (i) => geo.left + i * geo.cw;
    const cellY = (j) => geo.top + (ny - 1 - j) * geo.ch;
    function draw() {
      if (!geo || !img) return;
      const ctx = cv.getContext('2d');
      const { left, top, cw, ch, plotW, plotH, pr } = geo;
      ctx.setTransform(pr, 0, 0, pr, 0, 0);
      ctx.clearRect(0, 0, geo.cssW, geo.cssH);
      ctx.fillStyle = cssVar('empty-cell');
      ctx.fillRect(left, top, plotW, plotH);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(img, left, top, plotW, plotH);
      if (cw >= 10 && ch >= 10) {
        // thin gaps between cells
        ctx.strokeStyle = cssVar('card');
        ctx.lineWidth = 1;
        ctx.beginPath();
        for (let i = 1; i < nx; i++) { ctx.moveTo(Math.round(cellX(i)) + 0.5, top); ctx.lineTo(Math.round(cellX(i)) + 0.5, top + plotH); }
        for (let j = 1; j < ny; j++) { ctx.moveTo(left, Math.round(top + j * ch) + 0.5); ctx.lineTo(left + plotW, Math.round(top + j * ch) + 0.5); }
        ctx.stroke();
      }
      // labels
      ctx.font = geo.font;
      ctx.fillStyle = cssVar('axis');
      ctx.textAlign = 'center';
      ctx.textBaseline = 'top';
      for (let i = 0; i < nx; i += geo.xStride) ctx.fillText(labelOf(xs[i]), cellX(i) + cw / 2, top + plotH + 4);
      ctx.textAlign = 'right';
      ctx.textBaseline = 'middle';
      for (let j = 0; j < ny; j += geo.yStride) ctx.fillText(labelOf(ys[j]), left - 6, cellY(j) + ch / 2);
      ctx.font = '600 11px ' + FONT();
      ctx.fillStyle = cssVar('text2');
      ctx.textAlign = 'center';
      ctx.textBaseline = 'bottom';
      ctx.fillText(xName, left + plotW / 2, top + plotH + 36);
      ctx.save();
      ctx.translate(10, top + plotH / 2);
      ctx.rotate(-Math.PI / 2);
      ctx.textBaseline = 'middle';
      ctx.fillText(yName, 0, 0);
      ctx.restore();
      // the best cell: a ring with a halo
      if (best && best.i >= 0 && best.i < nx && best.j >= 0 && best.j < ny) {
        const cx = cellX(best.i) + cw / 2, cy = cellY(best.j) + ch / 2;
        const r = Math.max(5, Math.min(cw, ch) * 0.34);
        ctx.beginPath();
        ctx.arc(cx, cy, r, 0, 2 * Math.PI);
        ctx.lineWidth = 4;
        ctx.strokeStyle = cssVar('ring-halo');
        ctx.stroke();
        ctx.lineWidth = 2;
        ctx.strokeStyle = cssVar('ring');
        ctx.stroke();
      }
      if (hover) {
        ctx.lineWidth = 1.5;
        ctx.strokeStyle = cssVar('text');
        ctx.strokeRect(cellX(hover.i) + 0.75, cellY(hover.j) + 0.75, Math.max(1, cw - 1.5), Math.max(1, ch - 1.5));
      }
    }
    cv.addEventListener('mousemove', (e) => {
      if (!geo) return;
      const r = cv.getBoundingClientRect();
      const i = Math.floor((e.clientX - r.left - geo.left) / geo.cw);
      const j = ny - 1 - Math.floor((e.clientY - r.top - geo.top) / geo.ch);
      if (i < 0 || i >= nx || j < 0 || j >= ny) {
        if (hover) { hover = null; draw(); }
        tip.hide();
        return;
      }
      if (!hover || hover.i !== i || hover.j !== j) { hover = { i, j }; draw(); }
      const v = vals[j * nx + i];
      const isBest = best && best.i === i && best.j === j;
      tip.show(e.clientX, e.clientY, tipBody(isBest ? 'Best combination' : objLabel(), [
        [xName, labelOf(xs[i])], [yName, labelOf(ys[j])],
        [objLabel(), Number.isNaN(v) ? 'no value' : fmtAuto(v)],
      ]));
    });
    cv.addEventListener('mouseleave', () => {
      hover = null;
      draw();
      tip.hide();
    });
    return {
      card: c,
      layout,
      retheme() { paintImage(); layout(); },
      init() { paintImage(); layout(); },
    };
  }

  function renderHeatmaps() {
    if (!nonEmpty(D.heatmaps)) return;
    const s = section('Objective by parameter pair', D.heatmaps.length + (D.heatmaps.length === 1 ? ' heatmap' : ' heatmaps') + ' · hover a cell for its value');
    const grid = h('div', { class: D.heatmaps.length > 1 ? 'cards' : '' });
    s.append(grid);
    const maps = D.heatmaps.map(Heatmap);
    for (const m of maps) grid.append(m.card);
    for (const m of maps) {
      m.init();
      charts.push(m);
    }
  }

  // ---------- objective along one parameter ----------
  function ObjectiveLine(ln) {
    const xs = Array.isArray(ln.xs) ? ln.xs : [];
    const numeric = xs.length > 0 && xs.every((v) => typeof v === 'number' && Number.isFinite(v));
    const X = xs.map((v, i) => (numeric ? v : i));
    const Y = xs.map((_, i) => {
      const v = Array.isArray(ln.ys) ? num(ln.ys[i]) : NaN;
      return Number.isFinite(v) ? v : null;
    });
    const points = Y.filter((v) => v != null).length;
    const bestI = ln.best != null && +ln.best >= 0 && +ln.best < X.length ? +ln.best : null;
    const xName = String(ln.x);
    const wrap = h('div', { class: 'plot', data: { panel: 'objective-line', points: String(points), x: xName } });
    const c = card(objLabel() + ' by ' + xName, xs.length + ' values' + (bestI != null ? ' · ring: best (' + xName + ' = ' + paramText(xs[bestI]) + ')' : ''), wrap);
    let u = null;
    function make() {
      if (u) u.destroy();
      const lo = Math.min(...X), hi = Math.max(...X);
      const pad = hi > lo ? (hi - lo) * 0.03 : 1;
      const accent = cssVar('accent');
      u = new uPlot({
        width: Math.max(300, wrap.clientWidth), height: 280,
        legend: { show: false },
        cursor: { drag: { x: false, y: false }, points: { size: 8, fill: cssVar('card'), stroke: accent, width: 2 } },
        scales: { x: { time: false, range: () => [lo - pad, hi + pad] } },
        axes: [
          uAxis({
            label: xName, labelSize: 18, labelFont: '600 11px ' + FONT(),
            // a tick at each value of the parameter, thinned to ~50 px apart
            splits: (uu) => {
              const stride = Math.max(1, Math.ceil((X.length * 50) / Math.max(1, uu.bbox.width / (devicePixelRatio || 1))));
              return X.filter((_, i) => i % stride === 0);
            },
            values: (uu, splits) => splits.map((v) => paramText(numeric ? v : xs[v])),
          }),
          uAxis({ label: objLabel(), labelSize: 18, labelFont: '600 11px ' + FONT(), size: 60 }),
        ],
        series: [{}, { label: objLabel(), stroke: accent, width: 1.8, points: { show: true, size: 5, fill: accent, stroke: accent } }],
        hooks: {
          draw: [(uu) => {
            if (bestI == null || Y[bestI] == null) return;
            const ctx = uu.ctx, pr = devicePixelRatio || 1;
            const cx = uu.valToPos(X[bestI], 'x', true), cy = uu.valToPos(Y[bestI], 'y', true);
            ctx.beginPath();
            ctx.arc(cx, cy, 7 * pr, 0, 2 * Math.PI);
            ctx.lineWidth = 4 * pr;
            ctx.strokeStyle = cssVar('ring-halo');
            ctx.stroke();
            ctx.lineWidth = 2 * pr;
            ctx.strokeStyle = cssVar('ring');
            ctx.stroke();
          }],
          setCursor: [(uu) => {
            const i = uu.cursor.idx;
            if (i == null || uu.cursor.left < 0) { tip.hide(); return; }
            const r = uu.over.getBoundingClientRect();
            tip.show(r.left + uu.cursor.left, r.top + uu.cursor.top, tipBody(i === bestI ? 'Best value' : objLabel(), [
              [xName, paramText(xs[i])], [objLabel(), Y[i] == null ? 'no value' : fmtAuto(Y[i])],
            ]));
          }],
        },
      }, [X, Y], wrap);
      u.over.addEventListener('mouseleave', () => tip.hide());
    }
    return {
      card: c, layout() { if (u) u.setSize({ width: Math.max(300, wrap.clientWidth), height: 280 }); },
      retheme: make, init: make,
    };
  }

  function renderLines() {
    if (!nonEmpty(D.lines)) return;
    const s = section('Objective by parameter');
    for (const ln of D.lines) {
      const m = ObjectiveLine(ln);
      s.append(m.card);
      m.init();
      charts.push(m);
    }
  }

  // ---------- walk-forward ----------
  const SVGNS = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs, text) {
    const e = document.createElementNS(SVGNS, tag);
    for (const k in attrs) if (attrs[k] != null) e.setAttribute(k, attrs[k]);
    if (text != null) e.textContent = text;
    return e;
  }
  function Timeline(folds) {
    const F = folds.map((f, i) => ({
      no: i + 1, f,
      ts: isoSeconds(f.train && f.train.start), te: isoSeconds(f.train && f.train.end),
      vs: isoSeconds(f.test && f.test.start), ve: isoSeconds(f.test && f.test.end),
    }));
    const drawn = F.filter((x) => Number.isFinite(x.ts) || Number.isFinite(x.vs));
    let t0 = Infinity, t1 = -Infinity;
    for (const x of F) for (const t of [x.ts, x.te, x.vs, x.ve]) if (Number.isFinite(t)) { t0 = Math.min(t0, t); t1 = Math.max(t1, t); }
    if (t1 <= t0) t1 = t0 + 86400;
    const wrap = h('div', { class: 'plot', data: { panel: 'folds', points: String(drawn.length) } });
    const c = card('Folds', folds.length + ' train / test windows',
      wrap, h('div', { class: 'legend-row' }, h('span', null, h('span', { class: 'sw train' }), 'train (in sample)'),
        h('span', null, h('span', { class: 'sw test' }), 'test (out of sample)')));
    function tipFor(x, e) {
      const f = x.f;
      const oos = f.stats ? f.stats[OBJ.statistic] : null;
      tip.show(e.clientX, e.clientY, tipBody('Fold ' + x.no, [
        ['train', isoDay(f.train && f.train.start) + ' → ' + isoDay(f.train && f.train.end) + ' (' + fmt(f.train && f.train.bars, 0) + ' bars)'],
        ['test', isoDay(f.test && f.test.start) + ' → ' + isoDay(f.test && f.test.end) + ' (' + fmt(f.test && f.test.bars, 0) + ' bars)'],
        ['parameters', paramsText(f.params, params) || '—'],
        ['in-sample ' + objLabel(), objValue(f.in_sample_objective)],
        ['out-of-sample ' + objLabel(), objValue(oos)],
        ['efficiency', fmt(f.efficiency, 2)],
      ]));
    }
    function layout() {
      const width = Math.max(300, wrap.clientWidth);
      const left = 58, right = 12, top = 4, rowH = Math.max(14, Math.min(22, Math.round(320 / Math.max(1, F.length)))), axisH = 20;
      const H = top + F.length * rowH + axisH;
      const s = svg('svg', { class: 'timeline', width, height: H, viewBox: '0 0 ' + width + ' ' + H });
      s.setAttribute('role', 'img');
      s.setAttribute('aria-label', 'walk-forward folds');
      const x = (t) => left + ((t - t0) / (t1 - t0)) * (width - left - right);
      // years (or months) on the axis
      const y0 = new Date(t0 * 1000).getUTCFullYear(), y1 = new Date(t1 * 1000).getUTCFullYear();
      const pxYear = (width - left - right) / Math.max(1, (t1 - t0) / (365.25 * 86400));
      const step = [1, 2, 5, 10, 25, 50].find((st) => st * pxYear >= 56) || 100;
      for (let y = Math.ceil(y0 / step) * step; y <= y1; y += step) {
        const t = Date.UTC(y, 0, 1) / 1000;
        if (t < t0 || t > t1) continue;
        s.append(svg('line', { class: 'gridline', x1: x(t), x2: x(t), y1: top, y2: top + F.length * rowH }));
        s.append(svg('text', { class: 'axis', x: x(t), y: H - 5, 'text-anchor': 'middle' }, String(y)));
      }
      for (const fx of F) {
        const yy = top + (fx.no - 1) * rowH;
        s.append(svg('text', { class: 'lbl', x: 0, y: yy + rowH / 2 + 4 }, 'Fold ' + fx.no));
        const bar = (a, b, k) => {
          if (!Number.isFinite(a)) return;
          const xa = x(a), xb = Number.isFinite(b) ? x(b) : xa + 2;
          const r = svg('rect', { class: 'fold ' + k, x: xa, y: yy + 2, width: Math.max(2, xb - xa), height: rowH - 5, rx: 2 });
          r.addEventListener('mousemove', (e) => tipFor(fx, e));
          r.addEventListener('mouseleave', () => tip.hide());
          s.append(r);
        };
        bar(fx.ts, fx.te, 'train');
        bar(fx.vs, fx.ve, 'test');
      }
      wrap.replaceChildren(s);
    }
    return { card: c, layout, retheme: layout, init: layout };
  }

  function Stitched(st, folds) {
    const T = [], E = [];
    let points = 0;
    const n = Math.min((st.time || []).length, (st.equity || []).length);
    for (let i = 0; i < n; i++) {
      const t = num(st.time[i]);
      if (!Number.isFinite(t)) continue;
      const v = num(st.equity[i]);
      T.push(t);
      E.push(Number.isFinite(v) ? v : null);
      if (Number.isFinite(v)) points++;
    }
    const first = E.find((v) => v != null);
    const last = [...E].reverse().find((v) => v != null);
    const bounds = (folds || []).map((f) => isoSeconds(f.test && f.test.start)).filter(Number.isFinite);
    const wrap = h('div', { class: 'plot', data: { panel: 'stitched-equity', points: String(points) } });
    const note = first != null && last != null ? 'from ' + fmt(first, 0) + ' to ' + fmt(last, 0) + ' (' + fmtS((last / first - 1) * 100, 2) + '%) · dashed: fold starts' : null;
    const c = card('Stitched out-of-sample equity', note, wrap);
    let u = null;
    function make() {
      if (u) u.destroy();
      const eqc = cssVar('equity');
      u = new uPlot({
        width: Math.max(300, wrap.clientWidth), height: 260,
        legend: { show: false },
        tzDate: utcDate,
        cursor: { drag: { x: false, y: false }, points: { size: 7, fill: cssVar('card'), stroke: eqc, width: 2 } },
        scales: { x: { time: true } },
        axes: [uAxis({}), uAxis({ size: 62, values: (uu, splits) => splits.map((v) => compact(v)) })],
        series: [{}, { label: 'Equity', stroke: eqc, width: 1.6, fill: cssVar('nav-fill') }],
        hooks: {
          drawAxes: [(uu) => {
            const ctx = uu.ctx, pr = devicePixelRatio || 1;
            ctx.save();
            ctx.strokeStyle = cssVar('level');
            ctx.lineWidth = pr;
            ctx.setLineDash([4 * pr, 4 * pr]);
            ctx.beginPath();
            for (const t of bounds) {
              const px = Math.round(uu.valToPos(t, 'x', true)) + 0.5;
              if (px < uu.bbox.left || px > uu.bbox.left + uu.bbox.width) continue;
              ctx.moveTo(px, uu.bbox.top);
              ctx.lineTo(px, uu.bbox.top + uu.bbox.height);
            }
            ctx.stroke();
            ctx.restore();
          }],
          setCursor: [(uu) => {
            const i = uu.cursor.idx;
            if (i == null || uu.cursor.left < 0) { tip.hide(); return; }
            const r = uu.over.getBoundingClientRect();
            const d = new Date(T[i] * 1000);
            tip.show(r.left + uu.cursor.left, r.top + uu.cursor.top, tipBody(ymd(d), [
              ['equity', E[i] == null ? '—' : fmt(E[i], 2)],
              ['since start', E[i] == null || !first ? '—' : fmtS((E[i] / first - 1) * 100, 2) + '%'],
            ]));
          }],
        },
      }, [T, E], wrap);
      u.over.addEventListener('mouseleave', () => tip.hide());
    }
    return {
      card: c, layout() { if (u) u.setSize({ width: Math.max(300, wrap.clientWidth), height: 260 }); },
      retheme: make, init: make,
    };
  }

  function renderWalkForward() {
    const folds = nonEmpty(D.folds) ? D.folds : null;
    const st = D.stitched && typeof D.stitched === 'object' && Array.isArray(D.stitched.time) && D.stitched.time.length ? D.stitched : null;
    if (!folds && !st) return;
    const s = section('Walk-forward', folds ? folds.length + (folds.length === 1 ? ' fold' : ' folds') : null);
    if (folds) {
      const tl = Timeline(folds);
      s.append(tl.card);
      tl.init();
      charts.push(tl);
    }
    if (st) {
      const se = Stitched(st, folds);
      s.append(h('div', { class: 'section' }, se.card));
      se.init();
      charts.push(se);
    }
    if (folds) {
      const rows = folds.map((f, i) => Object.assign({ _no: i + 1 }, f));
      const win = (w) => (w ? isoDay(w.start) + ' → ' + isoDay(w.end) : '—');
      const cols = [
        { key: 'no', label: 'Fold', get: (r) => r._no, first: 1 },
        { key: 'train', label: 'Train', txt: true, get: (r) => isoSeconds(r.train && r.train.start), cell: (r) => win(r.train), first: 1 },
        { key: 'train_bars', label: 'Bars', get: (r) => (r.train ? r.train.bars : null), cell: (r) => fmt(r.train && r.train.bars, 0) },
        { key: 'test', label: 'Test', txt: true, get: (r) => isoSeconds(r.test && r.test.start), cell: (r) => win(r.test), first: 1 },
        { key: 'test_bars', label: 'Bars', get: (r) => (r.test ? r.test.bars : null), cell: (r) => fmt(r.test && r.test.bars, 0) },
      ].concat(paramColumns((r) => r.params)).concat([
        { key: 'is', label: 'In-sample ' + objLabel(), get: (r) => num(r.in_sample_objective), cell: (r) => objValue(r.in_sample_objective), first: minimize ? 1 : -1 },
        Object.assign(statColumn(OBJ.statistic, (r) => r.stats), { label: 'Out-of-sample ' + objLabel(), cls: () => 'objective-col', first: minimize ? 1 : -1 }),
      ], ['return_pct', 'trades'].filter((k) => k !== OBJ.statistic).map((k) => statColumn(k, (r) => r.stats)), [
        { key: 'is_ann', label: 'IS Ann. [%]', get: (r) => num(r.in_sample_return_ann_pct), cell: (r) => fmt(r.in_sample_return_ann_pct, 2), title: 'the winner\'s annualised return on its training window' },
        Object.assign(statColumn('return_ann_pct', (r) => r.stats), { key: 'oos_ann', label: 'OOS Ann. [%]', title: 'the winner\'s annualised return on its test window' }),
        { key: 'wfe', label: 'Efficiency', get: (r) => num(r.efficiency), cell: (r) => fmt(r.efficiency, 2), title: 'walk-forward efficiency: out-of-sample over in-sample annualised return (— when the in-sample one is not above 0)', first: -1 },
      ]);
      const table = sortableTable({ columns: cols, rows, panel: 'folds-table', sort: { key: 'no', dir: 1 } });
      s.append(h('div', { class: 'section' }, card('Folds in detail', 'statistics of each test window', h('div', { class: 'table-wrap' }, table))));
    }
  }

  // ---------- several tickers ----------
  function renderTickers() {
    const ranking = nonEmpty(D.ranking) ? D.ranking : null;
    const tickers = nonEmpty(D.tickers) ? D.tickers : null;
    if (!ranking && !tickers) return;
    const s = section('Across tickers', tickers ? tickers.length + ' tickers' : null);
    const grid = h('div', { class: ranking && tickers ? 'grid2w' : '' });
    s.append(grid);
    if (ranking) {
      const rows = ranking.map((r, i) => Object.assign({ _rank: i + 1 }, r));
      const cols = [{ key: 'rank', label: '#', get: (r) => r._rank, first: 1 }]
        .concat(paramColumns((r) => r.params))
        .concat([
          { key: 'mean', label: 'Mean ' + objLabel(), title: statTitle(OBJ.statistic), few: statFew(OBJ.statistic), get: (r) => num(r.mean_objective), cell: (r) => objValue(r.mean_objective), cls: () => 'objective-col', first: minimize ? 1 : -1 },
          { key: 'tickers', label: 'Tickers', get: (r) => r.tickers, cell: (r) => fmt(r.tickers, 0), title: 'tickers with a value (runs without trades have none)' },
        ]);
      grid.append(card('Ranking', 'combinations by their mean ' + objLabel() + ' across the tickers',
        h('div', { class: 'table-wrap' }, sortableTable({ columns: cols, rows, panel: 'ranking', sort: { key: 'rank', dir: 1 }, rowAttrs: (r) => ({ class: r._rank === 1 ? 'best' : null }) }))));
    }
    if (tickers) {
      const bestStats = (r) => (r.best && r.best.stats) || null;
      // a ticker whose data covers less than asked: a badge, as on the batch page
      const notes = D.coverage_notes && typeof D.coverage_notes === 'object' ? D.coverage_notes : {};
      const cols = [{ key: 'ticker', label: 'Ticker', txt: true, get: (r) => r.ticker, cell: (r) => tickerWithCoverage(r.ticker, notes[r.ticker]), first: 1 }]
        .concat(paramColumns((r) => r.best && r.best.params))
        .concat([
          { key: 'objective', label: objLabel(), title: statTitle(OBJ.statistic), few: statFew(OBJ.statistic), get: (r) => (r.best ? num(r.best.objective) : null), cell: (r) => (r.best ? objValue(r.best.objective) : '—'), cls: () => 'objective-col', first: minimize ? 1 : -1 },
        ], ['return_pct', 'sharpe_ratio', 'max_drawdown_pct', 'trades'].filter((k) => k !== OBJ.statistic).map((k) => statColumn(k, bestStats)));
      grid.append(card('Best per ticker', null,
        h('div', { class: 'table-wrap' }, sortableTable({ columns: cols, rows: tickers, panel: 'tickers', sort: { key: 'ticker', dir: 1 } }))));
    }
  }

  // ---------- robustness: DSR, PBO by CSCV, PSR, bootstrap of the winner's trades ----------
  // The rows drawn (data-points): every row whose data is there (render_check.py counts the same).
  function robustnessRows(R) {
    const p = (v) => (v == null ? 'undefined' : fmt(v, 4));
    const pct = (v) => fmtS(num(v) * 100, 1) + ' %';
    const rows = [
      ['Combinations (trials)', fmt(R.trials, 0) + ', ' + fmt(R.periods, 0) + ' bar-to-bar returns each, ' + fmt(R.blocks, 0) + ' blocks, ' + fmt(R.combinations, 0) + ' splits'],
      ['Best by Sharpe ratio', String(R.best_trial) + ': ' + p(R.sharpe) + ' per bar, PSR ' + p(R.psr)],
    ];
    if (R.winner != null) rows.push(['Chosen winner', String(R.winner) + ': ' + p(R.winner_sharpe) + ' per bar, PSR ' + p(R.winner_psr)]);
    rows.push(
      ['Expected max Sharpe', p(R.expected_max_sharpe) + ' (std over combinations ' + p(R.sharpe_std) + ')'],
      ['DSR (deflated Sharpe ratio)', p(R.dsr)],
      ['PBO (probability of overfitting)', p(R.pbo)],
      ['P(loss out of sample)', p(R.prob_oos_loss)]);
    const g = R.degradation && typeof R.degradation === 'object' ? R.degradation : null;
    if (g) rows.push(['Degradation', 'OOS = ' + p(g.slope) + ' × IS ' + (num(g.intercept) < 0 ? '− ' + fmt(-num(g.intercept), 4) : '+ ' + p(g.intercept))]);
    const b = R.bootstrap && typeof R.bootstrap === 'object' ? R.bootstrap : null;
    if (b && b.total_return && b.max_drawdown) {
      const of = ' (5th / 50th / 95th of ' + fmt(b.samples, 0) + ' resamples of ' + fmt(b.trades, 0) + ' trades)';
      rows.push(['Bootstrap: return', pct(b.total_return.p5) + ' / ' + pct(b.total_return.p50) + ' / ' + pct(b.total_return.p95) + of]);
      rows.push(['Bootstrap: max drawdown', fmt(num(b.max_drawdown.p5) * 100, 1) + ' % / ' + fmt(num(b.max_drawdown.p50) * 100, 1) + ' % / ' + fmt(num(b.max_drawdown.p95) * 100, 1) + ' %']);
    }
    return rows;
  }

  // "nice" ticks over [a, b]: about n of them, at 1, 2 or 5 times a power of ten
  function niceTicks(a, b, n) {
    if (!(b > a)) return [a];
    const raw = (b - a) / Math.max(1, n);
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map((m) => m * p).find((st) => st >= raw) || 10 * p;
    const out = [];
    for (let t = Math.ceil(a / step - 1e-9) * step; t <= b + step * 1e-9; t += step) out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
    return out;
  }
  // a chart on an SVG: width from its wrapper, the drawing redone on resize and theme change
  function svgChart(panel, points, title, note, legend, draw) {
    const wrap = h('div', { class: 'plot', data: { panel, points: String(points) } });
    const c = card(title, note, wrap, legend);
    function layout() {
      const width = Math.max(280, wrap.clientWidth);
      const s = draw(width);
      s.setAttribute('role', 'img');
      s.setAttribute('aria-label', title);
      wrap.replaceChildren(s);
    }
    return { card: c, layout, retheme: layout, init: layout };
  }
  const legendItem = (cls, text) => h('span', null, h('span', { class: 'sw ' + cls }), text);

  // the histogram of the CSCV logits λ: bins at or left of 0 are the splits PBO counts
  function LogitHistogram(H, R) {
    const counts = H.counts.map((c) => Math.max(0, num(c) || 0));
    const lower = num(H.lower), width = num(H.width);
    const total = counts.reduce((a, b) => a + b, 0);
    const max = Math.max(1, ...counts);
    const edge = (k) => lower + k * width;
    const note = fmt(total, 0) + ' splits · PBO ' + fmt(R.pbo, 4) + ' = the share at or left of 0';
    return svgChart('robustness-logits', counts.length, 'Logits of the in-sample best (λ)', note,
      h('div', { class: 'legend-row' }, legendItem('overfit', 'λ ≤ 0: at or below the median out of sample'), legendItem('held', 'λ > 0: above it')),
      (W) => {
        const left = 44, right = 10, top = 8, bottom = 38, H2 = 234;
        const s = svg('svg', { class: 'robust', width: W, height: H2, viewBox: '0 0 ' + W + ' ' + H2 });
        const x = (v) => left + ((v - edge(0)) / (edge(counts.length) - edge(0))) * (W - left - right);
        const y = (c) => top + (1 - c / max) * (H2 - top - bottom);
        for (const t of niceTicks(0, max, 4)) {
          s.append(svg('line', { class: 'gridline', x1: left, x2: W - right, y1: y(t), y2: y(t) }));
          s.append(svg('text', { class: 'axis', x: left - 6, y: y(t) + 4, 'text-anchor': 'end' }, compact(t)));
        }
        for (const t of niceTicks(edge(0), edge(counts.length), 8)) {
          s.append(svg('text', { class: 'axis', x: x(t), y: H2 - 20, 'text-anchor': 'middle' }, trim(t, 2)));
        }
        s.append(svg('text', { class: 'axis', x: left + (W - left - right) / 2, y: H2 - 4, 'text-anchor': 'middle' }, 'λ: logit of the in-sample best’s out-of-sample rank'));
        counts.forEach((c, k) => {
          if (!c) return;
          const xa = x(edge(k)), xb = x(edge(k + 1));
          const r = svg('rect', { class: 'bar ' + (edge(k + 1) <= 1e-12 ? 'overfit' : 'held'), x: xa + 0.5, y: y(c), width: Math.max(1, xb - xa - 1), height: Math.max(0, y(0) - y(c)) });
          r.addEventListener('mousemove', (e) => tip.show(e.clientX, e.clientY, tipBody('λ in (' + trim(edge(k), 2) + ', ' + trim(edge(k + 1), 2) + ']',
            [['splits', fmt(c, 0) + ' (' + fmt((c / Math.max(1, total)) * 100, 1) + ' %)']])));
          r.addEventListener('mouseleave', () => tip.hide());
          s.append(r);
        });
        if (edge(0) <= 0 && edge(counts.length) >= 0) s.append(svg('line', { class: 'zero', x1: x(0), x2: x(0), y1: top, y2: y(0) }));
        s.append(svg('line', { class: 'axisline', x1: left, x2: W - right, y1: y(0), y2: y(0) }));
        return s;
      });
  }

  // n*'s out-of-sample against in-sample Sharpe ratio, with the degradation line fitted to every split
  function SplitScatter(S, R) {
    const n = Math.min(S.in_sample_sharpe.length, S.out_of_sample_sharpe.length);
    const P = [];
    for (let i = 0; i < n; i++) {
      const a = num(S.in_sample_sharpe[i]), b = num(S.out_of_sample_sharpe[i]);
      if (Number.isFinite(a) && Number.isFinite(b)) P.push([a, b]);
    }
    const g = R.degradation && typeof R.degradation === 'object' ? R.degradation : null;
    const slope = g ? num(g.slope) : NaN, intercept = g ? num(g.intercept) : NaN;
    const step = Math.max(1, num(S.step) || 1);
    const note = (step > 1 ? 'every ' + fmt(step, 0) + 'th split: ' : '') + fmt(P.length, 0) + ' points · per-bar Sharpe ratios';
    return svgChart('robustness-scatter', P.length, 'In-sample vs out-of-sample Sharpe ratio of the in-sample best', note,
      h('div', { class: 'legend-row' }, legendItem('pt', 'one split'),
        Number.isFinite(slope) ? legendItem('fit', 'degradation: OOS = ' + fmt(slope, 3) + ' × IS ' + (intercept < 0 ? '− ' + fmt(-intercept, 4) : '+ ' + fmt(intercept, 4)) + ' (every split)') : null),
      (W) => {
        const left = 62, right = 10, top = 8, bottom = 34, H2 = 260;
        const s = svg('svg', { class: 'robust', width: W, height: H2, viewBox: '0 0 ' + W + ' ' + H2 });
        let x0 = Infinity, x1 = -Infinity, y0 = 0, y1 = 0;
        for (const [a, b] of P) { x0 = Math.min(x0, a); x1 = Math.max(x1, a); y0 = Math.min(y0, b); y1 = Math.max(y1, b); }
        if (!(x1 > x0)) { x0 = (Number.isFinite(x0) ? x0 : 0) - 0.01; x1 = x0 + 0.02; }
        if (!(y1 > y0)) { y0 -= 0.01; y1 += 0.01; }
        const px = (x1 - x0) * 0.04, py = (y1 - y0) * 0.06;
        x0 -= px; x1 += px; y0 -= py; y1 += py;
        const x = (v) => left + ((v - x0) / (x1 - x0)) * (W - left - right);
        const y = (v) => top + (1 - (v - y0) / (y1 - y0)) * (H2 - top - bottom);
        for (const t of niceTicks(y0, y1, 5)) {
          s.append(svg('line', { class: 'gridline', x1: left, x2: W - right, y1: y(t), y2: y(t) }));
          s.append(svg('text', { class: 'axis', x: left - 6, y: y(t) + 4, 'text-anchor': 'end' }, trim(t, 3)));
        }
        for (const t of niceTicks(x0, x1, 6)) s.append(svg('text', { class: 'axis', x: x(t), y: H2 - 20, 'text-anchor': 'middle' }, trim(t, 3)));
        s.append(svg('text', { class: 'axis', x: left + (W - left - right) / 2, y: H2 - 4, 'text-anchor': 'middle' }, 'in-sample Sharpe ratio (per bar)'));
        const my = top + (H2 - top - bottom) / 2;
        s.append(svg('text', { class: 'axis', x: 10, y: my, 'text-anchor': 'middle', transform: 'rotate(-90 10 ' + my + ')' }, 'out of sample'));
        s.append(svg('line', { class: 'zero', x1: left, x2: W - right, y1: y(0), y2: y(0) }));
        const dots = svg('g', { class: 'pts' });
        for (const [a, b] of P) dots.append(svg('circle', { cx: x(a).toFixed(1), cy: y(b).toFixed(1), r: 2 }));
        s.append(dots);
        if (Number.isFinite(slope) && Number.isFinite(intercept)) {
          s.append(svg('line', { class: 'fit', x1: x(x0), y1: y(slope * x0 + intercept), x2: x(x1), y2: y(slope * x1 + intercept) }));
        }
        return s;
      });
  }

  // the bootstrap's 5th-95th percentile bands of the compounded return and the maximum drawdown, the median marked
  function BootstrapBands(B) {
    const rows = [['Compounded return', B.total_return], ['Maximum drawdown', B.max_drawdown]]
      .filter(([, q]) => q && [q.p5, q.p50, q.p95].every((v) => Number.isFinite(num(v))));
    const note = fmt(B.samples, 0) + ' resamples of the winner\'s ' + fmt(B.trades, 0) + ' trades';
    return svgChart('robustness-bootstrap', rows.length, 'Bootstrap of the winner\'s trades', note,
      h('div', { class: 'legend-row' }, legendItem('band', '5th to 95th percentile'), legendItem('median', 'median')),
      (W) => {
        const left = 132, right = 16, rowH = 46, top = 6;
        const H2 = top + rows.length * rowH + 4;
        const s = svg('svg', { class: 'robust', width: W, height: H2, viewBox: '0 0 ' + W + ' ' + H2 });
        rows.forEach(([label, q], i) => {
          const p5 = num(q.p5) * 100, p50 = num(q.p50) * 100, p95 = num(q.p95) * 100;
          let a = Math.min(0, p5), b = Math.max(0, p95);
          const pad = (b - a) * 0.08 || 1;
          a -= pad; b += pad;
          const x = (v) => left + ((v - a) / (b - a)) * (W - left - right);
          const yy = top + i * rowH;
          s.append(svg('text', { class: 'lbl', x: 0, y: yy + 18 }, label));
          s.append(svg('line', { class: 'axisline', x1: left, x2: W - right, y1: yy + 30, y2: yy + 30 }));
          s.append(svg('line', { class: 'zero', x1: x(0), x2: x(0), y1: yy + 4, y2: yy + 30 }));
          const band = svg('rect', { class: 'band', x: x(p5), y: yy + 8, width: Math.max(2, x(p95) - x(p5)), height: 16, rx: 3 });
          band.addEventListener('mousemove', (e) => tip.show(e.clientX, e.clientY, tipBody(label, [
            ['5th percentile', fmt(p5, 1) + ' %'], ['median', fmt(p50, 1) + ' %'], ['95th percentile', fmt(p95, 1) + ' %']])));
          band.addEventListener('mouseleave', () => tip.hide());
          s.append(band);
          s.append(svg('line', { class: 'median', x1: x(p50), x2: x(p50), y1: yy + 5, y2: yy + 27 }));
          s.append(svg('text', { class: 'axis', x: x(p5), y: yy + 43, 'text-anchor': 'middle' }, fmt(p5, 1) + ' %'));
          s.append(svg('text', { class: 'axis', x: x(p95), y: yy + 43, 'text-anchor': 'middle' }, fmt(p95, 1) + ' %'));
          s.append(svg('text', { class: 'axis strong', x: x(p50), y: yy + 4, 'text-anchor': 'middle' }, fmt(p50, 1) + ' %'));
        });
        return s;
      });
  }

  // which robustness charts the data calls for (render_check.py counts the same)
  function robustnessCharts(R) {
    const H = R.logit_histogram && typeof R.logit_histogram === 'object' && Array.isArray(R.logit_histogram.counts) && R.logit_histogram.counts.length
      && Number.isFinite(num(R.logit_histogram.lower)) && num(R.logit_histogram.width) > 0 ? R.logit_histogram : null;
    const S = R.split_sample && typeof R.split_sample === 'object' && Array.isArray(R.split_sample.in_sample_sharpe)
      && Array.isArray(R.split_sample.out_of_sample_sharpe) && R.split_sample.in_sample_sharpe.length ? R.split_sample : null;
    const B = R.bootstrap && typeof R.bootstrap === 'object' && R.bootstrap.total_return && R.bootstrap.max_drawdown ? R.bootstrap : null;
    return [H && LogitHistogram(H, R), S && SplitScatter(S, R), B && BootstrapBands(B)].filter(Boolean);
  }

  function renderRobustness() {
    const R = D.robustness && typeof D.robustness === 'object' ? D.robustness : null;
    if (!R) return;
    const rows = robustnessRows(R);
    const s = section('Robustness', 'is the winner luck? DSR and PBO pick by per-bar Sharpe ratio, whatever the objective');
    const table = h('table', { class: 'stats', data: { panel: 'robustness', points: String(rows.length) } },
      h('tbody', null, ...rows.map(([l, v]) => h('tr', null, h('td', { class: 'l', text: l }), h('td', { class: 'v', text: v })))));
    const notes = Array.isArray(D.robustness_notes) ? D.robustness_notes.filter((n) => typeof n === 'string' && n) : [];
    s.append(card(null, null, table, ...notes.map((n) => h('p', { class: 'robust-note', text: n }))));
    const drawn = robustnessCharts(R);
    if (!drawn.length) return;
    const grid = h('div', { class: 'robust-charts' });
    s.append(grid);
    // every card in the grid before the first is measured (auto-fit gives a lone card the whole row)
    grid.append(...drawn.map((m) => m.card));
    for (const m of drawn) {
      m.init();
      charts.push(m);
    }
  }

  // ---------- warnings (e.g. a winner on few trades) ----------
  function renderWarnings() {
    const list = Array.isArray(D.warnings) ? D.warnings.filter((w) => typeof w === 'string' && w) : [];
    if (!list.length) return;
    $('sections').before(h('div', { class: 'warnings', role: 'note' }, ...list.map((w) => h('p', { text: w }))));
  }

  // ---------- page ----------
  function main() {
    D = loadData();
    phase('parse');
    if (!D || typeof D !== 'object') {
      $('sections').append(h('div', { class: 'message', text: 'This is the optimisation report template: it holds no data.' }));
      $('kpis').hidden = true;
      return;
    }
    setTitle(D, 'Optimisation report');
    useDefinitions(D.definitions);
    if (D.objective && typeof D.objective === 'object') OBJ = { statistic: String(D.objective.statistic || 'objective'), direction: String(D.objective.direction || 'maximize') };
    minimize = OBJ.direction === 'minimize';
    params = paramNames();
    renderHead();
    renderWarnings();
    renderBestAndTop();
    phase('tables');
    renderHeatmaps();
    phase('heatmaps');
    renderLines();
    renderWalkForward();
    renderTickers();
    renderRobustness();
    phase('charts');
    if (!$('sections').childElementCount) $('sections').append(h('div', { class: 'message', text: 'The search has no results.' }));

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
