"""A self-contained HTML backtest report: inline SVG charts and tables, no scripts, no
network, so it can be mailed or opened anywhere. Charts: value against the benchmarks
(log scale), drawdown, target weights (stacked), rolling volatility, annual returns, and
the monthly return heatmap; then the statistics side by side.
"""

from __future__ import annotations

import html

import numpy as np

from rp_tui.domain.metrics import drawdown, monthly_return_table, period_returns, rolling_volatility

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
W, H, PAD = 760, 240, 44


def _scale(values: np.ndarray, low: float, high: float, out_low: float, out_high: float):
    span = (high - low) or 1.0
    return out_low + (np.asarray(values, dtype=float) - low) / span * (out_high - out_low)


def _frame(title: str, y_low: float, y_high: float, fmt: str, x_labels) -> list[str]:
    parts = [
        f'<svg viewBox="0 0 {W} {H}" role="img" aria-label="{html.escape(title)}">',
        f'<text x="{PAD}" y="16" class="t">{html.escape(title)}</text>',
    ]
    for frac in np.linspace(0, 1, 5):
        y = _scale(frac, 0, 1, H - PAD, 28)
        value = y_low + frac * (y_high - y_low)
        parts.append(
            f'<line x1="{PAD}" x2="{W - 8}" y1="{y:.1f}" y2="{y:.1f}" class="g"/>'
            f'<text x="{PAD - 4}" y="{y + 4:.1f}" class="a" text-anchor="end">'
            f"{fmt.format(value)}</text>"
        )
    for x, label in x_labels:
        parts.append(
            f'<text x="{x:.1f}" y="{H - PAD + 16}" class="a" text-anchor="middle">{label}</text>'
        )
    return parts


def _year_ticks(dates: np.ndarray) -> list[tuple[float, str]]:
    years = dates.astype("datetime64[Y]")
    first = np.flatnonzero(np.append(True, years[1:] != years[:-1]))
    xs = _scale(first, 0, max(len(dates) - 1, 1), PAD, W - 8)
    return [(x, str(years[i])) for x, i in zip(xs, first, strict=True)][:: max(1, len(first) // 10)]


def line_chart(title, dates, series: dict[str, np.ndarray], fmt="{:.2f}", log=False) -> str:
    """Lines over dates; ``series`` maps a legend label to ``(n_days,)`` values."""
    data = {k: np.log(v) if log else np.asarray(v, dtype=float) for k, v in series.items()}
    finite = np.concatenate([v[np.isfinite(v)] for v in data.values()])
    low, high = float(finite.min()), float(finite.max())
    tick_fmt = fmt if not log else "{:.2f}"
    parts = _frame(
        title,
        np.exp(low) if log else low,
        np.exp(high) if log else high,
        tick_fmt,
        _year_ticks(dates),
    )
    xs = _scale(np.arange(len(dates)), 0, max(len(dates) - 1, 1), PAD, W - 8)
    for i, (label, values) in enumerate(data.items()):
        ok = np.isfinite(values)
        ys = _scale(values[ok], low, high, H - PAD, 28)
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs[ok], ys, strict=True))
        color = PALETTE[i % len(PALETTE)]
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{color}" '
            f'stroke-width="1.4"/><text x="{PAD + 8 + 150 * i}" y="{H - 8}" '
            f'fill="{color}" class="a">{html.escape(label)}</text>'
        )
    return "".join(parts) + "</svg>"


def stacked_chart(title, dates, labels, weights: np.ndarray) -> str:
    """Stacked areas of ``weights`` ``(n_dates, n_assets)`` (fractions) over ``dates``."""
    parts = _frame(title, 0.0, 1.0, "{:.0%}", _year_ticks(dates))
    xs = _scale(np.arange(len(dates)), 0, max(len(dates) - 1, 1), PAD, W - 8)
    top = np.cumsum(weights, axis=1)
    bottom = top - weights
    for i, label in enumerate(labels):
        upper = _scale(top[:, i], 0, 1, H - PAD, 28)
        lower = _scale(bottom[:, i], 0, 1, H - PAD, 28)
        outline = [f"{x:.1f},{y:.1f}" for x, y in zip(xs, upper, strict=True)]
        outline += [f"{x:.1f},{y:.1f}" for x, y in zip(xs[::-1], lower[::-1], strict=True)]
        color = PALETTE[i % len(PALETTE)]
        parts.append(
            f'<polygon points="{" ".join(outline)}" fill="{color}" opacity="0.85"/>'
            f'<text x="{PAD + 8 + 90 * i}" y="{H - 8}" fill="{color}" class="a">'
            f"{html.escape(label)}</text>"
        )
    return "".join(parts) + "</svg>"


