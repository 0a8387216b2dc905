#!/usr/bin/env python3
"""Assembles the bundled pages in Sources/BacktestReport/Resources/ from Tools/report/src.

    report.html     one backtest                  (data: __REPORT_DATA__)
    optimize.html   a parameter search            (data: __REPORT_DATA__)
    batch.html      a batch, one row per ticker   (data: __REPORT_DATA__)
    portfolio.html  a portfolio backtest          (data: __REPORT_DATA__)
    dashboard.html  the server's live dashboard   (no data: it calls the API)

Inputs (all in the repository), for each page NAME:
  Tools/report/src/NAME.src.html   the page, with @CSS@, @APP_JS@ and @CSP@ markers (and @UPLOT_JS@
                                   when it draws with uPlot)
  Tools/report/src/NAME.css        its styles
  Tools/report/src/NAME.js         its script
  Tools/report/src/lib/*           pieces shared by the pages (see "includes" below)
  Sources/BacktestReport/Resources/vendor/uPlot.iife.min.js, uPlot.min.css   (see VENDOR.md)

Includes: a line that is only `//#include lib/FILE` (in a .js) or `/*#include lib/FILE*/` (in a
.css), leading blanks allowed, is replaced by the text of src/lib/FILE, byte for byte. That is how
the pages share helpers (formatting, the statistics' labels, the theme) while report.html stays
exactly what it was before the split.

The scripts and the style are inlined, and a Content-Security-Policy <meta> is written with the
sha256 of each inline <script> and <style> block exactly as it stands in the output, so the page
runs with `script-src` and `style-src` limited to those hashes (no 'unsafe-inline'). The data
block (<script type="application/json">) is not executed and needs no hash; filling it in
(replacing __REPORT_DATA__) leaves every hash valid.

A page that opens other pages as blob: URLs (batch.html opens the per-ticker reports, the
dashboard opens every kind of report) also lists their hashes: a blob: document inherits the
policy of the page that made it (its own <meta> policy applies on top), so without them the
opened report's scripts would be blocked. Those pages also get `connect-src 'self'`.

Also writes NAME.csp.txt beside each page: the same policy as one line, for an HTTP
Content-Security-Policy header (the server should send it with the page). The dashboard's adds
`frame-ancestors 'none'`, which only works as a header (in a <meta> Chromium ignores it and
logs an error, so the <meta> leaves it out).

    build_template.py            # write the pages
    build_template.py --check    # exit 1 if a committed page is not what the sources make

Python 3 standard library only.
"""
import base64
import hashlib
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SRC = os.path.join(HERE, "src")
RES = os.path.join(ROOT, "Sources", "BacktestReport", "Resources")
PLACEHOLDER = "__REPORT_DATA__"

# name, draws with uPlot, has a data block, pages it opens as blob: URLs, fetches from its origin,
# frame-ancestors 'none' in the header policy. In build order (a page's openings are built first).
PAGES = [
    dict(name="report", uplot=True, data=True, opens=[], connect=False, frames=False),
    dict(name="optimize", uplot=True, data=True, opens=[], connect=False, frames=False),
    dict(name="batch", uplot=False, data=True, opens=["report"], connect=True, frames=False),
    dict(name="portfolio", uplot=True, data=True, opens=[], connect=False, frames=False),
    dict(name="dashboard", uplot=True, data=False, opens=["report", "optimize", "batch"], connect=True, frames=True),
]
INCLUDE = re.compile(r"^[ \t]*(?://#include[ \t]+(\S+)|/\*#include[ \t]+(\S+?)[ \t]*\*/)[ \t]*\n", re.M)


def read(*parts):
    with open(os.path.join(*parts), encoding="utf-8") as f:
        return f.read()


def expand(text, depth=0):
    """Replaces every include line by the file it names (relative to src/)."""
    def one(m):
        name = m.group(1) or m.group(2)
        if depth > 4 or ".." in name.split("/"):
            raise SystemExit(f"bad include {name}")
        body = read(SRC, name)
        if not body.endswith("\n"):
            body += "\n"
        return expand(body, depth + 1)
    return INCLUDE.sub(one, text)


def sha256(text):
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def unique(xs):
    out = []
    for x in xs:
        if x not in out:
            out.append(x)
    return out


