"""The built-in demo account: real bundled prices, simulated fills, state kept on disk.

The seeded account starts with USD 100,000 invested equal-weight in the portfolio's assets,
in whole shares at the close about one year before the last date of the history, paying the
fee model's commission. Fills happen at the order's reference price and are charged the
estimated commission. State lives in ``<data dir>/demo-account.json`` (atomic writes).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rp_tui.broker.base import AccountSnapshot, Fill, OrderRequest
from rp_tui.domain.fee_model import FeeTable
from rp_tui.inputs.prices import PriceHistory
from rp_tui.state.demo_account import STATE_VERSION, load_state, save_state, state_path
from rp_tui.state.trade_log import TradeLog

DEMO_ACCOUNT = "DEMO-RP1"
SEED_CAPITAL = 100_000.0
SEED_DAYS_BEFORE_END = 365


def seed_state(history: PriceHistory, fees: FeeTable, base_currency: str = "USD") -> dict:
    """The seeded account: equal value per asset bought ~1 year before the last date.

    Args:
        history: prices of the portfolio's assets (columns in asset order).
        fees: commission schedule per asset.
        base_currency: the account's currency (demo prices are taken as that currency).

    Returns:
        The JSON-ready state: account, base currency, seed date, cash, quantities.
    """
    target_day = history.dates[-1] - np.timedelta64(SEED_DAYS_BEFORE_END, "D")
    row = max(int(np.searchsorted(history.dates, target_day)), 0)
    prices = history.closes[row]
    n = len(history.symbols)
    quantities = np.floor(SEED_CAPITAL / n / prices)
    while True:  # leave room for the commissions
        commissions = fees.commission(quantities, prices)
        cost = float((quantities * prices + commissions).sum())
        if cost <= SEED_CAPITAL:
            break
        quantities[int(np.argmax(quantities * prices))] -= 1
    return {
        "version": STATE_VERSION,
        "account": DEMO_ACCOUNT,
        "base_currency": base_currency,
        "seeded_on": str(history.dates[row]),
        "cash": SEED_CAPITAL - cost,
        "quantities": {s: float(q) for s, q in zip(history.symbols, quantities, strict=True)},
        "fills": [],
    }


class DemoBroker:
    """A simulated account over a :class:`PriceHistory`; prices are its last closes.

    Args:
        history: prices of the portfolio's assets (columns in asset order).
        fees: commission schedule per asset, charged on every fill.
        base_currency: the demo account's currency.
        path: state file; default :func:`state_path`.
    """

    kind = "demo"

    def __init__(
        self,
        history: PriceHistory,
        fees: FeeTable,
        base_currency: str = "USD",
        path: Path | None = None,
    ):
        self.history, self.fees, self.base_currency = history, fees, base_currency
        self.path = path or state_path()

    def reset(self) -> dict:
        """Restore the seeded account and save it."""
        state = seed_state(self.history, self.fees, self.base_currency)
        self._save(state)
        return state

    def _load(self) -> dict:
        state = load_state(self.path)
        return self.reset() if state is None else state

    def _save(self, state: dict) -> None:
        save_state(self.path, state)

    async def snapshot(self) -> AccountSnapshot:
        """Cash and holdings, valued at the history's last close."""
        state = self._load()
        held = state["quantities"]
        return AccountSnapshot(
            broker=self.kind,
            account=state["account"],
            base_currency=state["base_currency"],
            as_of=self.history.as_of,
            cash=state["cash"],
            quantities={s: held.get(s, 0.0) for s in self.history.symbols},
            prices=dict(zip(self.history.symbols, self.history.closes[-1], strict=True)),
            fx={state["base_currency"]: 1.0},
            quote_kinds=dict.fromkeys(self.history.symbols, "close"),
            cash_by_currency={state["base_currency"]: state["cash"]},
        )

    async def execute(
        self,
        orders: Sequence[OrderRequest],
        *,
        run_id: str = "",
        buy_budget: float | None = None,
        typed_confirmation: str = "",
    ) -> list[Fill]:
        """Fill every order at its reference price, sells first, and save the account once.

        An order that would sell more than held, or a buy that cash cannot pay for, is
        rejected (``status="rejected"``) and changes nothing. Fills reach the trade log.
        ``buy_budget`` and ``typed_confirmation`` are unused: demo sells fill exactly as
        planned, and the demo account is no live account.
        """
        state = self._load()
        fills: list[Fill] = []
        for order in sorted(orders, key=lambda o: o.side != "SELL"):
            held = state["quantities"].get(order.symbol, 0.0)
            signed = order.quantity if order.side == "BUY" else -order.quantity
            cash_change = -signed * order.price - order.commission
            if held + signed < -1e-9 or state["cash"] + cash_change < -1e-9:
                reason = "sells more than held" if signed < 0 else "not enough cash"
                fills.append(
                    Fill(
                        order.symbol,
                        order.side,
                        0.0,
                        order.price,
                        0.0,
                        order.currency,
                        "rejected",
                        reason,
                    )
                )
                continue
            state["quantities"][order.symbol] = held + signed
            state["cash"] += cash_change
            fill = Fill(
                order.symbol,
                order.side,
                order.quantity,
                order.price,
                order.commission,
                order.currency,
            )
            state["fills"].append({**fill.__dict__, "as_of": self.history.as_of})
            fills.append(fill)
        self._save(state)
        log = TradeLog()
        for fill in fills:
            log.append("demo_fill", run_id=run_id, account=state["account"], **fill.__dict__)
        return fills
