"""The rebalancing policy of ``portfolio.toml`` as the order sizer takes it, for the live plan
and for every backtest rebalance alike: one place turns the file's ``[rebalancing]`` table
(with the command line's overrides) and the fee plan into :class:`RebalanceRules`."""

from __future__ import annotations

from dataclasses import dataclass, fields

from rp_tui.domain.rebalance import RebalanceRules
from rp_tui.inputs.fee_data import conversion_fee
from rp_tui.inputs.portfolio import Portfolio, Rebalancing


@dataclass(frozen=True)
class PolicyOverrides:
    """Command-line overrides of ``[rebalancing]``; ``None`` keeps the file's value. Fields
    are those of :class:`~rp_tui.inputs.portfolio.Rebalancing` (fractions, base currency,
    calendar days), plus ``slippage_bp`` (basis points, backtests only)."""

    frequency: str | None = None
    anchor: str | None = None
    calendar: str | None = None
    min_interval_days: int | None = None
    band: float | None = None
    band_kind: str | None = None
    trade: str | None = None
    mode: str | None = None
    min_trade: float | None = None
    max_commission_ratio: float | None = None
    skip_uneconomic: bool | None = None
    cash_buffer: float | None = None
    fractional: bool | None = None
    outside_holdings: str | None = None
    slippage_bp: float | None = None

    def apply(self, policy: Rebalancing) -> Rebalancing:
        """``policy`` with every override that is set."""
        chosen = {
            f.name: getattr(self, f.name)
            for f in fields(Rebalancing)
            if getattr(self, f.name, None) is not None
        }
        return Rebalancing(**{**policy.__dict__, **chosen})


def policy_of(portfolio: Portfolio, overrides: PolicyOverrides | None = None) -> Rebalancing:
    """The portfolio's ``[rebalancing]`` with ``overrides`` applied."""
    return (overrides or PolicyOverrides()).apply(portfolio.rebalancing)


def sizing_rules(
    portfolio: Portfolio,
    overrides: PolicyOverrides | None = None,
    fee_plan: str | None = None,
    usd_to_base: float = 1.0,
) -> RebalanceRules:
    """The order-sizing rules of the portfolio's policy: band, buffer, mode, skips, whole
    shares, the drift cost's risk aversion (``[strategy] risk_aversion``) and the currency
    conversion commission of the fee plan (IDEALPRO rate; its USD minimum converted with
    ``usd_to_base``, base currency per USD).

    Args:
        portfolio: the validated file. overrides: command-line flags.
        fee_plan: ``--fees`` (default ``[fees] plan``).
        usd_to_base: base currency per USD, for the conversion minimum.
    """
    policy = policy_of(portfolio, overrides)
    rate, minimum, minimum_ccy = conversion_fee(fee_plan or portfolio.fee_plan)
    to_base = usd_to_base if minimum_ccy == "USD" else 1.0
    slippage = (overrides.slippage_bp if overrides else None) or 0.0
    return policy.rules(
        fx_rate_of_value=rate,
        fx_minimum=minimum * to_base,
        risk_aversion=portfolio.strategy.risk_aversion,
        slippage_bp=slippage,
    )
