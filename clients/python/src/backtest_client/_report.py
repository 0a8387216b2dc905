"""``Report``: an HTML page of the server (a backtest's report, a search's page) that shows
itself inline in Jupyter and saves to a file."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import os
    from pathlib import Path

# html and pathlib are imported when a page is shown or saved, not with the package.

__all__ = ["Report"]

_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)

DEFAULT_HEIGHT = 1000
"""Pixels of the inline frame when the page's kind does not say better (it scrolls inside)."""
_HEIGHTS = {"report": 1400, "optimization": 1850, "batch": 800}
"""Inline frame heights by page kind, measured on the pages 1400 px wide: a backtest report's
cards and every chart panel (its statistics and trades tables scroll inside the frame; the
whole page is about 2,100 px), a search page whole with one heatmap (about 1,800 px), a batch
page's table."""


class Report:
    """A self-contained HTML page from the server (``POST /v1/reports``,
    ``GET /v1/optimizations/{id}/report``): it works offline, its scripts and styles are
    inline and allowed by its own Content-Security-Policy.

    - In Jupyter it shows inline (``_repr_html_``): the page goes into an
      ``<iframe srcdoc="…" sandbox="allow-scripts">``, so its scripts run under its own CSP in
      an opaque origin and nothing reaches the notebook (no same-origin access, no forms, no
      pop-ups, no top navigation). The frame is ``width: 100%`` and ``height`` pixels high,
      fixed by the page's kind (the page cannot tell a sandboxed frame's parent its size):
      1400 for a backtest report (the cards and every chart; the tables scroll inside the
      frame), 1850 for a search page (all of it with one heatmap), 800 for a batch page, 1000
      otherwise. ``Report(html, height=…)``, ``report.height = …`` or
      ``client.report(..., height=…)`` changes it.
    - In a terminal ``repr`` is one line: ``<Report 'GOOG · sma_cross(fast=10,slow=30)' 341.2 KB>``.
    - ``.html`` is the page, ``.save(path)`` writes it (UTF-8) and returns the path.
    """

    def __init__(self, html: str, *, title: str | None = None, height: int | None = None, kind: str | None = None):
        if not isinstance(html, str):
            raise TypeError(f"Report needs the page as a str, got {type(html).__name__}")
        import html as _html

        self.html = html
        data_kind, data_title = _data_head(html)
        found = _TITLE.search(html)
        page_title = _html.unescape(found.group(1)).strip() if found else "report"
        self.title = title if title is not None else (data_title or page_title)
        self.kind = kind or data_kind
        self.height = int(height) if height is not None else _HEIGHTS.get(self.kind or "", DEFAULT_HEIGHT)

    @property
    def size(self) -> int:
        """The page's size in bytes (UTF-8)."""
        return len(self.html.encode("utf-8"))

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Writes the page to ``path`` (UTF-8; it opens offline in any browser); returns it."""
        from pathlib import Path

        target = Path(path)
        target.write_text(self.html, encoding="utf-8")
        return target

    def iframe(self, height: int | None = None) -> str:
        """The page as a sandboxed ``<iframe srcdoc>`` element (what ``_repr_html_`` shows)."""
        import html as _html

        h = int(height if height is not None else self.height)
        return (
            f'<iframe srcdoc="{_html.escape(self.html, quote=True)}" sandbox="allow-scripts" '
            f'title="{_html.escape(self.title, quote=True)}" referrerpolicy="no-referrer" '
            f'style="width: 100%; height: {h}px; border: 0; display: block"></iframe>'
        )

    def _repr_html_(self) -> str:
        return self.iframe()

    def __repr__(self) -> str:
        return f"<Report {self.title!r} {_size(self.size)}>"


_DATA_HEAD = re.compile(r'<script id="report-data" type="application/json">(.{0,4000})', re.S)


def _data_head(page: str) -> tuple[str | None, str | None]:
    """The page's kind (``report``, ``optimization``, ``batch``) and title, from the start of
    its data block (``{"kind": …, "title": …}``; a backtest report has no kind)."""
    match = _DATA_HEAD.search(page)
    if not match:
        return None, None
    head = match.group(1)
    kind = re.match(r'\s*\{\s*"kind"\s*:\s*"(\w+)"', head)
    title = re.search(r'"title"\s*:\s*("(?:[^"\\]|\\.)*")', head)
    text = None
    if title:
        try:
            text = json.loads(title.group(1))
        except ValueError:
            text = None
    return (kind.group(1) if kind else "report"), text


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / 1024 / 1024:.1f} MB"
