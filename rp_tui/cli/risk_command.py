"""``rp-tui risk``: contributions, diversification, VaR and CVaR of the account and targets."""

from __future__ import annotations

import argparse
import asyncio

from rp_tui.cli.common import broker_from_args, close, open_from_args
from rp_tui.cli.render import table


def run(args: argparse.Namespace) -> dict:
    """Measure the account as held and its targets; print (text) and return (JSON)."""
    from rp_tui.cli.progress import progress_bar
    from rp_tui.services.risk_report import STAGES, risk_report

    session = open_from_args(args)
    broker = broker_from_args(session, args, read_only=True)
    try:
        with progress_bar("risk", args.format) as advance:
            report = asyncio.run(
                risk_report(
                    session,
                    broker,
                    args.paths,
                    args.seed,
                    lambda stage, what: advance(stage, STAGES, what),
                )
            )
    finally:
        close(broker)
    doc = report.to_json()
    if args.format == "text":
        print(f"risk as of {report.as_of}: {report.method}, lookback {report.lookback} days")
        print(
            table(
                [
                    [
                        a["symbol"],
                        f"{a['weight']:.2%}",
                        f"{a['target']:.2%}",
                        f"{a['volatility']:.2%}",
                        f"{a['risk_contribution_current']:.2%}",
                        f"{a['risk_contribution_target']:.2%}",
                        f"{a['marginal_risk_current']:.2%}",
                    ]
                    for a in doc["assets"]
                ],
                ["symbol", "weight", "target", "vol", "RC now", "RC target", "marginal"],
            )
        )
        for name in ("current", "target"):
            p = doc["portfolio"][name]
            print(
                f"{name:>7}: volatility {p['volatility']:.2%}, diversification ratio "
                f"{p['diversification_ratio']:.2f}, effective bets {p['effective_bets']:.2f}"
                f" (PCA {p['effective_bets_pca']:.2f})"
            )
        print(
            table(
                [
                    [
                        v["method"],
                        f"{v['confidence']:.0%}",
                        f"{v['horizon_days']}d",
                        f"{v['var']:.2%}",
                        f"{v['cvar']:.2%}",
                    ]
                    for v in doc["var"]
                ],
                ["method", "conf.", "horizon", "VaR", "CVaR"],
            )
        )
    return doc
