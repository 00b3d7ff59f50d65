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


def print_plan(plan) -> None:
    """The plan as text: account line, positions, blocked symbols, orders, totals."""
    ccy = plan.base_currency
    print(
        f"{plan.broker} account {plan.account} as of {plan.as_of}: NAV {plan.nav:,.2f} "
        f"{ccy}, cash {plan.cash:,.2f} {ccy}; {plan.method}, lookback {plan.lookback}, "
        f"band ±{plan.band:.1%}"
    )
    print(
        table(
            [
                [
                    p.symbol,
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
    for reason in plan.blocked.values():
        print(f"blocked: {reason}")
    print()
    if not plan.orders:
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
                    ]
                    for o in plan.orders
                ],
                ["side", "symbol", "qty", "price", "notional", "commission", "ccy"],
            )
        )
    print(f"commission {plan.total_commission:,.2f} {ccy}; cash after {plan.cash_after:,.2f} {ccy}")
