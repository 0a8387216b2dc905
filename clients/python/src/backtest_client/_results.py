"""Presenting results: the summary table, the pandas frame and the progress bar."""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas

__all__ = ["print_summary", "results_frame", "summary_text"]

_COLUMNS: list[tuple[str, str, str]] = [
    # header, key, format
    ("Return %", "return_pct", "{:.2f}"),
    ("Sharpe", "sharpe_ratio", "{:.2f}"),
    ("Max DD %", "max_drawdown_pct", "{:.2f}"),
    ("Trades", "trades", "{}"),
    ("Win %", "win_rate_pct", "{:.1f}"),
    ("B&H %", "buy_hold_return_pct", "{:.2f}"),
]


def _cell(value: Any, fmt: str) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
    try:
        return fmt.format(value)
    except (ValueError, TypeError):
        return str(value)


def _mean(values: Iterable[Any]) -> float:
    xs = [float(v) for v in values if isinstance(v, (int, float)) and math.isfinite(v)]
    return sum(xs) / len(xs) if xs else math.nan


def summary_text(results: Sequence[Mapping[str, Any]]) -> str:
    """The summary table of ``print_summary``, as a string."""
    ok = [r for r in results if "error" not in r]
    failed = [r for r in results if "error" in r]
    lines: list[str] = []
    if ok:
        headers = ["Ticker"] + [h for h, _, _ in _COLUMNS]
        rows = [
            [str(r.get("ticker", "")) + ("*" if r.get("short_window") else "")] + [_cell(r.get(k), f) for _, k, f in _COLUMNS]
            for r in ok
        ]
        widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]

        def line(cells: list[str]) -> str:
            first = cells[0].ljust(widths[0])
            rest = [c.rjust(w) for c, w in zip(cells[1:], widths[1:])]
            return "  ".join([first, *rest]).rstrip()

        lines.append(line(headers))
        lines.append("  ".join("-" * w for w in widths))
        lines += [line(row) for row in rows]
        short = [r for r in ok if r.get("short_window")]
        if short:
            lines.append("")
            lines.append("* covers less than asked (statistics not comparable with the other rows):")
            lines += [f"  {_coverage_note(r)}" for r in short]
    if failed:
        if lines:
            lines.append("")
        lines.append(f"Failed ({len(failed)}):")
        lines += [f"  {r.get('ticker')}: {r.get('error')}" for r in failed]
    if lines:
        lines.append("")
    trades = sum(int(r["trades"]) for r in ok if isinstance(r.get("trades"), int))

    def mean(key: str) -> str:
        return _cell(_mean(r.get(key) for r in ok), "{:.2f}")

    lines.append(
        f"{len(ok)} succeeded, {len(failed)} failed; mean return {mean('return_pct')} %, "
        f"mean Sharpe {mean('sharpe_ratio')}, mean B&H {mean('buy_hold_return_pct')} %, {trades} trades"
    )
    return "\n".join(lines)


def _coverage_note(r: Mapping[str, Any]) -> str:
    """``MSFT: data 2015-04-01 – 2021-03-31, asked 2015-01-01 – 2022-12-31``."""

    def day(value: Any) -> str:
        return str(value)[:10] if value else "…"

    return (
        f"{r.get('ticker')}: data {day(r.get('first_bar'))} – {day(r.get('last_bar'))}, "
        f"asked {day(r.get('start_date'))} – {day(r.get('end_date'))}"
    )


def print_summary(results: Sequence[Mapping[str, Any]], file: IO[str] | None = None) -> None:
    """Prints a table of the results (ticker, return %, Sharpe, max drawdown %, trades, win
    rate %, buy & hold return %), a ``*`` and a footnote for each ticker whose data covers less
    than asked, the failed tickers with their reason, and the means."""
    print(summary_text(results), file=file if file is not None else sys.stdout)


def results_frame(results: Sequence[Mapping[str, Any]]) -> pandas.DataFrame:
    """The results as a pandas DataFrame, one row per result in order: ``ticker``,
    ``strategy``, ``start_date``, ``end_date``, ``params``, every statistic (``start`` and
    ``end`` as timestamps), ``error`` columns for failed tickers. Needs pandas
    (``pip install 'backtest-client[pandas]'``)."""
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(
            "results_frame needs pandas, which is not installed: pip install 'backtest-client[pandas]' "
            "(or pip install pandas)"
        ) from None
    rows = [dict(r) for r in results]
    frame = pd.DataFrame(rows)
    first = [c for c in ("ticker", "strategy", "start_date", "end_date", "params") if c in frame.columns]
    last = [c for c in ("error", "error_code", "error_status") if c in frame.columns]
    middle = [c for c in frame.columns if c not in first and c not in last]
    frame = frame[first + middle + last]
    for column in ("start", "end"):
        if column in frame.columns:
            frame[column] = pd.to_datetime(frame[column], errors="coerce")
    return frame


class ProgressBar:
    """A tqdm bar on stderr when tqdm is installed and stderr is a terminal (``enabled=None``),
    always (``True``, if tqdm is installed) or never (``False``); silent otherwise."""

    def __init__(self, total: int, enabled: bool | None, description: str = "backtests") -> None:
        self._bar: Any = None
        if enabled is False or total <= 1:
            return
        if enabled is None:
            try:
                if not sys.stderr.isatty():
                    return
            except (AttributeError, ValueError):
                return
        try:
            from tqdm import tqdm
        except ImportError:
            return
        self._bar = tqdm(total=total, desc=description, unit="bt", file=sys.stderr, leave=False)

    def update(self, n: int, failed: int) -> None:
        if self._bar is not None:
            if failed:
                self._bar.set_postfix(failed=failed, refresh=False)
            self._bar.update(n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


_TQDM_MISSING_SAID = False


def _interactive() -> bool:
    """stderr is a terminal, or this runs in a Jupyter kernel."""
    if "ipykernel" in sys.modules:
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class AutoProgressBar:
    """A search's progress as a ``tqdm.auto`` bar: a widget in Jupyter (with ipywidgets),
    text on stderr elsewhere. ``enabled=None``: shown in a terminal or a Jupyter kernel;
    ``True``: always; ``False``: never. tqdm is imported on first use; when a bar was wanted
    and tqdm is missing, one line says so on stderr (once per process) and nothing is shown."""

    def __init__(self, enabled: bool | None, description: str, unit: str = "run") -> None:
        self._bar: Any = None
        self._enabled = _interactive() if enabled is None else bool(enabled)
        self._description = description
        self._unit = unit

    def update_to(self, done: int, total: int) -> None:
        if not self._enabled:
            return
        if self._bar is None:
            self._bar = self._make(total)
            if self._bar is None:
                self._enabled = False
                return
        if self._bar.total != total:
            self._bar.total = total
        if done > self._bar.n:
            self._bar.update(done - self._bar.n)

    def _make(self, total: int) -> Any:
        global _TQDM_MISSING_SAID
        import warnings

        try:
            with warnings.catch_warnings():  # tqdm.auto's hint about ipywidgets: it falls back to text
                warnings.simplefilter("ignore")
                from tqdm.auto import tqdm
        except ImportError:
            if not _TQDM_MISSING_SAID:
                _TQDM_MISSING_SAID = True
                print(
                    "backtest_client: no progress bar without tqdm (pip install 'backtest-client[progress]')",
                    file=sys.stderr,
                )
            return None
        return tqdm(total=total, desc=self._description, unit=self._unit, file=sys.stderr)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
