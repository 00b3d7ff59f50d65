"""The risk report of an account holding a symbol outside the portfolio measures the
portfolio's part (the covariance covers the portfolio's assets only) instead of failing."""

import asyncio

from rp_tui.services.risk_report import risk_report
from rp_tui.services.session import make_broker, open_session
from tests.conftest import PORTFOLIO


def test_risk_with_a_holding_outside_the_portfolio(tmp_path):
    asyncio.run(make_broker(open_session(PORTFOLIO)).snapshot())  # seed: 191 VLUE held
    text = PORTFOLIO.read_text()
    block = text[text.index('[[assets]]\nsymbol = "VLUE"') :]
    path = tmp_path / "portfolio.toml"
    path.write_text(text.replace(block, ""))
    session = open_session(path)
    report = asyncio.run(risk_report(session, make_broker(session), paths=1_000))
    assert report.symbols == ("MTUM", "QUAL", "SIZE", "USMV")
    assert len(report.current_weights) == 4 and 0.7 < report.current_weights.sum() < 0.85
