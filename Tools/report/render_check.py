#!/usr/bin/env python3
"""Opens a filled report in headless Chromium, checks it, and saves a screenshot.

    render_check.py REPORT.html [--png OUT.png] [--dark] [--width 1400] [--height 1000] [--scale 1]
        [--viewport-only] [--clip X,Y,W,H] [--fragment bars=100-300|trade=5] [--hover X,Y]
        [--expect equity,drawdown,pl,ohlc,volume,indicator] [--allow-zero pl] [--timeout 30] [--json]

Fails (exit 1) when the page logs a console error or an uncaught exception, violates its
Content-Security-Policy, requests anything but file:/data:/about: URLs, does not signal ready
(window.__report.ready) in time, reports a drawing error, or when a panel kind in --expect is
missing or a [data-panel] element has data-points <= 0 (unless its kind is in --allow-zero).
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
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time


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
        # fds 3 and 4 in the child must be exactly these ends
        r_hi = os.dup2(to_child_r, 100)
        w_hi = os.dup2(from_child_w, 101)
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
    ap.add_argument("report")
    ap.add_argument("--png")
    ap.add_argument("--dark", action="store_true", help="emulate prefers-color-scheme: dark")
    ap.add_argument("--width", type=int, default=1400)
    ap.add_argument("--height", type=int, default=1000)
    ap.add_argument("--viewport-only", action="store_true", help="screenshot the viewport, not the whole page")
    ap.add_argument("--scale", type=float, default=1, help="device pixel ratio (2 for a HiDPI screen)")
    ap.add_argument("--clip", help="screenshot only X,Y,W,H (CSS pixels)")
    ap.add_argument("--fragment", default="", help="URL fragment, e.g. bars=100-300 or trade=5")
    ap.add_argument("--hover", help="move the mouse to X,Y (CSS pixels) before the screenshot")
    ap.add_argument("--expect", default="equity,drawdown,pl,ohlc,volume,indicator",
                    help="panel kinds that must be present (comma-separated; empty for none)")
    ap.add_argument("--allow-zero", default="", help="panel kinds that may have data-points=0 (e.g. pl for no trades)")
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--json", action="store_true")
    return ap


def check(a):
    """Runs the check for parsed arguments `a`; returns the result (with "problems")."""
    url = "file://" + os.path.abspath(a.report) + ("#" + a.fragment if a.fragment else "")
    profile = tempfile.mkdtemp(prefix="render-check-")
    problems, warnings = [], []
    result = {"report": a.report}
    cdp = CDP(find_chromium(), profile)
    try:
        target = cdp.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        sid = cdp.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for m in ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable"):
            cdp.send(m, session=sid)
        cdp.send("Emulation.setDeviceMetricsOverride",
                 {"width": a.width, "height": a.height, "deviceScaleFactor": a.scale, "mobile": False}, session=sid)
        cdp.send("Emulation.setEmulatedMedia",
                 {"features": [{"name": "prefers-color-scheme", "value": "dark" if a.dark else "light"}]}, session=sid)
        while not cdp.events.empty():
            cdp.events.get()

        t0 = time.perf_counter()
        cdp.send("Page.navigate", {"url": url}, session=sid)

        def evaluate(expr, await_promise=False):
            r = cdp.send("Runtime.evaluate", {"expression": expr, "returnByValue": True, "awaitPromise": await_promise},
                         session=sid)
            if "exceptionDetails" in r:
                raise RuntimeError(f"evaluate {expr!r}: {r['exceptionDetails']}")
            return r["result"].get("value")

        ready_wall = None
        deadline = time.time() + a.timeout
        while time.time() < deadline:
            if evaluate("!!(window.__report && window.__report.ready)"):
                ready_wall = (time.perf_counter() - t0) * 1000
                break
            time.sleep(0.01)
        if ready_wall is None:
            problems.append(f"not ready after {a.timeout:g}s")

        info = evaluate("""(() => {
            const r = window.__report || {};
            const nav = performance.getEntriesByType('navigation')[0];
            return {
              error: r.error || null, violations: r.violations || [], scriptMs: r.scriptMs, readyMs: r.readyMs,
              startMs: r.startMs, phases: r.phases || {},
              buckets: r.buckets, domContentLoadedMs: nav ? nav.domContentLoadedEventEnd : null,
              htmlBytes: document.documentElement.outerHTML.length,
              panels: [...document.querySelectorAll('[data-panel]')].map(e => ({
                panel: e.dataset.panel, points: Number(e.dataset.points), name: e.dataset.indicator || null })),
              statsRows: Number((document.getElementById('stats') || {dataset: {}}).dataset.rows || 0),
              tradeRows: Number((document.getElementById('trades') || {dataset: {}}).dataset.rows || 0),
              height: document.documentElement.scrollHeight,
            };
        })()""") or {}
        result.update(info)
        result["readyWallMs"] = ready_wall
        if info.get("error"):
            problems.append("page error: " + info["error"].splitlines()[0])
        for v in info.get("violations", []):
            problems.append("CSP violation: " + v)
        kinds = {p["panel"] for p in info.get("panels", [])}
        for k in [k for k in a.expect.split(",") if k]:
            if k not in kinds:
                problems.append(f"no [data-panel={k}] element")
        zero_ok = {k for k in a.allow_zero.split(",") if k}
        for p in info.get("panels", []):
            if p["panel"] not in zero_ok and (not p["points"] or p["points"] <= 0):
                problems.append(f"panel {p['panel']}{' ' + p['name'] if p['name'] else ''} has data-points={p['points']}")

        if a.png:
            if not a.viewport_only:
                full = min(int(info.get("height") or a.height), 16000)
                cdp.send("Emulation.setDeviceMetricsOverride",
                         {"width": a.width, "height": max(a.height, full), "deviceScaleFactor": a.scale, "mobile": False},
                         session=sid)
            evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 50))))", True)
            if a.hover:
                hx, hy = (float(v) for v in a.hover.split(","))
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

        # everything the page said on the way
        time.sleep(0.05)
        while not cdp.events.empty():
            ev = cdp.events.get()
            m, p = ev.get("method"), ev.get("params", {})
            if m == "Runtime.consoleAPICalled":
                text = " ".join(str(x.get("value", x.get("description", ""))) for x in p.get("args", []))
                if p.get("type") in ("error", "assert"):
                    problems.append("console." + p["type"] + ": " + text)
                elif p.get("type") == "warning":
                    warnings.append("console.warn: " + text)
            elif m == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                problems.append("uncaught: " + (d.get("exception", {}).get("description") or d.get("text", "")).splitlines()[0])
            elif m == "Log.entryAdded":
                e = p.get("entry", {})
                line = f"log {e.get('source')}/{e.get('level')}: {e.get('text')}"
                if e.get("level") == "error":
                    problems.append(line)
                elif e.get("level") == "warning":
                    warnings.append(line)
            elif m == "Network.requestWillBeSent":
                u = p.get("request", {}).get("url", "")
                if not u.startswith(("file:", "data:", "about:")):
                    problems.append("network request: " + u)
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
        print(f"{a.report}: panels {panels}")
        fmt = lambda v: "?" if v is None else f"{v:.0f} ms"
        phases = " ".join(f"{k} {v:.0f}" for k, v in (result.get("phases") or {}).items())
        print(f"  ready {fmt(result.get('readyWallMs'))} after Page.navigate; in the page: script starts at "
              f"{fmt(result.get('startMs'))}, runs {fmt(result.get('scriptMs'))} ({phases}), painted at "
              f"{fmt(result.get('readyMs'))} since navigation start")
        print(f"  stats rows {result.get('statsRows')}, trade rows {result.get('tradeRows')}, "
              f"buckets of {result.get('buckets')} bar(s), page {result.get('htmlBytes')} chars")
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
