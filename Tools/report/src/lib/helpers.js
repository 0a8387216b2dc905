  // ---------- small helpers ----------
  const $ = (id) => document.getElementById(id);
  function h(tag, props, ...kids) {
    const e = document.createElement(tag);
    if (props) {
      for (const k in props) {
        const v = props[k];
        if (v == null || v === false) continue;
        if (k === 'class') e.className = v;
        else if (k === 'text') e.textContent = v;
        else if (k === 'data') for (const d in v) e.dataset[d] = v[d];
        else if (k === 'color') e.style.color = v;
        else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
        else e[k] = v;
      }
    }
    for (const kid of kids) if (kid != null && kid !== false) e.append(kid instanceof Node ? kid : String(kid));
    return e;
  }
  const num = (v) => (v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v == null ? NaN : +v);
  const nfs = new Map();
  function nf(d) {
    let f = nfs.get(d);
    if (!f) nfs.set(d, (f = new Intl.NumberFormat('en-US', { minimumFractionDigits: d, maximumFractionDigits: d })));
    return f;
  }
  function fmt(v, d) {
    v = num(v);
    if (Number.isNaN(v)) return '—';
    if (v === Infinity) return '∞';
    if (v === -Infinity) return '−∞';
    const s = nf(d).format(v);
    return s.charCodeAt(0) === 45 ? '−' + s.slice(1) : s;
  }
  const fmtS = (v, d) => (num(v) > 0 ? '+' : '') + fmt(v, d);
  function trim(v, d) {
    let s = fmt(v, d);
    if (s.indexOf('.') >= 0) s = s.replace(/\.?0+$/, '');
    return s;
  }
  function compact(v) {
    const a = Math.abs(v);
    if (a >= 1e12) return trim(v / 1e12, 2) + 'T';
    if (a >= 1e9) return trim(v / 1e9, 2) + 'B';
    if (a >= 1e6) return trim(v / 1e6, 2) + 'M';
    if (a >= 1e4) return trim(v / 1e3, 1) + 'k';
    return trim(v, a < 10 ? 2 : 0);
  }
  const decimalsFor = (incr) => Math.max(0, Math.min(10, -Math.floor(Math.log10(incr) + 1e-9)));
  // decimals that show about five significant digits (at least two decimals below 1000)
  const sigDecimals = (v) => (v === 0 || !Number.isFinite(v) ? 2 : Math.max(Math.abs(v) >= 1000 ? 0 : 2, Math.min(8, 4 - Math.floor(Math.log10(Math.abs(v))))));
  const cls = (v) => (num(v) > 0 ? 'pos' : num(v) < 0 ? 'neg' : '');

  const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const DOW = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const p2 = (x) => (x < 10 ? '0' : '') + x;
  function ymd(d) {
    return d.getUTCFullYear() + '-' + p2(d.getUTCMonth() + 1) + '-' + p2(d.getUTCDate());
  }
  function fmtDays(v) {
    v = num(v);
    if (!Number.isFinite(v)) return fmt(v, 0);
    const sign = v < 0 ? '−' : '';
    v = Math.abs(v);
    let days = Math.floor(v + 1e-9);
    let secs = Math.round((v - days) * 86400);
    if (secs >= 86400) { days += 1; secs -= 86400; }
    const unit = days === 1 ? ' day' : ' days';
    if (secs < 60) return sign + days + unit;
    const hm = p2(Math.floor(secs / 3600)) + ':' + p2(Math.floor((secs % 3600) / 60));
    return sign + days + unit + ' ' + hm;
  }
