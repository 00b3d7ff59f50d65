"""Hand-built accounts for the sizing pins (``test_sizing_pins``, ``test_floor_pins``):
fee schedules with the figures of ``rp_tui/data/fees.toml``, an :class:`Account` from plain
lists, order rules, and IBKR IDEALPRO's conversion commission."""

import numpy as np

from rp_tui.domain.fee_model import NO_FEES, FeeSchedule, FeeTable
from rp_tui.domain.sizing_checks import Account

# IBKR Fixed US (per share 0.005, min 1.00, cap 1 %) and LSE GBP Fixed (0.05 %, min 3.00),
# the figures of rp_tui/data/fees.toml
US_FIXED = FeeSchedule(
    key="us", name="us", currency="USD", per_share=0.005, minimum=1.0, max_rate_of_value=0.01
)
LSE_GBP = FeeSchedule(key="lse", name="lse", currency="GBP", rate_of_value=0.0005, minimum=3.0)


def account(
    held,
    prices,
    cash,
    target_values,
    cash_target,
    fees=None,
    fx=None,
    slip=0.0,
    conversion=None,
) -> Account:
    """An :class:`Account` from plain lists; fills ``slip`` (a fraction) worse than price."""
    prices = np.asarray(prices, dtype=float)
    n = len(prices)
    return Account(
        held=np.asarray(held, dtype=float),
        prices=prices,
        buy_prices=prices * (1 + slip),
        sell_prices=prices * (1 - slip),
        fx=np.ones(n) if fx is None else np.asarray(fx, dtype=float),
        cash=float(cash),
        target_values=np.asarray(target_values, dtype=float),
        cash_target=float(cash_target),
        fees=fees or FeeTable([NO_FEES] * n),
        conversion=conversion,
    )


def everything(q: np.ndarray) -> np.ndarray:
    """Rules that refuse nothing (no minimum trade, no commission ratio)."""
    return np.ones(np.shape(q), dtype=bool)


def from_nothing(stage, acc: Account, floor: float) -> tuple[np.ndarray, float]:
    """``stage`` (``fill_deficits`` or ``spend_leftovers``) from no orders yet: every asset
    allowed, no rule refusing, the account's own cash; returns its ``(signed, cash)``."""
    n = len(acc.prices)
    return stage(np.zeros(n), acc, floor, np.ones(n, bool), everything, acc.cash)


def min_value(acc: Account, amount: float):
    """The minimum-trade rule: an order moving less than ``amount`` (base) is refused."""
    return lambda q: np.abs(q) * acc.buy_prices * acc.fx >= amount


def idealpro(
    foreign: np.ndarray, acc_prices: np.ndarray, fx: np.ndarray, rate=0.00002, minimum=2.0
):
    """IBKR IDEALPRO on the net flow of the foreign listings (one currency): 0.2 bp of the
    base value converted, at least 2.00; nothing when no foreign order trades."""

    def fee(q: np.ndarray) -> float:
        flow = float((q * acc_prices * fx)[foreign].sum())
        return 0.0 if flow == 0 else max(minimum, rate * abs(flow))

    return fee
