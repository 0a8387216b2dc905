#!/usr/bin/env python3
"""Opens a page of the report tooling in headless Chromium, checks it, and saves a screenshot.

    render_check.py PAGE.html [--png OUT.png] [--dark] [--width 1400] [--height 1000] [--scale 1]
        [--viewport-only] [--clip X,Y,W,H] [--fragment bars=100-300|trade=5] [--hover X,Y|SELECTOR]
        [--expect KINDS] [--allow-zero KINDS] [--timeout 30] [--json] [--click SELECTOR ...] [--wait-for JS]
    render_check.py --url http://127.0.0.1:PORT/ [--expect health,strategies,tickers,queue]
        [--api-key KEY] [--click SELECTOR ...] [--png OUT.png] ...

A filled page (report.html, optimize.html or batch.html) is opened as a file: URL. Fails (exit 1)
when the page logs a console error or an uncaught exception, violates its
Content-Security-Policy, requests anything but file:/data:/about: URLs, does not signal ready
(window.__report.ready) in time, reports a drawing error, or when a panel kind expected is
missing or a [data-panel] element has data-points <= 0 (unless its kind is in --allow-zero).
The panels expected: --expect when given; else for an optimisation or batch page those its data
calls for (read from the page's data block), with the data-points each must have (cells,
points, rows; see README.md), and no others; else report.html's six kinds.

--url opens a page served over HTTP (the server's dashboard): requests to that origin (and
data:/blob:) are allowed, nothing else; after ready it waits until every expected panel has
data-points > 0 (default --expect health,strategies,tickers,queue; "jobs" must exist too and may
be 0); a job whose kind column shows the API's kind as it is (no label for it) fails. A 401 that the page answers with its key form is a warning; with --api-key the form is
filled in and sent.

--click SELECTOR (repeatable) clicks an element that opens a page in a new tab (a report
fetched with the key and opened as a blob: URL); the new page must become ready without an
error, a CSP violation or a foreign request, with at least one panel. The next --click acts in
that new page.

Prints the panels and the timings (Page.navigate to ready, and the page's own: when its script
starts, how long each step takes, when the first frame is painted); --json prints one object.
The screenshot is of the whole page unless --viewport-only or --clip.

Talks to Chromium over --remote-debugging-pipe (the DevTools protocol on fds 3 and 4), so it
needs nothing but Python 3's standard library and a Chromium: $CHROMIUM, else
/usr/lib/chromium/chromium, chromium, chromium-browser or google-chrome on PATH (Debian:
`apt-get install chromium`). As root Chromium needs --no-sandbox, which is added then.
`check(args)` runs one check from Python (see selftest.py).
"""
import argparse
import base64
import fcntl
import json
import math
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

REPORT_KINDS = "equity,drawdown,pl,ohlc,volume,indicator"
DASHBOARD_KINDS = "health,strategies,tickers,queue"


def find_chromium():
    for cand in (os.environ.get("CHROMIUM"), "/usr/lib/chromium/chromium", "chromium", "chromium-browser",
                 "google-chrome", "google-chrome-stable"):
        if not cand:
            continue
        path = cand if os.path.isabs(cand) else shutil.which(cand)
        if path and os.path.exists(path):
            return path
    raise SystemExit("no Chromium found (apt-get install chromium, or set CHROMIUM)")