def bar_chart(title, labels, values: np.ndarray) -> str:
    """Vertical bars (fractions), green up and red down."""
    low, high = min(0.0, float(values.min())), max(0.0, float(values.max()))
    slot = (W - 8 - PAD) / max(len(values), 1)
    ticks = [(PAD + slot * (i + 0.5), str(label)) for i, label in enumerate(labels)]
    parts = _frame(title, low, high, "{:.0%}", ticks)
    zero = _scale(0.0, low, high, H - PAD, 28)
    for i, value in enumerate(values):
        y = _scale(value, low, high, H - PAD, 28)
        color = "#59a14f" if value >= 0 else "#e15759"
        parts.append(
            f'<rect x="{PAD + slot * i + slot * 0.15:.1f}" y="{min(y, zero):.1f}" '
            f'width="{slot * 0.7:.1f}" height="{abs(zero - y):.1f}" fill="{color}">'
            f"<title>{labels[i]}: {value:.2%}</title></rect>"
        )
    return "".join(parts) + "</svg>"


def heatmap_table(dates, growth) -> str:
    """Monthly returns as an HTML table, cells coloured by sign and size."""
    years, table = monthly_return_table(dates, growth)
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    rows = ["<table class='hm'><tr><th></th>" + "".join(f"<th>{m}</th>" for m in months) + "</tr>"]
    for year, row in zip(years, table, strict=True):
        cells = []
        for value in row:
            if np.isnan(value):
                cells.append("<td></td>")
                continue
            alpha = min(abs(value) / 0.08, 1.0)
            rgb = "89,161,79" if value >= 0 else "225,87,89"
            cells.append(f"<td style='background:rgba({rgb},{alpha:.2f})'>{value:.1%}</td>")
        rows.append(f"<tr><th>{year}</th>{''.join(cells)}</tr>")
    return "".join(rows) + "</table>"


def _stats_table(report) -> str:
    columns = {
        "strategy": report.stats(),
        **{k: report.stats(v) for k, v in report.benchmarks.items()},
    }
    percent = {
        "cagr",
        "volatility",
        "max_drawdown",
        "best_month",
        "worst_month",
        "positive_months",
        "average_drift_at_rebalance",
        "turnover",
    }
    head = "".join(f"<th>{html.escape(name)}</th>" for name in columns)
    rows = []
    for key in columns["strategy"]:
        cells = []
        for stats in columns.values():
            v = stats[key]
            cells.append(
                f"<td>{v:.2%}</td>"
                if key in percent
                else f"<td>{v:,.0f}</td>"
                if key in ("trades", "rebalances")
                else f"<td>{v:,.2f}</td>"
            )
        rows.append(f"<tr><th>{key.replace('_', ' ')}</th>{''.join(cells)}</tr>")
    return f"<table class='st'><tr><th></th>{head}</tr>{''.join(rows)}</table>"


def render_report(report) -> str:
    """The whole page for a :class:`rp_tui.services.backtest.BacktestReport`."""
    r = report.result
    curves = {"strategy": r.growth}
    for name, bench in report.benchmarks.items():  # align on the strategy's dates
        index = np.searchsorted(bench.dates, r.dates).clip(0, len(bench.dates) - 1)
        curves[name] = bench.growth[index] / bench.growth[index[0]]
    years, annual = period_returns(r.dates, r.growth, "Y")
    title = (
        f"rp-tui backtest: {report.method}, {report.rebalance}, lookback "
        f"{report.lookback} ({r.dates[0]} .. {r.dates[-1]})"
    )
    charts = [
        line_chart("Growth of 1 (log scale)", r.dates, curves, log=True),
        line_chart("Drawdown", r.dates, {"strategy": drawdown(r.growth)}, "{:.0%}"),
        stacked_chart(
            "Target weights at each rebalance", r.rebalance_dates, report.symbols, r.target_weights
        ),
        line_chart(
            "Rolling 63-day volatility (annualised)",
            r.dates,
            {"strategy": rolling_volatility(r.growth)},
            "{:.0%}",
        ),
        bar_chart("Annual returns", [str(y) for y in years], annual),
    ]
    style = (
        "body{font:14px system-ui,sans-serif;margin:24px;max-width:820px;color:#222}"
        "svg{width:100%;height:auto;margin:8px 0 18px}.t{font-weight:600;font-size:13px}"
        ".a{font-size:10px;fill:#555}.g{stroke:#e5e5e5}table{border-collapse:collapse}"
        "td,th{padding:3px 7px;text-align:right;font-variant-numeric:tabular-nums}"
        ".hm td{font-size:11px;min-width:44px}.st td,.st th{border-bottom:1px solid #eee}"
    )
    return (
        f"<!doctype html><html lang='en'><meta charset='utf-8'><title>{html.escape(title)}"
        f"</title><style>{style}</style><h1 style='font-size:18px'>{html.escape(title)}</h1>"
        f"{''.join(charts)}<h2 style='font-size:15px'>Monthly returns</h2>"
        f"{heatmap_table(r.dates, r.growth)}<h2 style='font-size:15px'>Statistics</h2>"
        f"{_stats_table(report)}<p style='color:#777'>Assets: {', '.join(report.symbols)}. "
        "Growth is time-weighted (contributions removed).</p></html>\n"
    )
