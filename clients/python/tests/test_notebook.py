"""The tutorial notebook, examples/research.ipynb, run top to bottom with nbclient against a
real `backtest serve`: no cell fails, the report cell shows the sandboxed iframe, the heatmap has
the grid's shape."""

from __future__ import annotations

import html
import json
import re
import urllib.request
from pathlib import Path

import pytest

from helpers import start_server

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "research.ipynb"


def _cell(notebook, tag: str):
    cells = [c for c in notebook.cells if tag in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"one cell tagged {tag!r} expected, found {len(cells)}"
    return cells[0]


def _data(cell, mime: str) -> list[str]:
    return [
        o["data"][mime]
        for o in cell.outputs
        if o.get("output_type") in ("execute_result", "display_data") and mime in o.get("data", {})
    ]


@pytest.mark.timeout(90)
def test_the_research_notebook_runs_clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nbformat = pytest.importorskip("nbformat", reason="the notebook check needs nbformat and nbclient")
    nbclient = pytest.importorskip("nbclient", reason="the notebook check needs nbformat and nbclient")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert all(
        not c.get("outputs") and c.get("execution_count") is None for c in notebook.cells if c.cell_type == "code"
    ), "commit the notebook with its outputs cleared"

    server = start_server(tmp_path / "server")
    try:
        monkeypatch.setenv("BACKTEST_URL", server.url)  # the kernel inherits the environment
        client = nbclient.NotebookClient(
            notebook, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
        )
        client.execute()  # raises CellExecutionError naming the cell on any error
        with urllib.request.urlopen(server.url + "/openapi.json", timeout=30) as reply:
            has_portfolios = "/v1/portfolios" in json.load(reply)["paths"]
    finally:
        server.stop()

    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []

    # The report cell: text/html holding the page in a sandboxed iframe, scripts only.
    pages = _data(_cell(notebook, "report"), "text/html")
    assert len(pages) == 1
    frame = pages[0]
    assert frame.startswith('<iframe srcdoc="') and frame.endswith("</iframe>")
    assert re.search(r'\ssandbox="allow-scripts"\s', frame)
    assert "allow-same-origin" not in frame
    srcdoc = html.unescape(re.match(r'<iframe srcdoc="([^"]*)"', frame).group(1))
    assert srcdoc.lstrip().lower().startswith("<!doctype html>")
    assert 'http-equiv="Content-Security-Policy"' in srcdoc and 'id="report-data"' in srcdoc

    # The heatmap: one row per fast value (range(5, 55, 5)), one column per slow value (range(10, 210, 10)).
    assert _data(_cell(notebook, "heatmap-shape"), "text/plain") == [
        str((len(range(5, 55, 5)), len(range(10, 210, 10))))
    ]
    assert "<table" in _data(_cell(notebook, "heatmap"), "text/html")[0]

    # The search page is a Report too, and the batch frame has the seven tickers.
    assert _data(_cell(notebook, "page"), "text/html")[0].startswith("<iframe srcdoc=")
    batch = _data(_cell(notebook, "batch"), "text/plain")[0]
    assert all(t in batch for t in ("AAPL", "AMZN", "GOOG", "META", "MSFT", "NFLX", "NVDA"))
    # The portfolio: its numbers and frames, or (a server without the route) the one line saying so.
    text = "".join(o.get("text", "") for o in _cell(notebook, "portfolio").outputs if o.output_type == "stream")
    frames = _data(_cell(notebook, "portfolio-frames"), "text/plain")
    if has_portfolios:
        assert re.search(r"^return -?\d+\.\d\d %, Sharpe -?\d+\.\d\d, max drawdown -\d+\.\d\d %$", text.strip()), text
        assert len(frames) == 2 and "equity" in frames[0] and "drawdown_pct" in frames[0] and "ticker" in frames[1]
        # The portfolio search: the winner's lookback and top, and a 6 x 3 heatmap (lookback by top).
        search = _cell(notebook, "portfolio-search")
        best = "".join(o.get("text", "") for o in search.outputs if o.output_type == "stream" and o.name == "stdout")
        assert re.search(r"^\{'lookback': \d+, 'top': [123]\} -?\d+\.\d+$", best.strip(), re.M), best
        heatmap = _data(search, "text/plain")
        assert len(heatmap) == 1 and heatmap[0].splitlines()[0].split() == ["top", "1", "2", "3"], heatmap
        assert len(heatmap[0].splitlines()) == 2 + 6  # header, index name, six lookbacks
    else:
        assert text.startswith("this server has no portfolio route yet: 404") and frames == []