class CDP:
    """The DevTools protocol over a pipe: NUL-terminated JSON messages."""

    def __init__(self, binary, profile):
        to_child_r, self.to_child_w = os.pipe()
        self.from_child_r, from_child_w = os.pipe()
        # fds 3 and 4 in the child must be exactly these ends: first moved to free fds >= 10 (out of
        # the way of 3 and 4; F_DUPFD takes the lowest free one, where dup2 onto a fixed number would
        # close whatever another thread, a test server's socket, holds there)
        r_hi = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)
        w_hi = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
        os.close(to_child_r)
        os.close(from_child_w)

        def wire():
            os.dup2(r_hi, 3)
            os.dup2(w_hi, 4)

        args = [binary, "--headless", "--remote-debugging-pipe", f"--user-data-dir={profile}",
                "--no-first-run", "--no-default-browser-check", "--disable-gpu", "--disable-extensions",
                "--disable-background-networking", "--disable-sync", "--disable-component-update",
                "--disable-default-apps", "--mute-audio", "--hide-scrollbars", "--force-color-profile=srgb",
                "--disable-dev-shm-usage", "about:blank"]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")
        self.proc = subprocess.Popen(args, pass_fds=(3, 4), preexec_fn=wire, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        os.close(r_hi)
        os.close(w_hi)
        self.next_id = 0
        self.replies = {}
        self.cond = threading.Condition()
        self.events = queue.Queue()
        self.stderr = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    def _drain_stderr(self):
        for line in self.proc.stderr:
            self.stderr.append(line.decode("utf-8", "replace").rstrip())

    def _read(self):
        buf = b""
        while True:
            chunk = os.read(self.from_child_r, 1 << 20)
            if not chunk:
                break
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                msg = json.loads(raw)
                if "id" in msg:
                    with self.cond:
                        self.replies[msg["id"]] = msg
                        self.cond.notify_all()
                else:
                    self.events.put(msg)
        with self.cond:
            self.replies[-1] = {"error": {"message": "Chromium closed the pipe"}}
            self.cond.notify_all()

    def send(self, method, params=None, session=None, timeout=30):
        self.next_id += 1
        mid = self.next_id
        msg = {"id": mid, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_child_w, json.dumps(msg).encode() + b"\0")
        deadline = time.time() + timeout
        with self.cond:
            while mid not in self.replies:
                if -1 in self.replies:
                    raise RuntimeError(f"{method}: Chromium exited; stderr: {' | '.join(self.stderr[-5:])}")
                left = deadline - time.time()
                if left <= 0:
                    raise RuntimeError(f"{method}: no reply in {timeout}s")
                self.cond.wait(left)
            reply = self.replies.pop(mid)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def parser():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("report", nargs="?", help="a filled page (file)")
    ap.add_argument("--url", help="a page served over HTTP instead (the dashboard)")
    ap.add_argument("--png")
    ap.add_argument("--dark", action="store_true", help="emulate prefers-color-scheme: dark")
    ap.add_argument("--width", type=int, default=1400)
    ap.add_argument("--height", type=int, default=1000)
    ap.add_argument("--viewport-only", action="store_true", help="screenshot the viewport, not the whole page")
    ap.add_argument("--scale", type=float, default=1, help="device pixel ratio (2 for a HiDPI screen)")
    ap.add_argument("--clip", help="screenshot only X,Y,W,H (CSS pixels)")
    ap.add_argument("--fragment", default="", help="URL fragment, e.g. bars=100-300 or trade=5")
    ap.add_argument("--hover", help="move the mouse to X,Y (CSS pixels), or to the middle of the element a CSS "
                                    "selector names, before the screenshot")
    ap.add_argument("--expect", default=None,
                    help="panel kinds that must be present (comma-separated; empty for none); default: from the "
                         "page's data, " + REPORT_KINDS + " for a backtest report, " + DASHBOARD_KINDS + " with --url")
    ap.add_argument("--allow-zero", default=None,
                    help="panel kinds that may have data-points=0 (e.g. pl for no trades; default jobs with --url)")
    ap.add_argument("--api-key", help="with --url: the key to type into the page's key form when it asks")
    ap.add_argument("--click", action="append", default=[],
                    help="CSS selector of an element that opens a report in a new tab (repeatable)")
    ap.add_argument("--wait-for", help="a JavaScript expression to wait for (truthy) before the checks, e.g. "
                                       "'window.__report.sse > 0'")
    ap.add_argument("--frame", action="store_true",
                    help="the file is a host page whose <iframe> holds the page (the Python client's Report in a "
                         "notebook: <iframe srcdoc sandbox=allow-scripts>); the checks apply to the framed page, "
                         "and the host must not log an error either")
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--json", action="store_true")
    return ap


# ---------- what a page's data calls for ----------

def _num(v):
    """JavaScript's num() of the pages: null -> NaN, "Infinity" strings -> inf."""
    if v is None or isinstance(v, bool):
        return float("nan") if v is None else float(v)
    if isinstance(v, (int, float)):
        return float(v)
    if v == "Infinity":
        return math.inf
    if v == "-Infinity":
        return -math.inf
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def _finite(v):
    return math.isfinite(_num(v))


def _iso_ok(s):
    return isinstance(s, str) and re.match(r"^\d{4}-\d\d-\d\d", s) is not None


def page_data(path):
    """The JSON of a filled page's data block, or None (no block, placeholder, unreadable)."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r'<script id="report-data" type="application/json">(.*?)</script>', text, re.S)
    if not m:
        return None
    try:
        return json.loads(m.group(1))
    except ValueError:
        return None


def framed_data(path):
    """page_data of the page in a host page's first <iframe srcdoc="...">, or None."""
    import html as _html
    with open(path, encoding="utf-8") as f:
        m = re.search(r'<iframe srcdoc="([^"]*)"', f.read())
    if not m:
        return None
    fd, inner = tempfile.mkstemp(suffix=".html")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(_html.unescape(m.group(1)))
        return page_data(inner)
    finally:
        os.unlink(inner)


def expected_panels(d):
    """{kind: sorted list of data-points} an optimisation, batch or portfolio page must draw; None otherwise."""
    if not isinstance(d, dict):
        return None
    out = {}
    nonempty = lambda v: isinstance(v, list) and len(v) > 0
    if d.get("kind") == "optimization":
        best = d.get("best")
        if isinstance(best, dict):
            st = best.get("stats") if isinstance(best.get("stats"), dict) else {}
            out["best"] = [sum(1 for v in st.values() if not isinstance(v, (dict, list)))]
        if nonempty(d.get("top")):
            out["top"] = [len(d["top"])]
        if nonempty(d.get("heatmaps")):
            counts = []
            for hm in d["heatmaps"]:
                nx, ny = len(hm.get("xs") or []), len(hm.get("ys") or [])
                z = hm.get("z") or []
                c = 0
                for j in range(min(ny, len(z))):
                    row = z[j] or []
                    c += sum(1 for v in row[:nx] if v is not None and not math.isnan(_num(v)))
                counts.append(c)
            out["heatmap"] = counts
        if nonempty(d.get("lines")):
            out["objective-line"] = [sum(1 for v in (ln.get("ys") or [])[:len(ln.get("xs") or [])] if _finite(v))
                                     for ln in d["lines"]]
        if nonempty(d.get("folds")):
            out["folds"] = [sum(1 for f in d["folds"] if _iso_ok((f.get("train") or {}).get("start"))
                                or _iso_ok((f.get("test") or {}).get("start")))]
            out["folds-table"] = [len(d["folds"])]
        st = d.get("stitched")
        if isinstance(st, dict) and nonempty(st.get("time")):
            t, e = st.get("time") or [], st.get("equity") or []
            out["stitched-equity"] = [sum(1 for i in range(min(len(t), len(e))) if _finite(t[i]) and _finite(e[i]))]
        if nonempty(d.get("ranking")):
            out["ranking"] = [len(d["ranking"])]
        if nonempty(d.get("tickers")):
            out["tickers"] = [len(d["tickers"])]
        r = d.get("robustness")
        if isinstance(r, dict):
            # the rows optimize.js draws: 6, the winner's, the degradation's, the bootstrap's two
            rows = 6 + (r.get("winner") is not None) + isinstance(r.get("degradation"), dict)
            b = r.get("bootstrap")
            rows += 2 if isinstance(b, dict) and b.get("total_return") and b.get("max_drawdown") else 0
            out["robustness"] = [rows]
            # the charts optimize.js draws beside it (robustnessCharts): bins, points, bands
            hist = r.get("logit_histogram")
            if (isinstance(hist, dict) and nonempty(hist.get("counts")) and _finite(hist.get("lower"))
                    and _finite(hist.get("width")) and _num(hist.get("width")) > 0):
                out["robustness-logits"] = [len(hist["counts"])]
            smp = r.get("split_sample")
            if isinstance(smp, dict) and nonempty(smp.get("in_sample_sharpe")) and isinstance(smp.get("out_of_sample_sharpe"), list):
                a, o = smp["in_sample_sharpe"], smp["out_of_sample_sharpe"]
                out["robustness-scatter"] = [sum(1 for i in range(min(len(a), len(o))) if _finite(a[i]) and _finite(o[i]))]
            if isinstance(b, dict) and b.get("total_return") and b.get("max_drawdown"):
                out["robustness-bootstrap"] = [sum(1 for q in (b["total_return"], b["max_drawdown"])
                                                   if isinstance(q, dict) and all(_finite(q.get(k)) for k in ("p5", "p50", "p95")))]
    elif d.get("kind") == "batch":
        rows = [r for r in (d.get("rows") or []) if isinstance(r, dict)]
        out["batch-table"] = [len(rows)]
        sparks = []
        for r in rows:
            if r.get("stats") is None or r.get("error"):
                continue
            n = sum(1 for v in (r.get("equity") or []) if _finite(v))
            if n:
                sparks.append(n)
        if sparks:
            out["sparkline"] = sparks
    elif d.get("kind") == "portfolio":
        time_ = d.get("time") or []
        eq = d.get("equity") or []
        n = min(len(time_), len(eq))
        pts = [_num(eq[i]) for i in range(n) if _finite(time_[i])]
        if pts:
            out["equity"] = [sum(1 for v in pts if math.isfinite(v))]
            peak, dd = -math.inf, 0
            for v in pts:
                if math.isfinite(v):
                    peak = max(peak, v)
                    dd += 1 if peak > 0 else 0
            out["drawdown"] = [dd]
        w = d.get("weights") or []
        if nonempty(w) and nonempty(d.get("tickers")):
            out["weights"] = [sum(1 for i in range(min(len(time_), len(w))) if _finite(time_[i]) and isinstance(w[i], list))]
        for key in ("contributions", "coverage", "orders"):
            rows = [r for r in (d.get(key) or []) if isinstance(r, dict)]
            if rows:
                out[key] = [len(rows)]
        st = d.get("stats")
        if isinstance(st, dict):
            out["stats"] = [sum(1 for v in st.values() if not isinstance(v, (dict, list)))]
    else:
        return None
    return {k: sorted(v) for k, v in out.items()}


def definition_problems(d, names, few_notes):
    """With the data's `definitions` (the Swift table StatisticDefinition.all): every statistic's
    name shown (a statistics table's label, a statistic column's header) has its definition as
    title, a dagger exactly when it means little on few trades, and a page showing a dagger
    explains it in a caption."""
    defs = d.get("definitions") if isinstance(d, dict) else None
    if not isinstance(defs, dict) or not isinstance(defs.get("statistics"), dict):
        return []
    stats = {k: v for k, v in defs["statistics"].items() if isinstance(v, dict)}
    by_name = {v.get("name"): k for k, v in stats.items()}
    problems, checked, daggers = [], 0, 0
    for n in names:
        text = (n.get("text") or "").replace("\u2020", "").strip()
        key = n.get("key") if n.get("key") in stats else by_name.get(text)
        if key is None:
            continue
        checked += 1
        want = stats[key]
        if not (n.get("title") or "").startswith(want.get("definition") or "\0"):
            problems.append(f"statistic {key} ({text}): title {n.get('title')!r}, not its definition")
        if bool(n.get("few")) != (want.get("few_trades") is True):
            problems.append(f"statistic {key} ({text}): few-trades mark {'shown' if n.get('few') else 'missing'}")
        daggers += 1 if n.get("few") else 0
    if daggers and not few_notes:
        problems.append("a statistic carries the few-trades mark but no caption.few-note explains it")
    if d.get("stats") or d.get("best") or d.get("rows") or d.get("top"):
        if not checked:
            problems.append("the data has definitions but no statistic name shows one")
    return problems


# ---------- the check ----------

PAGE_INFO = """(() => {
    const r = window.__report || {};
    const nav = performance.getEntriesByType('navigation')[0];
    return {
      href: location.href, title: document.title,
      error: r.error || null, violations: r.violations || [], scriptMs: r.scriptMs, readyMs: r.readyMs,
      startMs: r.startMs, phases: r.phases || {}, keyRequired: !!r.keyRequired,
      buckets: r.buckets, domContentLoadedMs: nav ? nav.domContentLoadedEventEnd : null,
      sse: r.sse, samples: r.samples, streams: r.streams, openedReports: r.opened || 0, openErrors: r.openErrors || 0,
      htmlBytes: document.documentElement.outerHTML.length,
      panels: [...document.querySelectorAll('[data-panel]')].map(e => ({
        panel: e.dataset.panel, points: Number(e.dataset.points), name: e.dataset.indicator || null })),
      statsRows: Number((document.getElementById('stats') || {dataset: {}}).dataset.rows || 0),
      tradeRows: Number((document.getElementById('trades') || {dataset: {}}).dataset.rows || 0),
      height: document.documentElement.scrollHeight,
      statNames: [...document.querySelectorAll('td.l, th[data-key^="stat:"]')].map(e => ({
        key: e.tagName === 'TH' ? e.dataset.key.slice(5) : null, text: e.textContent,
        title: e.getAttribute('title'), few: !!e.querySelector('.few-mark') })),
      fewNotes: document.querySelectorAll('caption.few-note').length,
      jobRows: [...document.querySelectorAll('tr[data-job]')].map(tr => ({
        id: tr.dataset.job, kind: tr.dataset.kind === undefined ? null : tr.dataset.kind,
        label: tr.cells[1] ? tr.cells[1].textContent : null,
        note: (tr.querySelector('.item-note') || {}).textContent || '' })),
    };
})()"""


def check(a):
    """Runs the check for parsed arguments `a`; returns the result (with "problems")."""
    if not a.url and not a.report:
        raise SystemExit("give a page (file) or --url")
    if a.url:
        url = a.url + ("#" + a.fragment if a.fragment else "")
        p = urllib.parse.urlsplit(a.url)
        origin = f"{p.scheme}://{p.netloc}"
    else:
        url = "file://" + os.path.abspath(a.report) + ("#" + a.fragment if a.fragment else "")
        origin = None
    expect_counts = None
    if a.expect is not None:
        expect = [k for k in a.expect.split(",") if k]
    elif a.url:
        expect = DASHBOARD_KINDS.split(",")
    else:
        expect_counts = expected_panels(framed_data(a.report) if a.frame else page_data(a.report))
        expect = sorted(expect_counts) if expect_counts is not None else REPORT_KINDS.split(",")
    if a.url and "jobs" not in expect:
        expect.append("jobs")
    zero_ok = {k for k in (a.allow_zero if a.allow_zero is not None else ("jobs" if a.url else "")).split(",") if k}

    profile = tempfile.mkdtemp(prefix="render-check-")
    problems, warnings = [], []
    result = {"report": a.url or a.report, "opened": []}
    events = []  # every event, in order (each with its sessionId)
    cdp = CDP(find_chromium(), profile)

    def pump():
        while not cdp.events.empty():
            events.append(cdp.events.get())

    try:
        target = cdp.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        sid = cdp.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        sessions = {sid: "page"}
        for m in ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable"):
            cdp.send(m, session=sid)
        cdp.send("Emulation.setDeviceMetricsOverride",
                 {"width": a.width, "height": a.height, "deviceScaleFactor": a.scale, "mobile": False}, session=sid)
        cdp.send("Emulation.setEmulatedMedia",
                 {"features": [{"name": "prefers-color-scheme", "value": "dark" if a.dark else "light"}]}, session=sid)
        while not cdp.events.empty():
            cdp.events.get()

        framed = {}  # --frame: the framed page's session (an out-of-process frame) or execution context

        def evaluate(expr, await_promise=False, session=None, gesture=False):
            params = {"expression": expr, "returnByValue": True, "awaitPromise": await_promise, "userGesture": gesture}
            if session is None and "contextId" in framed:
                params["contextId"] = framed["contextId"]
            r = cdp.send("Runtime.evaluate", params, session=session or framed.get("session") or sid)
            if "exceptionDetails" in r:
                raise RuntimeError(f"evaluate {expr!r}: {r['exceptionDetails']}")
            return r["result"].get("value")

        def document_failed():
            # an HTTP page that did not arrive (404, 500): no use waiting for it
            if not a.url:
                return False
            pump()
            return any(ev.get("method") == "Network.responseReceived" and ev.get("sessionId") == sid
                       and ev["params"].get("type") == "Document" and ev["params"]["response"].get("status") != 200
                       for ev in events)

        def wait_ready(session, timeout):
            deadline = time.time() + timeout
            while time.time() < deadline:
                if evaluate("!!(window.__report && window.__report.ready)", session=session):
                    return True
                if session == sid and document_failed():
                    return False
                time.sleep(0.01)
            return False

        def find_frame(timeout):
            """The framed page: an out-of-process iframe's session, else the iframe's default
            execution context in the page's own process."""
            main = cdp.send("Page.getFrameTree", session=sid)["frameTree"]["frame"]["id"]
            deadline = time.time() + timeout
            attached = None
            while time.time() < deadline:
                pump()
                contexts = {}  # in-process frames: the live default contexts of frames other than the main one
                for ev in events:
                    p = ev.get("params", {})
                    if (attached is None and ev.get("method") == "Target.attachedToTarget"
                            and ev.get("sessionId") == sid and p.get("targetInfo", {}).get("type") == "iframe"):
                        attached = p["sessionId"]
                        sessions[attached] = "page"
                        for m in ("Runtime.enable", "Log.enable", "Network.enable"):
                            cdp.send(m, session=attached)
                        if p.get("waitingForDebugger"):
                            cdp.send("Runtime.runIfWaitingForDebugger", session=attached)
                    ctx = p.get("context", {})
                    aux = ctx.get("auxData", {})
                    if (ev.get("method") == "Runtime.executionContextCreated" and ev.get("sessionId") == sid
                            and aux.get("isDefault") and aux.get("frameId") not in (None, main)):
                        contexts[ctx["id"]] = True
                    elif ev.get("method") == "Runtime.executionContextDestroyed" and ev.get("sessionId") == sid:
                        contexts.pop(p.get("executionContextId"), None)
                candidates = [{"session": attached}] if attached else [{"contextId": c} for c in reversed(list(contexts))]
                for cand in candidates:
                    params = {"expression": "location.href", "returnByValue": True}
                    if "contextId" in cand:
                        params["contextId"] = cand["contextId"]
                    try:
                        r = cdp.send("Runtime.evaluate", params, session=cand.get("session") or sid)
                    except RuntimeError:
                        continue
                    if r.get("result", {}).get("value") == "about:srcdoc":
                        return cand
                time.sleep(0.02)
            return None

        if a.frame:
            cdp.send("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": False, "flatten": True},
                     session=sid)
        t0 = time.perf_counter()
        cdp.send("Page.navigate", {"url": url}, session=sid)
        ready_wall = None
        if a.frame:
            found = find_frame(a.timeout)
            if found is None:
                problems.append("--frame: the page has no iframe")
            else:
                framed.update(found)
                result["frame"] = "out-of-process" if "session" in found else "in-process"
        if a.frame and not framed:
            pass
        elif wait_ready(None if a.frame else sid, a.timeout):
            ready_wall = (time.perf_counter() - t0) * 1000
        elif not document_failed():
            problems.append(f"not ready after {a.timeout:g}s")

        if a.url and ready_wall is not None:
            # the key form, then the panels: they fill in as the API answers
            if evaluate("!!(window.__report && window.__report.keyRequired)"):
                if a.api_key:
                    evaluate("(() => { const f = document.getElementById('key-form'); "
                             "document.getElementById('api-key').value = " + json.dumps(a.api_key) + "; "
                             "f.requestSubmit(); })()", gesture=True)
                    result["keyEntered"] = True
                else:
                    problems.append("the server wants an API key (the page shows its key form; use --api-key)")
            want = json.dumps(sorted(set(expect)))
            zero = json.dumps(sorted(zero_ok))
            done_expr = ("(() => { const want = " + want + ", zero = " + zero + "; "
                         "const els = [...document.querySelectorAll('[data-panel]')]; "
                         "return want.every(k => els.some(e => e.dataset.panel === k && "
                         "(zero.includes(k) || Number(e.dataset.points) > 0))) "
                         "&& !(window.__report && window.__report.keyRequired); })()")
            deadline = time.time() + a.timeout
            while time.time() < deadline and not evaluate(done_expr):
                time.sleep(0.05)
            result["panelsWallMs"] = (time.perf_counter() - t0) * 1000
        if a.wait_for and ready_wall is not None:
            deadline = time.time() + a.timeout
            while time.time() < deadline and not evaluate("!!(" + a.wait_for + ")"):
                time.sleep(0.05)
            if not evaluate("!!(" + a.wait_for + ")"):
                problems.append(f"--wait-for {a.wait_for}: still false after {a.timeout:g}s")

        info = evaluate(PAGE_INFO) or {}
        result.update(info)
        result["readyWallMs"] = ready_wall
        if info.get("error"):
            problems.append("page error: " + info["error"].splitlines()[0])
        for v in info.get("violations", []):
            problems.append("CSP violation: " + v)
        panels = info.get("panels", [])
        kinds = {p["panel"] for p in panels}
        for k in expect:
            if k not in kinds:
                problems.append(f"no [data-panel={k}] element")
        for p in panels:
            if p["panel"] not in zero_ok and (not p["points"] or p["points"] <= 0):
                problems.append(f"panel {p['panel']}{' ' + p['name'] if p['name'] else ''} has data-points={p['points']}")
        if expect_counts is not None:
            got = {}
            for p in panels:
                got.setdefault(p["panel"], []).append(p["points"])
            for k in sorted(set(got) | set(expect_counts)):
                g, w = sorted(got.get(k, [])), expect_counts.get(k)
                if w is None:
                    problems.append(f"[data-panel={k}] drawn ({len(g)}) but the data has no such section")
                elif g != w and k in got:
                    problems.append(f"[data-panel={k}] data-points {g}, the data calls for {w}")
            result["expected"] = expect_counts
        for row in info.get("jobRows", []) if a.url else []:
            if row.get("kind") and row.get("label") == row["kind"]:
                problems.append(f"job {row['id']} shows the API's kind '{row['kind']}' (the dashboard has no label for it)")
        data = None if a.url else (framed_data(a.report) if a.frame else page_data(a.report))
        problems += definition_problems(data, info.get("statNames", []), info.get("fewNotes", 0))

        if a.png:
            if not a.viewport_only and not a.frame:
                full = min(int(info.get("height") or a.height), 16000)
                cdp.send("Emulation.setDeviceMetricsOverride",
                         {"width": a.width, "height": max(a.height, full), "deviceScaleFactor": a.scale, "mobile": False},
                         session=sid)
            evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 50))))", True)
            if a.hover:
                if re.match(r"^-?[\d.]+,-?[\d.]+$", a.hover):
                    hx, hy = (float(v) for v in a.hover.split(","))
                else:  # a CSS selector: the middle of that element
                    r = evaluate("(() => { const e = document.querySelector(" + json.dumps(a.hover) + "); if (!e) return null; "
                                 "e.scrollIntoView({block: 'center'}); const b = e.getBoundingClientRect(); return [b.left + b.width / 2, b.top + b.height / 2]; })()")
                    if r is None:
                        problems.append(f"--hover {a.hover}: no such element")
                        r = [0, 0]
                    hx, hy = r
                for dx in (-3, 0):
                    cdp.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": hx + dx, "y": hy}, session=sid)
                evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 50))))", True)
            params = {"format": "png"}
            if a.clip:
                x, y, w, hh = (float(v) for v in a.clip.split(","))
                params["clip"] = {"x": x, "y": y, "width": w, "height": hh, "scale": 1}
            shot = cdp.send("Page.captureScreenshot", params, session=sid)
            with open(a.png, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
            result["png"] = a.png

        # reports opened in new tabs
        if a.click:
            cdp.send("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": True})
            cur = sid
            known = set(sessions)
            known_targets = {target}
            for sel in a.click:
                pump()
                mark = len(events)
                # clicked after this call returns: the new tab shares the page's process and waits
                # for us (waitForDebuggerOnStart) before it runs, and so would the page
                clicked = evaluate("(() => { const e = document.querySelector(" + json.dumps(sel) + "); "
                                   "if (!e) return false; e.scrollIntoView(); setTimeout(() => e.click(), 0); "
                                   "return true; })()", session=cur, gesture=True)
                if not clicked:
                    problems.append(f"--click {sel}: no such element")
                    break
                new = None
                deadline = time.time() + a.timeout
                while time.time() < deadline and new is None:
                    pump()
                    for ev in events[mark:]:
                        if ev.get("method") != "Target.attachedToTarget":
                            continue
                        p = ev["params"]
                        s2 = p["sessionId"]
                        tid = p.get("targetInfo", {}).get("targetId")
                        if s2 in known or tid in known_targets:
                            if p.get("waitingForDebugger") and s2 not in known:
                                cdp.send("Runtime.runIfWaitingForDebugger", session=s2)
                            known.add(s2)
                            continue
                        known.add(s2)
                        known_targets.add(tid)
                        if p.get("targetInfo", {}).get("type") == "page" and new is None:
                            for m in ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable"):
                                cdp.send(m, session=s2)
                            new = s2
                        if p.get("waitingForDebugger"):
                            cdp.send("Runtime.runIfWaitingForDebugger", session=s2)
                    time.sleep(0.02)
                if new is None:
                    problems.append(f"--click {sel}: no new tab opened")
                    break
                sessions[new] = "opened"
                tc = time.perf_counter()
                ok = False
                deadline = time.time() + a.timeout
                while time.time() < deadline:
                    st = evaluate("({p: location.protocol, r: !!(window.__report && window.__report.ready)})", session=new)
                    if st and st["p"] != "about:" and st["r"]:
                        ok = True
                        break
                    time.sleep(0.02)
                oi = evaluate(PAGE_INFO, session=new) or {}
                opened = {"click": sel, "href": oi.get("href"), "readyWallMs": (time.perf_counter() - tc) * 1000 if ok else None,
                          "panels": oi.get("panels", []), "htmlBytes": oi.get("htmlBytes")}
                result["opened"].append(opened)
                label = f"opened by {sel}"
                if not ok:
                    problems.append(f"{label}: not ready after {a.timeout:g}s ({oi.get('href')})")
                if oi.get("error"):
                    problems.append(f"{label}: page error: " + oi["error"].splitlines()[0])
                for v in oi.get("violations", []):
                    problems.append(f"{label}: CSP violation: " + v)
                if not oi.get("panels"):
                    problems.append(f"{label}: no [data-panel] element")
                for p in oi.get("panels", []):
                    if p["panel"] not in ("pl", "jobs") and (not p["points"] or p["points"] <= 0):
                        problems.append(f"{label}: panel {p['panel']} has data-points={p['points']}")
                cur = new

        # everything the pages said on the way
        time.sleep(0.05)
        pump()
        for ev in events:
            m, p = ev.get("method"), ev.get("params", {})
            where = "" if sessions.get(ev.get("sessionId")) == "page" else "opened page: "
            if ev.get("sessionId") not in sessions:
                continue
            if m == "Runtime.consoleAPICalled":
                text = " ".join(str(x.get("value", x.get("description", ""))) for x in p.get("args", []))
                if p.get("type") in ("error", "assert"):
                    problems.append(where + "console." + p["type"] + ": " + text)
                elif p.get("type") == "warning":
                    warnings.append(where + "console.warn: " + text)
            elif m == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                problems.append(where + "uncaught: " + (d.get("exception", {}).get("description") or d.get("text", "")).splitlines()[0])
            elif m == "Log.entryAdded":
                e = p.get("entry", {})
                line = f"log {e.get('source')}/{e.get('level')}: {e.get('text')}"
                if e.get("level") == "error" and e.get("source") == "network" and "status of 401" in (e.get("text") or "") and a.url:
                    warnings.append(where + line + " (the page asks for a key)")
                elif e.get("level") == "error":
                    problems.append(where + line)
                elif e.get("level") == "warning":
                    warnings.append(where + line)
            elif m == "Network.requestWillBeSent":
                u = p.get("request", {}).get("url", "")
                if u.startswith(("data:", "about:", "blob:")):
                    continue
                if origin is None and u.startswith("file:"):
                    continue
                if origin is not None and (u == origin or u.startswith(origin + "/")):
                    continue
                problems.append(where + "network request: " + u)
            elif m == "Network.responseReceived" and p.get("type") == "Document" and a.url:
                r = p.get("response", {})
                if r.get("url", "").startswith(origin) and r.get("status") != 200:
                    problems.append(f"{where}{r.get('url')} answered {r.get('status')}")
    except RuntimeError as e:
        problems.append(str(e))
    finally:
        cdp.close()
        shutil.rmtree(profile, ignore_errors=True)

    result["problems"] = problems
    result["warnings"] = warnings
    return result


