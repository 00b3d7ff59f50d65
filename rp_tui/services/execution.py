"""Sending a confirmed plan (through :mod:`rp_tui.services.order_flow`), what-if commissions,
and the trading state and trade log around it."""

from __future__ import annotations

from rp_tui.broker.base import Broker, Fill
from rp_tui.errors import BrokerError, UserError
from rp_tui.services.order_flow import execute_orders
from rp_tui.services.plan_records import Plan


async def what_if_commissions(broker: Broker, plan: Plan) -> dict[str, float]:
    """TWS's own commission estimate per ordered symbol (listing currency), beside the model's.

    NaN where TWS has no value (it sends 1.7976931348623157e308) or the broker cannot say
    (the demo account, a read-only connection, a timeout). Never raises for those.
    """
    what_if = getattr(broker, "what_if", None)
    if what_if is None or not plan.orders:
        return {o.symbol: float("nan") for o in plan.orders}
    try:
        return await what_if([o.request() for o in plan.orders])
    except (UserError, TimeoutError, ConnectionError):
        return {o.symbol: float("nan") for o in plan.orders}


def read_trade_log(limit: int = 500) -> list[dict]:
    """The last ``limit`` trade-log records (intents, orders, statuses, fills), oldest first."""
    from rp_tui.state.trade_log import TradeLog

    return TradeLog().read(limit)


def trading_state() -> str:
    """The persistent trading state: ``ACTIVE``, ``REDUCING`` or ``HALTED``."""
    from rp_tui.state.trading_state import read_trading_state

    return read_trading_state().value


def set_trading_state(state: str) -> None:
    """Set the kill switch (``ACTIVE`` / ``REDUCING`` / ``HALTED``); raises ValueError."""
    from rp_tui.domain.safety import TradingState
    from rp_tui.state.trading_state import write_trading_state

    write_trading_state(TradingState(state))


async def execute_plan(
    broker: Broker, plan: Plan, run_id: str = "", typed_confirmation: str = ""
) -> list[Fill]:
    """Send the plan's orders through the one guarded path every broker shares
    (:func:`rp_tui.services.order_flow.execute_orders`): sells first, buys within the cash
    after the sells. Call only after the user confirmed; ``typed_confirmation`` is the
    account id a live account needs.

    Returns:
        One :class:`Fill` per order, sells first.

    A plan sized for a cash flow (``plan.cash_flow``): the demo account books a deposit
    before the orders and pays a withdrawal out after them; a real broker's cash is what the
    account holds, so a plan counting on a deposit that has not arrived is refused.

    Raises:
        BrokerError: refused before anything was sent (read-only, disconnected, live guard,
            HALTED, a pre-trade check, a deposit a real broker does not hold), every reason
            named.
    """
    move_cash = getattr(broker, "move_cash", None)
    if plan.cash_flow > 0 and move_cash is None:
        raise BrokerError(
            f"this plan counts on a deposit of {plan.cash_flow:,.2f} {plan.base_currency} that "
            f"{plan.broker} account {plan.account} does not hold yet: nothing was sent; plan "
            "again without --deposit once the money has arrived"
        )
    if plan.cash_flow > 0:
        move_cash(plan.cash_flow, "deposit")
    orders = [order.request() for order in plan.orders]
    fills = await execute_orders(
        broker,
        orders,
        run_id=run_id,
        buy_budget=plan.buy_budget,
        typed_confirmation=typed_confirmation,
        fractional=plan.policy.fractional,
    )
    if plan.cash_flow < 0 and move_cash is not None:
        move_cash(plan.cash_flow, "withdrawal")
    return fills
