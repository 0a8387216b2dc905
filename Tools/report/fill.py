#!/usr/bin/env python3
"""Fills a page template (report.html, optimize.html, batch.html) with data, exactly as the Swift side does.

    fill.py TEMPLATE DATA.json OUT.html

The template holds the literal text __REPORT_DATA__ once, inside
`<script id="report-data" type="application/json">`. It is replaced by the data as compact JSON
with every `<` written as `\\u003c`, so nothing in the data can close the script element (or open
a comment). Nothing else in the template changes, so the CSP hashes of its scripts and styles
still hold. Python 3 standard library only.
"""
import json
import sys

PLACEHOLDER = "__REPORT_DATA__"


def fill(template: str, data) -> str:
    if template.count(PLACEHOLDER) != 1:
        raise SystemExit(f"template must contain {PLACEHOLDER} exactly once")
    payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    payload = payload.replace("<", "\\u003c")
    return template.replace(PLACEHOLDER, payload)


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    template_path, data_path, out_path = sys.argv[1:]
    with open(template_path, encoding="utf-8") as f:
        template = f.read()
    with open(data_path, encoding="utf-8") as f:
        data = json.load(f)
    with open(out_path, "w", encoding="utf-8") as f:
        f.write(fill(template, data))


if __name__ == "__main__":
    main()
