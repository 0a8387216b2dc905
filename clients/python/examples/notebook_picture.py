#!/usr/bin/env python3
"""The README's picture of the notebook workflow: runs research.ipynb against a server with
nbclient, lays out some of its cells (source and outputs, as Jupyter shows them) in one page,
and screenshots it with headless Chromium.

    python examples/notebook_picture.py --server http://127.0.0.1:8000 docs/notebook.png \
        [--cells optimize,heatmap,report] [--width 1100] [--report-height 760]

Needs nbclient, nbformat and ipykernel (the test extras) and Chromium (`apt-get install
chromium`, or $CHROMIUM).
"""

from __future__ import annotations

import argparse
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
STYLE = """
body { font: 14px/1.4 -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; padding: 16px 20px; background: #fff; }
.cell { display: grid; grid-template-columns: 70px 1fr; gap: 4px 8px; margin-bottom: 14px; }
.prompt { color: #303f9f; font: 12px monospace; text-align: right; padding-top: 6px; }
.prompt.out { color: #d84315; }
.source { background: #f5f5f5; border: 1px solid #e0e0e0; border-radius: 2px; padding: 6px 8px;
          font: 13px/1.4 monospace; white-space: pre; overflow: hidden; }
.output { overflow: hidden; }
.output pre { margin: 4px 0; font: 13px/1.4 monospace; }
.output table { border-collapse: collapse; font: 12px monospace; }
.output th, .output td { padding: 2px 6px; text-align: right; border-bottom: 1px solid #eee; }
.output thead th { border-bottom: 1px solid #aaa; }
"""


def run(server: str) -> object:
    import nbclient
    import nbformat

    notebook = nbformat.read(HERE / "research.ipynb", as_version=4)
    os.environ["BACKTEST_URL"] = server
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    return notebook


def page(notebook: object, tags: list[str], report_height: int) -> str:
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><style>{STYLE}</style></head><body>"]
    for tag in tags:
        cells = [c for c in notebook.cells if tag in c.get("metadata", {}).get("tags", [])]  # type: ignore[attr-defined]
        if not cells:
            raise SystemExit(f"no cell tagged {tag!r}")
        cell = cells[0]
        n = cell.get("execution_count") or ""
        parts.append(
            f"<div class='cell'><div class='prompt'>In [{n}]:</div><div class='source'>{html.escape(cell.source)}</div>"
        )
        for output in cell.outputs:
            if output.output_type == "stream":
                continue  # the progress bar's carriage returns
            data = output.get("data", {})
            prompt = f"Out[{n}]:" if output.output_type == "execute_result" else ""
            if "text/html" in data:
                # the frame's own height only (the page inside is hashed by its CSP: not a byte may change)
                body = re.sub(
                    r'(" style="width: 100%; height: )\d+px(; border: 0; display: block"></iframe>)$',
                    rf"\g<1>{report_height}px\g<2>",
                    data["text/html"],
                )
            else:
                body = f"<pre>{html.escape(data.get('text/plain', ''))}</pre>"
            parts.append(f"<div class='prompt out'>{prompt}</div><div class='output'>{body}</div>")
        parts.append("</div>")
    parts.append("</body></html>")
    return "".join(parts)


def chromium() -> str:
    for name in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return str(shutil.which(name))
    raise SystemExit("no Chromium (apt-get install chromium, or set CHROMIUM)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--server", required=True)
    ap.add_argument("--cells", default="optimize,heatmap,report")
    ap.add_argument("--width", type=int, default=1100)
    ap.add_argument("--height", type=int, default=1416)
    ap.add_argument("--report-height", type=int, default=760)
    a = ap.parse_args()
    notebook = run(a.server)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "notebook.html"
        source.write_text(page(notebook, a.cells.split(","), a.report_height), encoding="utf-8")
        command = [
            chromium(),
            "--headless",
            "--hide-scrollbars",
            "--disable-gpu",
            f"--user-data-dir={tmp}/profile",
            f"--window-size={a.width},{a.height}",
            "--virtual-time-budget=10000",
            f"--screenshot={Path(a.out).resolve()}",
            source.as_uri(),
        ]
        if os.geteuid() == 0:
            command.insert(1, "--no-sandbox")
        subprocess.run(command, check=True, capture_output=True, timeout=120)
    print(f"wrote {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
