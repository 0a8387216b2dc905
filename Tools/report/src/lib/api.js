  // ---------- talking to the server (lib/api.js; batch.html and dashboard.html) ----------
  // The API key goes only in `Authorization: Bearer KEY`, never into a URL. It is kept in
  // memory, and in sessionStorage 'backtest-api-key' when the user asks to remember it for the
  // tab. A 401 reply shows a key form, then the request is retried with the key.
  const KEY_NAME = 'backtest-api-key';
  let apiKey = null;
  try {
    apiKey = sessionStorage.getItem(KEY_NAME) || null;
  } catch (e) {
    apiKey = null; // storage disabled: the key lives in memory only
  }
  // A page we opened (a report in a new tab, same origin) borrows the key of the page that
  // opened it, so a key typed once (not remembered) still reaches the reports it opens.
  if (!apiKey) {
    try {
      const o = window.opener;
      if (o && typeof o.__backtestApiKey === 'function') apiKey = o.__backtestApiKey() || null;
    } catch (e) {
      apiKey = null; // another origin's page
    }
  }
  window.__backtestApiKey = () => apiKey;
  let keyPrompt = null; // the pending form's promise: one form for every waiting request
  R.keyRequired = false;

  // A URL of the API: relative ones resolve against the page, or against its origin when the
  // page is a blob: document (a report opened by the dashboard), where they cannot resolve.
  function apiUrl(u) {
    const base = location.protocol === 'blob:' && location.origin !== 'null' ? location.origin + '/' : location.href;
    return new URL(u, base).href;
  }
  function authHeaders(extra) {
    const hd = Object.assign({}, extra);
    if (apiKey) hd.Authorization = 'Bearer ' + apiKey;
    return hd;
  }
  async function problemText(res) {
    try {
      const p = await res.clone().json();
      return p.detail || p.title || res.status + ' ' + res.statusText;
    } catch (e) {
      return res.status + ' ' + res.statusText;
    }
  }
  // fetch with the key; on 401 asks for one and tries again. Resolves to the Response.
  async function apiFetch(url, opts) {
    for (let attempt = 0; ; attempt++) {
      const o = Object.assign({}, opts, { headers: authHeaders(opts && opts.headers) });
      const res = await fetch(apiUrl(url), o);
      if (res.status !== 401 || attempt > 20) return res;
      await askKey(await problemText(res), attempt > 0 || !!apiKey);
    }
  }
  async function apiJSON(url) {
    const res = await apiFetch(url, { headers: { Accept: 'application/json' } });
    if (!res.ok) throw new Error(url + ': ' + (await problemText(res)));
    return res.json();
  }
  function askKey(detail, refused) {
    if (keyPrompt) return keyPrompt;
    R.keyRequired = true;
    keyPrompt = new Promise((resolve) => {
      const input = h('input', { type: 'password', id: 'api-key', autocomplete: 'off', spellcheck: false, placeholder: 'API key' });
      input.setAttribute('aria-label', 'API key');
      const remember = h('input', { type: 'checkbox', id: 'api-key-remember' });
      let stored = false;
      try { stored = !!sessionStorage.getItem(KEY_NAME); } catch (e) { stored = false; }
      remember.checked = stored;
      const err = h('div', { class: 'error', text: refused ? 'The server refused the key: ' + detail : '' });
      err.hidden = !refused;
      const form = h('form', { class: 'keyform', id: 'key-form', autocomplete: 'off' },
        h('h2', { text: 'API key' }),
        h('p', { text: 'The server wants an API key' + (refused ? '.' : ' (' + detail + ').') + ' It is sent only in the Authorization header.' }),
        input,
        h('label', null, remember, 'Remember for this tab'),
        err,
        h('div', { class: 'row' }, h('button', { type: 'submit', text: 'Use key' })));
      const overlay = h('div', { class: 'overlay', id: 'key-overlay' }, form);
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        const k = input.value.trim();
        if (!k) return;
        apiKey = k;
        try {
          if (remember.checked) sessionStorage.setItem(KEY_NAME, k);
          else sessionStorage.removeItem(KEY_NAME);
        } catch (e2) { /* memory only */ }
        overlay.remove();
        keyPrompt = null;
        R.keyRequired = false;
        resolve();
      });
      document.body.append(overlay);
      input.focus();
      signalReady(); // the page waits for the user now: a test can look at it
    });
    return keyPrompt;
  }

  // Opens a report that needs the key: fetches its HTML with the header and shows it in a new
  // tab as a blob: URL. The tab is opened at once (a popup blocker allows that during the
  // click) and pointed at the blob when it is there.
  async function openReport(url, button) {
    const w = window.open('', '_blank');
    const label = button ? button.textContent : '';
    if (button) { button.disabled = true; button.textContent = 'opening…'; }
    try {
      const res = await apiFetch(url, { headers: { Accept: 'text/html' } });
      if (!res.ok) throw new Error(await problemText(res));
      const html = await res.text();
      const blobUrl = URL.createObjectURL(new Blob([html], { type: 'text/html' }));
      if (w && !w.closed) w.location.href = blobUrl;
      else window.open(blobUrl, '_blank');
      R.opened = (R.opened || 0) + 1;
    } catch (e) {
      if (w) w.close();
      const msg = 'could not open the report: ' + (e && e.message ? e.message : e);
      if (button && button.parentNode) {
        const old = button.parentNode.querySelector('.inline-error');
        if (old) old.remove();
        button.parentNode.append(h('div', { class: 'inline-error', text: msg }));
      }
      R.openErrors = (R.openErrors || 0) + 1;
    } finally {
      if (button) { button.disabled = false; button.textContent = label; }
    }
  }
