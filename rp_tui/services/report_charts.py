"""The charts of ``report.html``, drawn with matplotlib (the non-interactive Agg machinery,
no pyplot, no window) and returned as inline SVG text: labels stay text (``svg.fonttype =
"none"``), no file is written and nothing is fetched.

matplotlib is imported on first use: ``rp-tui backtest`` without ``--out`` never loads it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

import numpy as np

PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
UP, DOWN = "#59a14f", "#e15759"
SIZE = (7.6, 2.7)  # inches: 760 x 270 px at 100 dpi
STYLE = {
    "svg.fonttype": "none",  # text stays text: selectable, searchable, checkable
    "svg.hashsalt": "rp-tui",  # the same page for the same backtest
    "font.family": "sans-serif",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e5e5e5",
    "grid.linewidth": 0.8,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "legend.frameon": False,
    "legend.fontsize": 8,
}


def _figure(title: str):
    from matplotlib.figure import Figure

    figure = Figure(figsize=SIZE, dpi=100, layout="constrained")
    axes = figure.add_subplot()
    axes.set_title(title)
    return figure, axes


def _svg(figure, label: str) -> str:
    """The figure as an ``<svg>`` element (no XML prolog), labelled for screen readers."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r'<svg ([^>]*?)width="[^"]*" height="[^"]*"', r"<svg \1", text, count=1)
    return text.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)


def _dates(values) -> np.ndarray:
    return np.asarray(values, dtype="datetime64[D]")


def _date_axis(axes, dates: np.ndarray) -> None:
    """Ticks on the first of January of regularly spaced years (every 1, 2, 5 ... years)."""
    import matplotlib.dates as mdates

    years = max(1, int((dates[-1] - dates[0]).astype(int) / 365.25))
    step = next(s for s in (1, 2, 3, 4, 5, 10, 20, 25, 50) if years / s <= 10)
    if years < 2:
        axes.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 4, 7, 10)))
        axes.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    else:
        axes.xaxis.set_major_locator(mdates.YearLocator(base=step))
        axes.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    axes.set_xlim(dates[0], dates[-1])


def _percent_axis(axes, decimals: int = 0) -> None:
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    axes.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
    axes.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=decimals))


def _style():
    import matplotlib

    return matplotlib.rc_context(STYLE)


_MANTISSAS = (
    (1.0, 2.0, 5.0),
    (1.0, 1.5, 2.0, 3.0, 5.0, 7.0),
    (1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0),
    tuple(np.round(np.arange(1.0, 10.0, 0.1), 1)),
)


def log_ticks(low: float, high: float, least: int = 4) -> list[float]:
    """Round values for a log axis over ``[low, high]``: powers of ten and 2 and 5 times
    them, finer (1.5, 3, 7; then 1.2, 1.4 ...; then every 0.1) until at least ``least``."""
    ticks: list[float] = []
    powers = range(int(np.floor(np.log10(low))), int(np.ceil(np.log10(high))) + 1)
    for mantissas in _MANTISSAS:
        ticks = [
            float(m) * 10.0**p for p in powers for m in mantissas if low <= m * 10.0**p <= high
        ]
        if len(ticks) >= least:
            break
    return ticks[:: max(1, len(ticks) // 9)]


def value_chart(dates, curves: dict[str, np.ndarray]) -> str:
    """Growth of 1 of each curve, log scale: ticks on round values (0.8, 1, 1.5, 2, 3 ...)
    labelled as such, each legend entry in its line's colour."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator

    days = _dates(dates)
    with _style():
        figure, axes = _figure("Growth of 1 (log scale)")
        for i, (label, values) in enumerate(curves.items()):
            axes.plot(days, values, color=PALETTE[i % len(PALETTE)], linewidth=1.3, label=label)
        axes.set_yscale("log")
        finite = np.concatenate([v[np.isfinite(v) & (v > 0)] for v in curves.values()])
        ticks = log_ticks(finite.min(), finite.max()) if finite.size else []
        if len(ticks) >= 3:  # else (a range under ~10 %) matplotlib's own round values
            axes.yaxis.set_major_locator(FixedLocator(ticks))
        else:
            axes.yaxis.set_major_locator(MaxNLocator(nbins=5))
        axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
        axes.yaxis.set_minor_locator(NullLocator())
        _date_axis(axes, days)
        axes.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=len(curves))
        return _svg(figure, "Growth of 1, log scale")


def lines_chart(title: str, dates, curves: dict[str, np.ndarray], fill: bool = False) -> str:
    """Fractions over dates (drawdown, rolling volatility) on a percent axis."""
    days = _dates(dates)
    with _style():
        figure, axes = _figure(title)
        for i, (label, values) in enumerate(curves.items()):
            colour = PALETTE[i % len(PALETTE)]
            axes.plot(days, values, color=colour, linewidth=1.2, label=label)
            if fill and i == 0:
                axes.fill_between(days, values, 0, color=colour, alpha=0.15, linewidth=0)
        _percent_axis(axes)
        _date_axis(axes, days)
        if len(curves) > 1:  # above the plot, right of the title: clear of the lines
            axes.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=len(curves))
        return _svg(figure, title)


def weights_chart(dates, symbols: Sequence[str], weights: np.ndarray) -> str:
    """Target weights at each rebalance, stacked (the top edge is the invested share)."""
    days = _dates(dates)
    with _style():
        figure, axes = _figure("Target weights at each rebalance")
        colours = [PALETTE[i % len(PALETTE)] for i in range(len(symbols))]
        axes.stackplot(
            days, np.asarray(weights, dtype=float).T, labels=list(symbols), colors=colours,
            step="post", alpha=0.9, linewidth=0,
        )  # fmt: skip
        axes.set_ylim(0, 1)
        _percent_axis(axes)
        _date_axis(axes, days)
        axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), reverse=True)
        return _svg(figure, "Target weights at each rebalance, stacked")


def annual_chart(years: Sequence[str], series: dict[str, np.ndarray]) -> str:
    """Calendar-year returns: the strategy's bars green up, red down; the others beside
    them in their own colours."""
    with _style():
        figure, axes = _figure("Annual returns")
        x = np.arange(len(years))
        width = 0.8 / max(len(series), 1)
        for i, (label, values) in enumerate(series.items()):
            values = np.asarray(values, dtype=float)
            offset = (i - (len(series) - 1) / 2) * width
            if i == 0:  # green up, red down; the legend shows its gain colour
                colours = [UP if v >= 0 else DOWN for v in values]
                axes.bar(x + offset, values, width, color=colours)
                axes.bar([0], [0], 0, color=UP, label=f"{label} (red: a loss)")
            else:
                colour = PALETTE[(i + 3) % len(PALETTE)]
                axes.bar(x + offset, values, width, color=colour, alpha=0.55, label=label)
        axes.axhline(0, color="#888", linewidth=0.8)
        axes.set_xticks(x, [str(y) for y in years])
        axes.grid(False, axis="x")
        _percent_axis(axes)
        if len(series) > 1:
            axes.legend(loc="best")
        return _svg(figure, "Annual returns")