def main():
    a = parser().parse_args()
    result = check(a)
    problems, warnings = result["problems"], result["warnings"]
    if a.json:
        print(json.dumps(result, indent=1))
    else:
        panels = ", ".join(f"{p['panel']}{'(' + p['name'] + ')' if p['name'] else ''}={p['points']}"
                           for p in result.get("panels", []))
        print(f"{result['report']}: panels {panels}")
        fmt = lambda v: "?" if v is None else f"{v:.0f} ms"
        phases = " ".join(f"{k} {v:.0f}" for k, v in (result.get("phases") or {}).items())
        print(f"  ready {fmt(result.get('readyWallMs'))} after Page.navigate; in the page: script starts at "
              f"{fmt(result.get('startMs'))}, runs {fmt(result.get('scriptMs'))} ({phases}), painted at "
              f"{fmt(result.get('readyMs'))} since navigation start")
        if result.get("panelsWallMs") is not None:
            print(f"  panels filled {fmt(result.get('panelsWallMs'))} after Page.navigate; "
                  f"{result.get('samples')} load sample(s), {result.get('sse')} live event(s)")
        print(f"  stats rows {result.get('statsRows')}, trade rows {result.get('tradeRows')}, "
              f"buckets of {result.get('buckets')} bar(s), page {result.get('htmlBytes')} chars")
        for o in result.get("opened", []):
            ops = ", ".join(f"{p['panel']}={p['points']}" for p in o.get("panels", []))
            print(f"  opened {o.get('href')} ({o.get('htmlBytes')} chars), ready {fmt(o.get('readyWallMs'))}: {ops}")
        if result.get("png"):
            print(f"  screenshot {result['png']}")
        for w in warnings:
            print("  warning: " + w)
        for p in problems:
            print("  FAIL: " + p)
        print("  ok" if not problems else f"  {len(problems)} problem(s)")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
