#!/usr/bin/env python3
"""Assembles the report template, Sources/BacktestReport/Resources/report.html.

Inputs (all in the repository):
  Tools/report/src/report.src.html   the page, with @CSS@, @UPLOT_JS@, @APP_JS@ and @CSP@ markers
  Tools/report/src/report.css        the page's styles
  Tools/report/src/report.js         the page's script
  Sources/BacktestReport/Resources/vendor/uPlot.iife.min.js, uPlot.min.css   (see VENDOR.md)

The scripts and the style are inlined, and a Content-Security-Policy <meta> is written with the
sha256 of each inline <script> and <style> block exactly as it stands in the output, so the page
runs with `script-src` and `style-src` limited to those hashes (no 'unsafe-inline'). The data
block (<script type="application/json">) is not executed and needs no hash; filling it in
(replacing __REPORT_DATA__) leaves every hash valid.

Also writes report.csp.txt beside the template: the same policy as one line, for an HTTP
Content-Security-Policy header (the server should send it with the report).

    build_template.py            # write the template
    build_template.py --check    # exit 1 if the committed template is not what the sources make

Python 3 standard library only.
"""
import base64
import hashlib
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RES = os.path.join(ROOT, "Sources", "BacktestReport", "Resources")
OUT = os.path.join(RES, "report.html")
CSP_OUT = os.path.join(RES, "report.csp.txt")
PLACEHOLDER = "__REPORT_DATA__"


def read(*parts):
    with open(os.path.join(*parts), encoding="utf-8") as f:
        return f.read()


def sha256(text):
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def build():
    page = read(HERE, "src", "report.src.html")
    css = read(RES, "vendor", "uPlot.min.css").strip() + "\n" + read(HERE, "src", "report.css").strip() + "\n"
    uplot = read(RES, "vendor", "uPlot.iife.min.js").strip() + "\n"
    app = read(HERE, "src", "report.js").strip() + "\n"

    for name, text, closer in (("CSS", css, "</style"), ("uPlot", uplot, "</script"), ("report.js", app, "</script")):
        if closer in text.lower() or "<!--" in text:
            raise SystemExit(f"{name} contains {closer} or <!--, which would end its element early")
        if PLACEHOLDER in text:
            raise SystemExit(f"{name} contains {PLACEHOLDER}; the data placeholder must occur only once")

    for marker in ("@CSS@", "@UPLOT_JS@", "@APP_JS@", "@CSP@"):
        if page.count(marker) != 1:
            raise SystemExit(f"report.src.html must contain {marker} exactly once")
    page = page.replace("@CSS@", css).replace("@UPLOT_JS@", uplot).replace("@APP_JS@", app)

    # Hash every inline block as it stands (the JSON data block excepted: it is not run).
    scripts, styles = [], []
    for m in re.finditer(r"<script([^>]*)>(.*?)</script>", page, re.S):
        if "application/json" in m.group(1):
            if m.group(2) != PLACEHOLDER:
                raise SystemExit("the data block must hold only the placeholder")
            continue
        if "src=" in m.group(1):
            raise SystemExit("external scripts are not allowed")
        scripts.append(sha256(m.group(2)))
    for m in re.finditer(r"<style[^>]*>(.*?)</style>", page, re.S):
        styles.append(sha256(m.group(1)))
    markup = re.sub(r"<(script|style)([^>]*)>.*?</\1>", "", page, flags=re.S)
    if re.search(r"<[^>]*\sstyle\s*=", markup):
        raise SystemExit("inline style attributes would need 'unsafe-inline'; use classes")
    if re.search(r"<[^>]*\son[a-z]+\s*=", markup):
        raise SystemExit("inline event handlers are not allowed")

    csp = "; ".join([
        "default-src 'none'",
        "script-src " + " ".join(scripts),
        "style-src " + " ".join(styles),
        "img-src data:",
        "base-uri 'none'",
        "form-action 'none'",
    ])
    page = page.replace("@CSP@", csp)
    if page.count(PLACEHOLDER) != 1:
        raise SystemExit(f"the template must contain {PLACEHOLDER} exactly once")
    return page, csp


def main():
    page, csp = build()
    if "--check" in sys.argv[1:]:
        ok = os.path.exists(OUT) and read(OUT) == page and os.path.exists(CSP_OUT) and read(CSP_OUT) == csp + "\n"
        print("report.html is up to date" if ok else "report.html is stale: run Tools/report/build_template.py")
        sys.exit(0 if ok else 1)
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(page)
    with open(CSP_OUT, "w", encoding="utf-8") as f:
        f.write(csp + "\n")
    print(f"{os.path.relpath(OUT, ROOT)}: {len(page.encode('utf-8'))} bytes")
    print(f"CSP: {csp}")


if __name__ == "__main__":
    main()
