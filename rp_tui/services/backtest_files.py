"""The files ``rp-tui backtest --out DIR`` writes: CSVs, ``stats.json`` and ``report.html``."""

from __future__ import annotations

import contextlib
import csv
from io import StringIO
from pathlib import Path

import numpy as np

from rp_tui.services.backtest import BacktestReport
from rp_tui.state.storage import atomic_write_files, json_text, output_error


def _cell(value) -> str:
    """A CSV cell: dates as ISO, numbers with 10 significant digits (no float noise such as
    1.6300000000000001), text as is."""
    if isinstance(value, np.datetime64):
        return str(value)
    if isinstance(value, float | np.floating):
        return f"{float(value):.10g}"
    return str(value)


def _csv(header: list[str], rows) -> str:
    buffer = StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([_cell(v) for v in row] for row in rows)
    return buffer.getvalue()


def write_backtest_outputs(report: BacktestReport, out_dir: str | Path) -> list[Path]:
    """Write the backtest's files into ``out_dir`` (created), each atomically:

    - ``equity.csv``: date, value (base currency);
    - ``weights.csv``: date, one column per symbol: target weights at each rebalance;
    - ``trades.csv``: date, symbol, side, quantity, price, commission;
    - ``stats.json``: :meth:`BacktestReport.to_json`;
    - ``report.html``: one self-contained page with the charts and tables.

    Returns:
        The paths written.

    Raises:
        OutputError: ``out_dir`` or a file in it cannot be written (named); every file
            is written before the first replaces an old one.
    """
    from rp_tui.services.html_report import render_report

    out = Path(out_dir)
    r, t = report.result, report.result.trades
    files = {
        "equity.csv": _csv(["date", "value"], zip(r.dates, r.equity, strict=True)),
        "weights.csv": _csv(
            ["date", *report.symbols],
            ([d, *w] for d, w in zip(r.rebalance_dates, r.target_weights, strict=True)),
        ),
        "trades.csv": _csv(
            ["date", "symbol", "side", "quantity", "price", "commission"],
            (
                [d, report.symbols[a], "BUY" if q > 0 else "SELL", abs(q), p, c]
                for d, a, q, p, c in zip(
                    t.dates, t.assets, t.quantities, t.prices, t.commissions, strict=True
                )
            ),
        ),
        "stats.json": json_text(report.to_json()) + "\n",
        "report.html": render_report(report),
    }
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_files({out / name: text for name, text in files.items()})
    except OSError as exc:
        if created:
            with contextlib.suppress(OSError):
                out.rmdir()  # only if still empty
        raise output_error("--out", out, exc) from exc
    return [out / name for name in files]
