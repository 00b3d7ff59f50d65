"""Terminal charts (the only module that touches plotext, via textual-plotext).

Lines take their colours from the active Textual theme (primary, accent, ...) and are
redrawn when the theme changes; the canvas follows the theme's surface colour through
textual-plotext's ``"auto"`` plot theme.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from textual.color import Color
from textual.theme import Theme
from textual_plotext import PlotextPlot

from rp_tui.ui.chart_ticks import compact, date_ticks, linear_ticks, log_ticks, percent

# Used after the theme's own colours when a chart has more series than the theme has hues.
_EXTRA = [(0, 130, 200), (60, 180, 75), (230, 25, 75), (145, 30, 180), (70, 240, 240)]


def palette(theme: Theme) -> list[tuple[int, int, int]]:
    """Series colours for ``theme``: primary, accent, secondary, success, warning, error."""
    names = ("primary", "accent", "secondary", "success", "warning", "error")
    colours = [getattr(theme, name) for name in names]
    rgb = [Color.parse(c).rgb for c in colours if c]
    return list(dict.fromkeys(rgb)) + _EXTRA  # drop repeated hues, keep order


def _days(dates) -> np.ndarray:
    """Dates as days since 1970-01-01 (floats): the x axis. plotext would parse date
    strings one by one with ``strptime`` (225,000 of them took 2.8 s of the event loop for
    a 33-year backtest's charts); the ticks are labelled as dates by :meth:`date_axis`."""
    return np.asarray(dates, dtype="datetime64[D]").astype(np.int64).astype(float)


def thin(values: np.ndarray, buckets: int) -> np.ndarray:
    """Indices of ``values`` ``(n,)`` that draw the same line at ``buckets`` columns: the
    first and last point and, in each of ``buckets`` runs of consecutive points, its lowest
    and highest (so no peak or trough is lost), in order; all of them when ``n`` is small.
    """
    n = len(values)
    size = -(-n // max(buckets, 1))  # points per run, rounded up
    if size <= 2:
        return np.arange(n)
    runs = n // size
    body = values[: runs * size].reshape(runs, size)
    starts = np.arange(runs) * size
    keep = [np.array([0, n - 1]), starts + body.argmin(axis=1), starts + body.argmax(axis=1)]
    if runs * size < n:  # the last, shorter run
        tail = values[runs * size :]
        keep.append(runs * size + np.array([tail.argmin(), tail.argmax()]))
    return np.unique(np.concatenate(keep))


class _ThemedPlot(PlotextPlot):
    """A plot that redraws its series whenever the app's theme changes."""

    def on_mount(self) -> None:
        # PlotextPlot.on_mount (also dispatched) re-registers the canvas colours.
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.replot())
        self.replot()

    def on_resize(self) -> None:
        """Redraw: how many date ticks fit depends on the width."""
        self.replot()

    def date_axis(self, dates: np.ndarray) -> None:
        """Ticks on regular years (or evenly spaced dates over a short span), as many as
        the width shows without crowding; ``dates`` ``datetime64[D]``, the x values."""
        count = max(2, (self.size.width - 8) // 10) if self.size.width else 6
        ticks = date_ticks(dates, count)
        if ticks:
            self.plt.xticks(_days([t for t, _ in ticks]).tolist(), [label for _, label in ticks])

    @property
    def columns(self) -> int:
        """Runs of points to draw (:func:`thin`): two per cell of the width (braille has
        two dots across); 400 before layout."""
        return 2 * self.size.width if self.size.width else 400

    def replot(self) -> None:
        """Clear and draw again with the current theme's colours."""
        plt = self.plt
        plt.clear_figure()
        if self.is_mounted and self.size.width:  # a hidden tab's chart: drawn when shown
            self.draw(palette(self.app.current_theme))
        self.refresh()

    def draw(self, colours: list[tuple[int, int, int]]) -> None:
        """Add the series to ``self.plt`` using ``colours`` in order."""


class WeightsPlot(_ThemedPlot):
    """Target weights at each rebalance (percent of NAV), stacked: each asset is the band
    between two lines, the top line the invested total (below 100 % with a cash buffer or a
    volatility target). ``stacked = False`` draws one line per asset instead."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._dates = np.empty(0, dtype="datetime64[D]")
        self._symbols: tuple[str, ...] = ()
        self._weights = np.empty((0, 0))
        self.stacked = True

    def show(self, dates: np.ndarray, symbols: Sequence[str], weights: np.ndarray) -> None:
        """Plot ``weights`` (fractions, ``(n_rebalances, n_assets)``) at rebalance ``dates``."""
        self._dates = np.asarray(dates, dtype="datetime64[D]")
        self._symbols = tuple(symbols)
        self._weights = np.asarray(weights, dtype=float)
        self.replot()

    def draw(self, colours: list[tuple[int, int, int]]) -> None:
        if not self._symbols or self._weights.size == 0:
            return
        plt = self.plt
        series = np.cumsum(self._weights, axis=1) if self.stacked else self._weights
        # stacked: the tallest band first, each filled down to zero and painted over by the
        # next, so every asset shows as the band between its line and the one below
        order = range(len(self._symbols) - 1, -1, -1) if self.stacked else range(len(self._symbols))
        x = _days(self._dates).tolist()
        for i in order:
            plt.plot(
                x,
                (series[:, i] * 100).tolist(),
                label=self._symbols[i],
                color=colours[i % len(colours)],
                marker="braille",
                fillx=self.stacked,
            )
        # stacked: the axis starts at 0 % (on the lowest row, clear of the date labels)
        low = 0.0 if self.stacked else float(series.min())
        high = max(float(series.max()), low + 0.01)
        ticks = linear_ticks(low, high)
        plt.ylim(low * 100, high * 100)
        plt.yticks([t * 100 for t in ticks], [percent(t) for t in ticks])
        self.date_axis(self._dates)
        plt.title("Target weights at each rebalance" + (", stacked" if self.stacked else ""))


def _format_ticks(ticks: list[float], kind: str) -> list[str]:
    if kind == "percent":
        return [percent(t) for t in ticks]
    if kind == "ratio":
        return [f"{t:g}" for t in ticks]
    return [compact(t) for t in ticks]


class LinesPlot(_ThemedPlot):
    """Lines over dates, e.g. drawdown, rolling volatility or normalised prices.

    ``kind`` formats the y axis: ``"percent"`` (fractions shown as %), ``"ratio"``
    (plain numbers) or ``"compact"`` (95k, 1.2M). ``log`` draws the y axis in log scale.
    """

    def __init__(self, kind: str = "ratio", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.kind, self.log_scale = kind, False
        self._dates = np.empty(0, dtype="datetime64[D]")
        self._curves: dict[str, np.ndarray] = {}
        self._title = ""

    def show(self, dates: np.ndarray, curves: dict[str, np.ndarray], title: str) -> None:
        """Plot ``curves`` (label -> ``(n_days,)`` values, NaN skipped) against ``dates``
        (thinned to what the width shows: :func:`thin`)."""
        self._dates = np.asarray(dates, dtype="datetime64[D]")
        self._curves = {label: np.asarray(v, dtype=float) for label, v in curves.items()}
        self._title = title
        self.replot()

    def toggle_log(self) -> None:
        """Switch the y axis between linear and log scale."""
        self.log_scale = not self.log_scale
        self.replot()

    def draw(self, colours: list[tuple[int, int, int]]) -> None:
        if not self._curves:
            return
        plt = self.plt
        days = _days(self._dates)
        for i, (label, values) in enumerate(self._curves.items()):
            ok = np.isfinite(values) & ((values > 0) if self.log_scale else True)
            x, y = days[ok], values[ok]
            shown = thin(y, self.columns)
            plt.plot(
                x[shown].tolist(),
                y[shown].tolist(),
                label=label,
                color=colours[i % len(colours)],
                marker="braille",
            )
        finite = np.concatenate([v[np.isfinite(v)] for v in self._curves.values()])
        if self.log_scale:
            plt.yscale("log")
            finite = finite[finite > 0]
        if finite.size:  # round ticks, labelled alike on linear and log axes
            low, high = float(finite.min()), float(finite.max())
            ticks = log_ticks(low, high) if self.log_scale else linear_ticks(low, high)
            plt.yticks(ticks, _format_ticks(ticks, self.kind))
        self.date_axis(self._dates)
        plt.title(self._title + (" (log scale)" if self.log_scale else ""))


class BarsPlot(_ThemedPlot):
    """Vertical bars, one per label (e.g. a year), values as fractions shown in percent."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._labels: list[str] = []
        self._values: list[float] = []
        self._title = ""

    def show(self, labels: Sequence[str], values: np.ndarray, title: str) -> None:
        """Plot ``values`` (fractions, ``(n_labels,)``) as bars in percent."""
        self._labels = [str(label) for label in labels]
        self._values = [float(v) * 100 for v in values]
        self._title = title
        self.replot()

    def replot(self) -> None:
        plt = self.plt
        plt.clear_figure()
        if self.is_mounted and self._labels:
            colours = palette(self.app.current_theme)
            up, down = colours[3 % len(colours)], colours[5 % len(colours)]
            plt.bar(
                self._labels, self._values, color=[up if v >= 0 else down for v in self._values]
            )
            finite = [v for v in self._values if np.isfinite(v)]
            ticks = linear_ticks(min([0.0, *finite]), max([0.0, *finite]))
            plt.yticks(ticks, [f"{t:g}%" for t in ticks])
            plt.title(self._title)
        self.refresh()


class ValuePlot(LinesPlot):
    """Portfolio value over time (base currency), one line per curve; log scale on demand."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("compact", id=id)