def build_page(spec, built):
    """Returns (page, meta policy, header policy, script hashes, style hashes)."""
    name = spec["name"]
    page = read(SRC, name + ".src.html")
    css = expand(read(SRC, name + ".css")).strip() + "\n"
    if spec["uplot"]:
        css = read(RES, "vendor", "uPlot.min.css").strip() + "\n" + css
    app = expand(read(SRC, name + ".js")).strip() + "\n"
    blocks = [("CSS", css, "</style"), (name + ".js", app, "</script")]
    uplot = read(RES, "vendor", "uPlot.iife.min.js").strip() + "\n"
    if spec["uplot"]:
        blocks.append(("uPlot", uplot, "</script"))

    for what, text, closer in blocks:
        if closer in text.lower() or "<!--" in text:
            raise SystemExit(f"{name}: {what} contains {closer} or <!--, which would end its element early")
        if PLACEHOLDER in text:
            raise SystemExit(f"{name}: {what} contains {PLACEHOLDER}; the data placeholder must occur only once")

    markers = ["@CSS@", "@APP_JS@", "@CSP@"] + (["@UPLOT_JS@"] if spec["uplot"] else [])
    for marker in markers:
        if page.count(marker) != 1:
            raise SystemExit(f"{name}.src.html must contain {marker} exactly once")
    if not spec["uplot"] and "@UPLOT_JS@" in page:
        raise SystemExit(f"{name}.src.html has @UPLOT_JS@ but the page is not built with uPlot")
    page = page.replace("@CSS@", css).replace("@APP_JS@", app)
    if spec["uplot"]:
        page = page.replace("@UPLOT_JS@", uplot)

    # Hash every inline block as it stands (the JSON data block excepted: it is not run).
    scripts, styles = [], []
    for m in re.finditer(r"<script([^>]*)>(.*?)</script>", page, re.S):
        if "application/json" in m.group(1):
            if m.group(2) != PLACEHOLDER:
                raise SystemExit(f"{name}: the data block must hold only the placeholder")
            continue
        if "src=" in m.group(1):
            raise SystemExit(f"{name}: external scripts are not allowed")
        scripts.append(sha256(m.group(2)))
    for m in re.finditer(r"<style[^>]*>(.*?)</style>", page, re.S):
        styles.append(sha256(m.group(1)))
    markup = re.sub(r"<(script|style)([^>]*)>.*?</\1>", "", page, flags=re.S)
    if re.search(r"<[^>]*\sstyle\s*=", markup):
        raise SystemExit(f"{name}: inline style attributes would need 'unsafe-inline'; use classes")
    if re.search(r"<[^>]*\son[a-z]+\s*=", markup):
        raise SystemExit(f"{name}: inline event handlers are not allowed")
    if re.search(r"<(link|img|iframe|object|embed|audio|video|source)\b[^>]*\s(src|href)\s*=\s*\"(?!data:)", markup, re.I):
        raise SystemExit(f"{name}: the page may load nothing (only data: URLs)")

    own_scripts, own_styles = scripts, styles
    for other in spec["opens"]:
        scripts = scripts + built[other][3]
        styles = styles + built[other][4]
    directives = [
        "default-src 'none'",
        "script-src " + " ".join(unique(scripts)),
        "style-src " + " ".join(unique(styles)),
    ]
    if spec["connect"]:
        directives.append("connect-src 'self'")
    directives += ["img-src data:", "base-uri 'none'", "form-action 'none'"]
    meta = "; ".join(directives)
    header = meta + ("; frame-ancestors 'none'" if spec["frames"] else "")
    page = page.replace("@CSP@", meta)
    want = 1 if spec["data"] else 0
    if page.count(PLACEHOLDER) != want:
        raise SystemExit(f"{name}: the page must contain {PLACEHOLDER} exactly {want} time(s)")
    return page, meta, header, own_scripts, own_styles


def build():
    built = {}
    for spec in PAGES:
        built[spec["name"]] = build_page(spec, built)
    return built


def main():
    built = build()
    check = "--check" in sys.argv[1:]
    stale = []
    for spec in PAGES:
        name = spec["name"]
        page, meta, header = built[name][:3]
        out, csp_out = os.path.join(RES, name + ".html"), os.path.join(RES, name + ".csp.txt")
        if check:
            ok = (os.path.exists(out) and read(out) == page and os.path.exists(csp_out)
                  and read(csp_out) == header + "\n")
            if not ok:
                stale.append(name + ".html")
            continue
        with open(out, "w", encoding="utf-8") as f:
            f.write(page)
        with open(csp_out, "w", encoding="utf-8") as f:
            f.write(header + "\n")
        print(f"{os.path.relpath(out, ROOT)}: {len(page.encode('utf-8'))} bytes")
        print(f"  CSP: {header}")
    if check:
        names = ", ".join(s["name"] + ".html" for s in PAGES)
        print(f"{names}: up to date" if not stale else
              f"stale: {', '.join(stale)}: run Tools/report/build_template.py")
        sys.exit(1 if stale else 0)


if __name__ == "__main__":
    main()
