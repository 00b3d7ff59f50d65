"""report.html (``rp-tui backtest --out``): one self-contained page whose matplotlib charts
carry their labels as text, checked in the file and in a real headless browser (Debian's
chromium: rendered to PNG, not blank; the DOM it builds has the charts' texts)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from rp_tui.services.backtest import BacktestOptions, backtest
from rp_tui.services.backtest_files import write_backtest_outputs
from rp_tui.services.report_charts import PALETTE, log_ticks
from rp_tui.services.session import open_session

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
TITLES = (
    "Growth of 1 (log scale)",
    "Drawdown from the running peak",
    "Target weights at each rebalance",
    "Rolling 63-day volatility (annualised)",
    "Annual returns",
)


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    """The multi-asset example's report (split-adjusted prices: a caveat to show)."""
    folder = tmp_path_factory.mktemp("report")
    session = open_session(REPO / "portfolio.toml")
    report = backtest(session, BacktestOptions(benchmarks=("equal-weight", "buy-and-hold")))
    write_backtest_outputs(report, folder)
    return folder / "report.html"


def svgs(text: str) -> list[str]:
    return re.findall(r"<svg\b.*?</svg>", text, re.S)


def texts(svg: str) -> list[str]:
    """The text of every ``<text>`` element (matplotlib writes labels as text)."""
    return [re.sub(r"<[^>]+>", "", t).strip() for t in re.findall(r"<text\b.*?</text>", svg, re.S)]


def test_self_contained_charts_with_labels_as_text(page):
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>") and "<script" not in text
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//|file:)""", text)  # nothing fetched
    charts = svgs(text)
    assert len(charts) == 5
    for chart, title in zip(charts, TITLES, strict=True):
        assert title in texts(chart), title
    value = texts(charts[0])
    assert {"strategy", "equal-weight", "buy-and-hold"} <= set(value)
    labels = [t for t in value if re.fullmatch(r"\d+(\.\d+)?", t)]
    years = [int(t) for t in labels if len(t) == 4]
    assert len(years) >= 5 and len(set(np.diff(years))) == 1  # regular years
    ticks = sorted(float(t) for t in labels if len(t) != 4)
    assert ticks == [0.9, 1.0, 1.2, 1.4], ticks  # round values on the log axis
    for colour in PALETTE[:3]:  # each legend entry drawn in its series' colour
        assert f"stroke: {colour}" in charts[0]
    annual = [t for t in texts(charts[4]) if t.endswith("%")]
    assert annual and all(re.fullmatch(r"−?\d+%", t) for t in annual), annual
    assert "leave out dividends and coupons" in text and "mlfinpy" in text
    assert "IBKR commissions" in text
    assert "fill:#555" not in text.replace(" ", "")  # no CSS rule greying the legends


def test_log_ticks_are_round_values():
    assert log_ticks(0.85, 1.4) == [0.9, 1.0, 1.2, 1.4]
    assert log_ticks(0.5, 30) == [0.5, 1.0, 2.0, 5.0, 10.0, 20.0]


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install chromium)")
def test_the_page_in_a_headless_browser(page, tmp_path):
    from matplotlib.image import imread

    flags = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    url = page.as_uri()
    png = tmp_path / "report.png"
    subprocess.run(
        [*flags, f"--screenshot={png}", "--window-size=1000,3000", url],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pixels = imread(png)[..., :3]
    assert pixels.shape[:2] == (3000, 1000)
    inked = (pixels.min(axis=2) < 0.9).mean()  # not white
    assert inked > 0.05, f"the page looks blank ({inked:.1%} inked)"
    colours = {tuple((p * 255).round().astype(int)) for p in pixels[::7, ::7].reshape(-1, 3)}
    assert len(colours) > 50  # charts in colour, not a blank or grey page
    dom = subprocess.run(
        [*flags, "--dump-dom", url], check=True, capture_output=True, text=True, timeout=180
    ).stdout
    charts = svgs(dom)
    assert len(charts) == 5
    for chart, title in zip(charts, TITLES, strict=True):
        assert title in texts(chart)
    assert "What this backtest ran on" in dom and "leave out dividends and coupons" in dom
