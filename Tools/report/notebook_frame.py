#!/usr/bin/env python3
"""Wraps a page as the Python client shows it in Jupyter: a host page (like a notebook's output
area) holding `Report(page)._repr_html_()`, the page in `<iframe srcdoc sandbox="allow-scripts">`.

    notebook_frame.py PAGE.html OUT.html

render_check.py --frame OUT.html then checks the framed page as it checks the page itself. Loads
clients/python/src/backtest_client/_report.py directly (standard library only), so it runs
without the client's dependencies.
"""
import importlib.util
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
HOST = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>notebook output</title>
<style>body {{ font: 14px sans-serif; margin: 16px; }} .output {{ border-left: 3px solid #ccc; padding-left: 8px; }}</style>
</head>
<body>
<div class="prompt">Out[1]: {repr}</div>
<div class="output">{frame}</div>
</body>
</html>
"""


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: notebook_frame.py PAGE.html OUT.html")
    spec = importlib.util.spec_from_file_location("report", ROOT / "clients/python/src/backtest_client/_report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    report = module.Report(pathlib.Path(sys.argv[1]).read_text(encoding="utf-8"))
    import html
    page = HOST.format(repr=html.escape(repr(report)), frame=report._repr_html_())
    pathlib.Path(sys.argv[2]).write_text(page, encoding="utf-8")


if __name__ == "__main__":
    main()
