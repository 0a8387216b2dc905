/* The server's live dashboard (GET /). It fetches everything from its own origin:
 *   GET /health every 2 s (no key)            -> health, and the load chart (queue)
 *   GET /v1/strategies, GET /v1/tickers once   -> strategies, tickers
 *   GET /v1/jobs?limit=20 every 5 s             -> jobs, with the events of up to 5 running
 *                                                 or queued jobs followed live (SSE over fetch)
 * A key, when the server wants one, goes only in `Authorization: Bearer KEY` (a 401 shows a
 * form; see lib/api.js). EventSource cannot send headers, so the event streams are read with
 * fetch() and a small parser. Every panel carries data-panel and data-points.
 */
(function () {
  'use strict';

  //#include lib/helpers.js
  //#include lib/stats.js
  //#include lib/page.js
  //#include lib/api.js

  const HEALTH_MS = 2000, JOBS_MS = 5000, MAX_SAMPLES = 150, MAX_STREAMS = 5, JOB_LIMIT = 20;
  R.samples = 0;
  R.sse = 0; // events received
  R.streams = 0; // streams open now

  function setPoints(id, n) {
    $(id).dataset.points = String(n);
  }
  function panelError(id, e) {
    $(id).replaceChildren(h('div', { class: 'inline-error', text: String((e && e.message) || e) }));
    setPoints(id, 0);
  }
  function fmtUptime(s) {
    s = num(s);
    if (!Number.isFinite(s)) return '—';
    if (s < 60) return trim(s, 1) + ' s';
    const d = Math.floor(s / 86400), hh = Math.floor((s % 86400) / 3600), mm = Math.floor((s % 3600) / 60);
    if (d) return d + ' d ' + hh + ' h';
    if (hh) return hh + ' h ' + p2(mm) + ' min';
    return mm + ' min ' + p2(Math.floor(s % 60)) + ' s';
  }
  function ago(iso) {
    const t = Date.parse(iso);
    if (!Number.isFinite(t)) return typeof iso === 'string' ? iso : '—';
    const s = Math.max(0, (Date.now() - t) / 1000);
    if (s < 60) return Math.round(s) + ' s ago';
    if (s < 3600) return Math.round(s / 60) + ' min ago';
    if (s < 86400) return Math.round(s / 3600) + ' h ago';
    return new Date(t).toISOString().slice(0, 16).replace('T', ' ');
  }

  // ---------- health and load ----------
  const samples = { t: [], inFlight: [], queued: [] };
  let health = null, loadPlot = null;
  function renderHealth(hl) {
    const fields = [
      ['Status', hl.status, (v) => String(v), (v) => (v === 'ok' ? 'pos' : 'warn')],
      ['Version', hl.version, (v) => String(v)],
      ['Uptime', hl.uptime_s, fmtUptime],
      ['Workers', hl.workers, (v) => fmt(v, 0)],
      ['In flight', hl.in_flight, (v) => fmt(v, 0)],
      ['Queued', hl.queued, (v) => fmt(v, 0)],
    ].filter((f) => f[1] !== undefined);
    $('health').replaceChildren(h('div', { class: 'health-grid' }, ...fields.map(([k, v, f, c]) =>
      h('div', { class: 'kpi' }, h('div', { class: 'k', text: k }), h('div', { class: 'v ' + (c ? c(v) : ''), text: v == null ? '—' : f(v) })))));
    setPoints('health', fields.length);
    const badge = $('status-badge');
    badge.textContent = hl.status == null ? 'unknown' : String(hl.status);
    badge.className = 'badge ' + (hl.status === 'ok' ? 'ok' : hl.status === 'draining' ? 'draining' : '');
    $('subtitle').textContent = location.host + (hl.version ? ' · version ' + hl.version : '') + (hl.uptime_s != null ? ' · up ' + fmtUptime(hl.uptime_s) : '');
    $('health-note').textContent = 'at ' + new Date().toLocaleTimeString();
  }
  function makeLoadPlot() {
    if (loadPlot) loadPlot.destroy();
    const host = $('queue');
    const cIn = cssVar('accent'), cQ = cssVar('c1');
    loadPlot = new uPlot({
      width: Math.max(280, host.clientWidth), height: 150,
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { size: 6, fill: cssVar('card'), width: 2 } },
      // x is set by hand (xRange): the last minutes, at least one, ending at the newest sample
      scales: { x: { time: true, auto: false, min: Date.now() / 1000 - 60, max: Date.now() / 1000 }, y: { range: (u, lo, hi) => [0, Math.max(2, (hi || 0) + 1, num(health && health.workers) || 0)] } },
      axes: [uAxis({}), uAxis({ size: 36, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000], values: (u, s) => s.map((v) => fmt(v, 0)) })],
      series: [{}, { label: 'in flight', stroke: cIn, width: 1.8, paths: uPlot.paths.stepped({ align: 1 }), fill: cssVar('nav-fill') },
        { label: 'queued', stroke: cQ, width: 1.8, paths: uPlot.paths.stepped({ align: 1 }) }],
      hooks: {
        setCursor: [(u) => {
          const i = u.cursor.idx;
          if (i == null || u.cursor.left < 0) { tip.hide(); return; }
          const r = u.over.getBoundingClientRect();
          tip.show(r.left + u.cursor.left, r.top + u.cursor.top, tipBody(new Date(samples.t[i] * 1000).toLocaleTimeString(), [
            ['in flight', fmt(samples.inFlight[i], 0)], ['queued', fmt(samples.queued[i], 0)],
          ]));
        }],
      },
    }, [samples.t, samples.inFlight, samples.queued], host);
    setXRange();
    loadPlot.over.addEventListener('mouseleave', () => tip.hide());
    $('queue-legend').replaceChildren(
      h('span', null, h('span', { class: 'sw', color: cIn }), 'in flight'),
      h('span', null, h('span', { class: 'sw', color: cQ }), 'queued'));
    for (const sw of $('queue-legend').querySelectorAll('.sw')) sw.style.background = sw.style.color;
  }
  function setXRange() {
    if (!loadPlot || !samples.t.length) return;
    const hi = samples.t[samples.t.length - 1];
    loadPlot.setScale('x', { min: Math.min(samples.t[0], hi - 60), max: hi });
  }
  let healthBusy = false;
  async function pollHealth() {
    if (healthBusy) return;
    healthBusy = true;
    try {
      const res = await fetch(apiUrl('/health'), { headers: { Accept: 'application/json' }, cache: 'no-store' });
      if (!res.ok) throw new Error('/health: ' + (await problemText(res)));
      health = await res.json();
      renderHealth(health);
      samples.t.push(Date.now() / 1000);
      samples.inFlight.push(Number.isFinite(num(health.in_flight)) ? num(health.in_flight) : null);
      samples.queued.push(Number.isFinite(num(health.queued)) ? num(health.queued) : null);
      if (samples.t.length > MAX_SAMPLES) for (const k in samples) samples[k].shift();
      R.samples = samples.t.length;
      setPoints('queue', samples.t.length);
      if (loadPlot) {
        loadPlot.setData([samples.t, samples.inFlight, samples.queued]);
        setXRange();
      }
    } catch (e) {
      const badge = $('status-badge');
      badge.textContent = 'unreachable';
      badge.className = 'badge error';
      if (!health) panelError('health', e);
    } finally {
      healthBusy = false;
    }
  }

  // ---------- strategies and tickers ----------
  async function loadStrategies() {
    try {
      const d = await apiJSON('/v1/strategies');
      const list = Array.isArray(d.strategies) ? d.strategies : [];
      const paramChip = (p) => {
        const range = p.minimum != null || p.maximum != null ? ' [' + paramText(p.minimum) + '…' + paramText(p.maximum) + ']' : '';
        const c = h('span', { class: 'chip', title: (p.description || '') + (p.type ? ' (' + p.type + ')' : '') },
          h('b', { text: p.name }), paramText(p.default) + range);
        return c;
      };
      const table = sortableTable({
        columns: [
          { key: 'name', label: 'Strategy', txt: true, get: (s) => s.name, first: 1 },
          { key: 'desc', label: 'Description', txt: true, get: (s) => s.description || '', cls: () => 'desc' },
          { key: 'params', label: 'Parameters (default [range])', txt: true, get: (s) => (s.parameters || []).length,
            cell: (s) => h('div', { class: 'chips' }, ...(s.parameters || []).map(paramChip)), cls: () => 'params' },
        ],
        rows: list, sort: { key: 'name', dir: 1 },
      });
      $('strategies').replaceChildren(table);
      setPoints('strategies', list.length);
      $('strategies-note').textContent = list.length + (list.length === 1 ? ' strategy' : ' strategies');
    } catch (e) {
      panelError('strategies', e);
    }
  }
  async function loadTickers() {
    try {
      const d = await apiJSON('/v1/tickers');
      const list = Array.isArray(d.tickers) ? d.tickers : [];
      const table = sortableTable({
        columns: [
          { key: 'ticker', label: 'Ticker', txt: true, get: (t) => t.ticker, first: 1 },
          { key: 'first', label: 'First', txt: true, get: (t) => t.first, cell: (t) => isoDay(t.first), first: 1 },
          { key: 'last', label: 'Last', txt: true, get: (t) => t.last, cell: (t) => isoDay(t.last) },
          { key: 'bars', label: 'Bars', get: (t) => t.bars, cell: (t) => fmt(t.bars, 0) },
          { key: 'source', label: 'Source', txt: true, get: (t) => t.source, first: 1 },
        ],
        rows: list, sort: { key: 'ticker', dir: 1 },
      });
      $('tickers').replaceChildren(table);
      setPoints('tickers', list.length);
      $('tickers-note').textContent = list.length + (list.length === 1 ? ' ticker' : ' tickers');
    } catch (e) {
      panelError('tickers', e);
    }
  }

  // ---------- jobs ----------
  const entries = new Map(); // id -> {job, tr, cells}
  let jobsTable = null, jobsBusy = false, jobsLoaded = false;
  const terminal = (s) => s === 'done' || s === 'failed' || s === 'cancelled';
  // the API's job kinds as the list shows them
  const KIND_LABELS = new Map([['backtests', 'batch'], ['optimization', 'optimisation'], ['portfolios', 'portfolio job']]);
  function jobEntry(job) {
    const e = { job, live: false, item: null };
    const id = String(job.id);
    const idCell = h('td', { class: 'txt', title: id }, id.length > 16 ? id.slice(0, 8) + '…' : id);
    e.kind = h('td', { class: 'txt' });
    e.status = h('span', { class: 'badge' });
    e.liveMark = h('span', { class: 'live', text: '● live', title: 'following its events' });
    e.fill = h('div', { class: 'fill' });
    e.count = h('span', { class: 'n' });
    e.note = h('span', { class: 'item-note' });
    e.created = h('td', { class: 'txt' });
    e.action = h('td', { class: 'txt' });
    e.tr = h('tr', { data: { job: String(job.id) } }, idCell, e.kind, h('td', { class: 'txt' }, e.status, e.liveMark),
      h('td', { class: 'txt' }, h('div', { class: 'progress' }, h('div', { class: 'bar' }, e.fill), e.count), e.note),
      e.created, e.action);
    return e;
  }
  function paint(e) {
    const j = e.job;
    const st = String(j.status || 'unknown');
    e.kind.textContent = KIND_LABELS.get(String(j.kind)) || String(j.kind || '—');
    e.tr.dataset.kind = String(j.kind || '');
    e.status.textContent = st;
    e.status.className = 'badge ' + st;
    e.liveMark.hidden = !e.live;
    const p = j.progress || {};
    const done = num(p.done), total = num(p.total);
    const frac = total > 0 && Number.isFinite(done) ? Math.max(0, Math.min(1, done / total)) : st === 'done' ? 1 : 0;
    e.fill.style.width = (frac * 100).toFixed(1) + '%';
    e.fill.className = 'fill ' + (terminal(st) ? st : '');
    e.count.textContent = (Number.isFinite(done) ? fmt(done, 0) : '?') + ' / ' + (Number.isFinite(total) ? fmt(total, 0) : '?');
    e.note.textContent = e.item ? e.item : '';
    e.created.textContent = ago(j.created_at);
    e.created.title = String(j.created_at || '');
    const canReport = typeof j.report_url === 'string' && j.report_url &&
      (st === 'done' || (terminal(st) && done > 0));
    const btn = e.action.querySelector('button.report');
    if (canReport && !btn) {
      const b = h('button', { type: 'button', class: 'report', text: 'report', title: 'Open the report (fetched with the API key)' });
      b.addEventListener('click', () => openReport(e.job.report_url, b));
      e.action.prepend(b);
    } else if (!canReport && btn) {
      btn.remove();
    }
    paintControls(e, st);
    if (!canReport) e.action.dataset.empty = 'true';
    else delete e.action.dataset.empty;
  }
  // cancel (POST …/cancel: the job stays, as cancelled) while it runs; delete (DELETE: gone) always
  function paintControls(e, st) {
    const running = !terminal(st);
    let cancel = e.action.querySelector('button.cancel');
    if (running && !cancel) {
      cancel = h('button', { type: 'button', class: 'cancel', text: 'cancel', title: 'Cancel: queued items are dropped, the job and what finished stay' });
      cancel.addEventListener('click', () => jobControl(e, 'POST', '/cancel', cancel));
      e.action.append(cancel);
    } else if (!running && cancel) {
      cancel.remove();
    }
    if (!e.action.querySelector('button.delete')) {
      const del = h('button', { type: 'button', class: 'delete', text: 'delete', title: 'Delete the job and its results (cancelled first if it runs)' });
      del.addEventListener('click', () => {
        if (window.confirm('Delete job ' + String(e.job.id) + ' and its results?')) jobControl(e, 'DELETE', '', del);
      });
      e.action.append(del);
    }
  }
  async function jobControl(e, method, suffix, button) {
    button.disabled = true;
    try {
      // each kind on its own route (a search's status_url is /v1/optimizations/{id})
      const base = typeof e.job.status_url === 'string' && e.job.status_url.startsWith('/v1/')
        ? e.job.status_url : '/v1/jobs/' + encodeURIComponent(String(e.job.id));
      const res = await apiFetch(base + suffix,
        { method, headers: { Accept: 'application/json' } });
      if (!res.ok && res.status !== 404) throw new Error(await problemText(res));
      $('jobs-note').textContent = (method === 'DELETE' ? 'deleted ' : 'cancelled ') + String(e.job.id);
    } catch (err) {
      $('jobs-note').textContent = method.toLowerCase() + ' failed: ' + ((err && err.message) || err);
    } finally {
      button.disabled = false;
      refreshJobs();
    }
  }
  function renderJobs(list) {
    const seen = new Set();
    const trs = [];
    for (const j of list) {
      if (!j || j.id == null) continue;
      const id = String(j.id);
      seen.add(id);
      let e = entries.get(id);
      if (!e) {
        e = jobEntry(j);
        entries.set(id, e);
      } else {
        // the stream may be ahead of the list: keep the larger progress of a running job
        const old = e.job.progress || {}, cur = j.progress || {};
        if (!terminal(j.status) && e.live && num(old.done) > num(cur.done)) j.progress = old;
        e.job = j;
      }
      paint(e);
      trs.push(e.tr);
    }
    for (const id of [...entries.keys()]) if (!seen.has(id)) entries.delete(id);
    const host = $('jobs');
    if (!trs.length) {
      jobsTable = null;
      host.replaceChildren(h('div', { class: 'jobs-empty', text: 'No jobs yet.' }));
    } else {
      if (!jobsTable || !host.contains(jobsTable)) {
        jobsTable = h('table', { class: 'data' }, h('thead', null, h('tr', null,
          ...['Job', 'Kind', 'Status', 'Progress', 'Created', 'Actions'].map((t) => h('th', { class: 'txt', text: t })))), h('tbody'));
        host.replaceChildren(h('div', { class: 'table-wrap' }, jobsTable));
      }
      jobsTable.tBodies[0].replaceChildren(...trs);
    }
    setPoints('jobs', trs.length);
    $('jobs-note').textContent = 'newest first, refreshed every 5 s' + (streams.size ? ' · following ' + streams.size + ' live' : '');
  }
  async function refreshJobs() {
    if (jobsBusy) return;
    jobsBusy = true;
    try {
      const d = await apiJSON('/v1/jobs?limit=' + JOB_LIMIT);
      const list = Array.isArray(d.jobs) ? d.jobs : [];
      renderJobs(list);
      syncStreams(list);
    } catch (e) {
      if (!jobsLoaded) panelError('jobs', e);
      else $('jobs-note').textContent = 'refresh failed: ' + ((e && e.message) || e);
    } finally {
      jobsLoaded = true;
      jobsBusy = false;
    }
  }

  // ---------- live events (SSE over fetch) ----------
  const streams = new Map(); // id -> AbortController
  const lastTry = new Map(); // id -> ms of the last attempt
  let refreshSoon = null;
  function syncStreams(list) {
    const want = list.filter((j) => j.status === 'running').concat(list.filter((j) => j.status === 'queued'))
      .filter((j) => typeof j.events_url === 'string' && j.events_url).slice(0, MAX_STREAMS);
    const ids = new Set(want.map((j) => String(j.id)));
    for (const [id, ctrl] of streams) if (!ids.has(id)) { ctrl.abort(); streams.delete(id); markLive(id, false); }
    const now = Date.now();
    for (const j of want) {
      const id = String(j.id);
      if (streams.has(id) || streams.size >= MAX_STREAMS || now - (lastTry.get(id) || 0) < JOBS_MS - 500) continue;
      follow(id, j.events_url);
    }
    R.streams = streams.size;
  }
  function markLive(id, on) {
    const e = entries.get(id);
    if (e) { e.live = on; paint(e); }
  }
  function sseParser(onEvent) {
    let buf = '', event = '', data = [];
    function line(l) {
      if (l === '') {
        if (data.length) onEvent(event || 'message', data.join('\n'));
        event = '';
        data = [];
        return;
      }
      if (l[0] === ':') return; // a comment (keep-alive)
      const i = l.indexOf(':');
      const field = i < 0 ? l : l.slice(0, i);
      let val = i < 0 ? '' : l.slice(i + 1);
      if (val[0] === ' ') val = val.slice(1);
      if (field === 'event') event = val;
      else if (field === 'data') data.push(val);
    }
    return {
      push(chunk) {
        buf += chunk;
        for (;;) {
          const i = buf.search(/\r\n|\r|\n/);
          if (i < 0) break;
          if (buf[i] === '\r' && i === buf.length - 1) break; // maybe \r\n split across chunks
          const len = buf[i] === '\r' && buf[i + 1] === '\n' ? 2 : 1;
          line(buf.slice(0, i));
          buf = buf.slice(i + len);
        }
      },
    };
  }
  // a portfolio job's item: its result's tickers (the first three, then a count)
  function portfolioText(result) {
    const t = result && Array.isArray(result.tickers) ? result.tickers.map(String) : [];
    if (!t.length) return null;
    return t.slice(0, 3).join(', ') + (t.length > 3 ? ' +' + (t.length - 3) : '');
  }
  function onEvent(id, type, text) {
    let d;
    try {
      d = JSON.parse(text);
    } catch (e) {
      return;
    }
    R.sse++;
    const e = entries.get(id);
    if (!e) return;
    const j = e.job;
    if (type === 'progress' && d) {
      j.progress = { done: d.done, total: d.total };
      if (j.status === 'queued' && num(d.done) > 0) j.status = 'running';
    }
    else if (type === 'item' && d) {
      if (d.progress) j.progress = d.progress;
      const it = d.item || {};
      const what = it.ticker || it.name || (it.params ? paramsText(it.params) : null) || portfolioText(it.result);
      e.item = what ? 'last: ' + what : null;
      if (j.status === 'queued') j.status = 'running';
    } else if (type === 'done' && d) {
      if (d.status) j.status = d.status;
      if (d.progress) j.progress = d.progress;
      e.item = null;
      // the list has the report's URL and the final state
      clearTimeout(refreshSoon);
      refreshSoon = setTimeout(refreshJobs, 300);
    }
    paint(e);
  }
  async function follow(id, url) {
    const ctrl = new AbortController();
    streams.set(id, ctrl);
    lastTry.set(id, Date.now());
    markLive(id, true);
    R.streams = streams.size;
    try {
      const res = await apiFetch(url, { headers: { Accept: 'text/event-stream' }, signal: ctrl.signal, cache: 'no-store' });
      if (!res.ok || !res.body) throw new Error(url + ': ' + res.status);
      const reader = res.body.getReader();
      const dec = new TextDecoder();
      const parser = sseParser((type, text) => onEvent(id, type, text));
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.push(dec.decode(value, { stream: true }));
      }
    } catch (e) {
      if (!(e && e.name === 'AbortError')) R.streamErrors = (R.streamErrors || 0) + 1;
    } finally {
      if (streams.get(id) === ctrl) {
        streams.delete(id);
        markLive(id, false);
      }
      R.streams = streams.size;
    }
  }

  // ---------- page ----------
  function main() {
    $('subtitle').textContent = location.host;
    makeLoadPlot();
    phase('setup');
    const first = [pollHealth(), loadStrategies(), loadTickers(), refreshJobs()];
    Promise.allSettled(first).then(() => {
      phase('first load');
      signalReady();
    });
    setInterval(pollHealth, HEALTH_MS);
    setInterval(refreshJobs, JOBS_MS);
    setInterval(() => { for (const e of entries.values()) e.created.textContent = ago(e.job.created_at); }, 15000);
    let lastW = $('queue').clientWidth;
    new ResizeObserver(() => {
      const w = $('queue').clientWidth;
      if (w === lastW || !loadPlot) return;
      lastW = w;
      loadPlot.setSize({ width: Math.max(280, w), height: 150 });
    }).observe($('queue'));
    onSchemeChange(makeLoadPlot);
  }

  try {
    main();
  } catch (e) {
    failed(e);
    signalReady();
  }
})();
