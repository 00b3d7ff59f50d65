"""A self-contained HTML backtest report: one file, inline SVG charts and tables, no
scripts, no network, so it can be mailed or opened anywhere. First what the backtest ran on
(the prices, what they leave out, the fees); then the charts, drawn by matplotlib
(:mod:`rp_tui.services.report_charts`): value against the benchmarks (log scale),
drawdown, target weights (stacked), rolling volatility, annual returns; the monthly return
heatmap; the statistics side by side.
"""

from __future__ import annotations

import html

import numpy as np

from rp_tui.domain.metrics import drawdown, monthly_return_table, period_returns, rolling_volatility

PERCENT = {
    "cagr",
    "volatility",
    "max_drawdown",
    "best_month",
    "worst_month",
    "positive_months",
    "average_drift_at_rebalance",
    "turnover",
}
LABELS = {
    "cagr": "CAGR",
    "sharpe": "Sharpe (rf 0)",
    "max_drawdown": "Max drawdown",
    "average_drift_at_rebalance": "Avg drift at rebalance",
    "commission_total": "Fees paid",
    "turnover": "Turnover (per year)",
}


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


def _cell(key: str, value: float) -> str:
    if value != value:  # NaN
        return "<td>n/a</td>"
    if key in PERCENT:
        return f"<td>{value:.2%}</td>"
    if key in ("trades", "rebalances"):
        return f"<td>{value:,.0f}</td>"
    return f"<td>{value:,.2f}</td>"


def _stats_table(report) -> str:
    columns = {
        "strategy": report.stats(),
        **{k: report.stats(v) for k, v in report.benchmarks.items()},
    }
    head = "".join(f"<th>{html.escape(name)}</th>" for name in columns)
    rows = []
    for key in columns["strategy"]:
        cells = "".join(_cell(key, stats.get(key, float("nan"))) for stats in columns.values())
        label = LABELS.get(key, key.replace("_", " ").capitalize())
        rows.append(f"<tr><th>{html.escape(label)}</th>{cells}</tr>")
    return f"<table class='st'><tr><th></th>{head}</tr>{''.join(rows)}</table>"


def _notes(report) -> str:
    """What the backtest ran on: the prices, their caveat (shown as a warning), the fees."""
    items = [("Prices", report.data_source or "the price file given")]
    if report.data_note:
        items.append(("Caveat", report.data_note))
    if report.fee_note:
        items.append(("Fees", report.fee_note))
    return (
        "<dl class='notes'>"
        + "".join(
            f"<dt>{label}</dt><dd{' class=caveat' if label == 'Caveat' else ''}>"
            f"{html.escape(text)}</dd>"
            for label, text in items
        )
        + "</dl>"
    )


def render_report(report) -> str:
    """The whole page for a :class:`rp_tui.services.backtest.BacktestReport`."""
    from rp_tui.services import report_charts as charts

    r = report.result
    curves = {"strategy": r.growth}
    for name, bench in report.benchmarks.items():  # align on the strategy's dates
        index = np.searchsorted(bench.dates, r.dates).clip(0, len(bench.dates) - 1)
        curves[name] = bench.growth[index] / bench.growth[index[0]]
    years, annual = period_returns(r.dates, r.growth, "Y")
    yearly = {"strategy": annual}
    for name, curve in list(curves.items())[1:]:
        yearly[name] = period_returns(r.dates, curve, "Y")[1]
    first_benchmark = dict(list(curves.items())[:2])
    title = (
        f"rp-tui backtest: {report.method}, {report.rebalance}, lookback "
        f"{report.lookback} ({r.dates[0]} .. {r.dates[-1]})"
    )
    figures = [
        charts.value_chart(r.dates, curves),
        charts.lines_chart(
            "Drawdown from the running peak",
            r.dates,
            {k: drawdown(v) for k, v in first_benchmark.items()},
            fill=True,
        ),
        charts.weights_chart(r.rebalance_dates, report.symbols, r.target_weights),
        charts.lines_chart(
            "Rolling 63-day volatility (annualised)",
            r.dates,
            {k: rolling_volatility(v) for k, v in first_benchmark.items()},
        ),
        charts.annual_chart([str(y) for y in years], yearly),
    ]
    style = (
        "body{font:14px system-ui,sans-serif;margin:24px auto;max-width:820px;color:#222;"
        "padding:0 12px}svg{width:100%;height:auto;display:block;margin:8px 0 18px}"
        "table{border-collapse:collapse}td,th{padding:3px 7px;text-align:right;"
        "font-variant-numeric:tabular-nums}th{font-weight:600}"
        ".hm td{font-size:11px;min-width:44px}.st td,.st th{border-bottom:1px solid #eee}"
        ".st th:first-child{text-align:left}.notes{display:grid;grid-template-columns:"
        "max-content 1fr;gap:4px 12px;font-size:13px}.notes dt{font-weight:600}"
        ".notes dd{margin:0}.caveat{background:#fff4d6;padding:2px 6px;border-radius:3px}"
        "h1{font-size:18px}h2{font-size:15px;margin-top:22px}"
    )
    return (
        f"<!doctype html><html lang='en'><meta charset='utf-8'><title>{html.escape(title)}"
        f"</title><style>{style}</style><h1>{html.escape(title)}</h1>"
        f"<h2>What this backtest ran on</h2>{_notes(report)}"
        f"{''.join(figures)}<h2>Monthly returns</h2>"
        f"{heatmap_table(r.dates, r.growth)}<h2>Statistics</h2>"
        f"{_stats_table(report)}<p style='color:#777'>Assets: {', '.join(report.symbols)}. "
        "Growth is time-weighted (contributions removed).</p></html>\n"
    )
