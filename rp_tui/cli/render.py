"""Text rendering shared by the headless commands: aligned tables and the plan."""

from __future__ import annotations


def table(rows: list[list[str]], header: list[str]) -> str:
    """``rows`` under ``header`` as aligned text: the first column left, the rest right."""
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    lines = [header, *rows]
    return "\n".join(
        "  ".join(
            str(v).ljust(w) if i == 0 else str(v).rjust(w)
            for i, (v, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in lines
    )


def policy_line(policy) -> str:
    """The rebalancing policy in one line (``[rebalancing]`` with any overrides)."""
    band = f"±{policy.band:.1%}" + (" of each target" if policy.band_kind == "relative" else "")
    parts = [f"{policy.frequency} ({policy.anchor} trading day)", f"band {band}", policy.mode]
    if policy.trade == "all":
        parts.append("trade all once one is out")
    if policy.min_trade:
        parts.append(f"min trade {policy.min_trade:,.0f}")
    if policy.max_commission_ratio:
        parts.append(f"max commission {policy.max_commission_ratio:.2%} of value")
    if policy.skip_uneconomic:
        parts.append("skip trades dearer than their drift cost")
    if policy.min_interval_days:
        parts.append(f"at most every {policy.min_interval_days} days")
    parts.append(f"buffer {policy.cash_buffer:.1%}")
    parts.append("fractional shares" if policy.fractional else "whole shares")
    parts.append(f"holdings outside the portfolio: {policy.outside_holdings}")
    return "; ".join(parts)


def _money(x: float) -> str:
    return f"{x:,.2f}" if x == x else "—"


def print_plan(plan) -> None:
    """The plan as text: account line, policy, positions (holdings outside the portfolio
    marked), cash balances, notes, orders with commissions and realised gains, totals."""
    ccy = plan.base_currency
    print(
        f"{plan.broker} account {plan.account} as of {plan.as_of}: NAV {plan.nav:,.2f} "
        f"{ccy}, cash {plan.cash:,.2f} {ccy}; {plan.method}, lookback {plan.lookback}"
    )
    print(f"policy: {policy_line(plan.policy)}")
    if plan.cash_flow:
        kind = "deposit" if plan.cash_flow > 0 else "withdrawal"
        print(f"cash flow: {kind} of {abs(plan.cash_flow):,.2f} {ccy} (counted in cash above)")
    print(
        table(
            [
                [
                    p.symbol + ("" if p.in_portfolio else " *"),
                    f"{p.quantity:g}",
                    f"{p.price:,.2f}",
                    f"{p.value:,.2f}",
                    f"{p.weight:.2%}",
                    f"{p.target:.2%}",
                    f"{p.drift * 100:+.2f} pp",
                ]
                for p in plan.positions
            ],
            ["symbol", "qty", "price", "value", "weight", "target", "drift"],
        )
    )
    if plan.outside:
        print("* not in portfolio.toml (counted in NAV)")
    others = {
        c: v for c, v in plan.cash_by_currency.items() if c != ccy or len(plan.cash_by_currency) > 1
    }
    if others:
        print("cash: " + ", ".join(f"{v:,.2f} {c}" for c, v in others.items()))
    for reason in plan.blocked.values():
        print(f"blocked: {reason}")
    for note in plan.notes:
        print(f"note: {note}")
    print()
    if plan.withheld:
        print(f"no orders: {plan.withheld}")
    elif not plan.orders:
        print("no orders: every asset is within its band, or there is no cash to buy with")
    else:
        print(
            table(
                [
                    [
                        o.side,
                        o.symbol,
                        f"{o.quantity:g}",
                        f"{o.price:,.2f}",
                        f"{o.notional:,.2f}",
                        f"{o.commission:,.2f}",
                        o.currency,
                        "" if o.side == "BUY" else _money(o.realised_gain),
                    ]
                    for o in plan.orders
                ],
                ["side", "symbol", "qty", "price", "notional", "commission", "ccy", "realised"],
            )
        )
        unverified = sorted({n for o in plan.orders for n in o.fee_notes if "unverified" in n})
        for note in unverified:
            print(f"fees: {note}")
    gains = (
        f"; realised gain {_money(plan.total_realised_gain)} {ccy}"
        if any(o.side == "SELL" for o in plan.orders)
        else ""
    )
    print(
        f"commission {plan.total_commission:,.2f} {ccy}; cash after {plan.cash_after:,.2f} "
        f"{ccy} (reserve {plan.reserve:,.2f}){gains}"
    )
