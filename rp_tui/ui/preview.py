"""Order preview: the plan's orders with totals, before anything is sent."""

from __future__ import annotations

import math
from collections import defaultdict

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from rp_tui.services.plan_records import OrderRow, Plan
from rp_tui.ui import format as fmt
from rp_tui.ui.dashboard_text import blocked_text, cash_flow_text

# (key, label, numeric); the TWS column only on a broker that gives what-if estimates
COLUMNS = (
    ("side", "Side", False),
    ("symbol", "Symbol", False),
    ("quantity", "Qty", True),
    ("price", "Price", True),
    ("notional", "Notional", True),
    ("commission", "Est. comm.", True),
    ("tws", "TWS est.", True),
    ("gain", "Est. gain", True),
    ("currency", "Ccy", False),
)
UNVERIFIED = "*"  # after a commission that rests on a fee figure not verified at its source


def side_totals(plan: Plan) -> dict[str, dict[str, float]]:
    """Notional per side (``"SELL"``, ``"BUY"``) and currency, for the totals line."""
    totals: dict[str, dict[str, float]] = {"SELL": defaultdict(float), "BUY": defaultdict(float)}
    for order in plan.orders:
        totals[order.side][order.currency] += order.notional
    return totals


def _amounts(by_currency: dict[str, float], currency: str) -> str:
    if not by_currency:
        return fmt.money(0.0, currency)
    return " + ".join(fmt.money(v, ccy) for ccy, v in sorted(by_currency.items()))


def unverified(order: OrderRow) -> list[str]:
    """The order's fee notes that rest on a figure not verified at its source."""
    return [note for note in order.fee_notes if "unverified" in note]


def gain_text(order: OrderRow) -> str:
    """A sell's estimated realised gain (``-341.46``), ``unknown`` without its cost; ""
    for a buy."""
    if order.side != "SELL":
        return ""
    return fmt.number(order.realised_gain) if math.isfinite(order.realised_gain) else "unknown"


def totals_text(plan: Plan) -> str:
    """Sold, bought, the sells' estimated realised gain, commission, the cash flow, and
    cash before / after with the reserve, in plan currencies."""
    ccy = plan.base_currency
    totals = side_totals(plan)
    lines = [f"Sold {_amounts(totals['SELL'], ccy)}   Bought {_amounts(totals['BUY'], ccy)}"]
    if totals["SELL"]:
        gain = plan.total_realised_gain
        lines[0] += "   Est. realised gain " + (
            fmt.money(gain, ccy) if math.isfinite(gain) else "unknown (a cost is unknown)"
        )
    lines.append(
        f"Est. commission {fmt.money(plan.total_commission, ccy)}   "
        f"Cash {fmt.money(plan.cash, ccy)} now, {fmt.money(plan.cash_after, ccy)} after"
    )
    if math.isfinite(plan.reserve):
        why = "the cash buffer" + (" and the withdrawal" if plan.cash_flow < 0 else "")
        lines.append(f"Kept as cash: {fmt.money(plan.reserve, ccy)} ({why})")
    if plan.cash_flow > 0:
        lines.append(
            f"Cash flow: a {cash_flow_text(plan)}, counted in the cash now"
            + (" and booked when executed" if plan.broker == "demo" else " (it must have arrived)")
        )
    elif plan.cash_flow < 0:
        lines.append(f"Cash flow: a {cash_flow_text(plan)}, raised by the sells and kept as cash")
    return "\n".join(lines)


def fee_note_lines(plan: Plan) -> list[str]:
    """The fee model's notes behind the orders, once each: unverified figures marked
    :data:`UNVERIFIED` (as their commissions in the table), then the other assumptions."""
    doubtful = dict.fromkeys(n for o in plan.orders for n in unverified(o))
    others = dict.fromkeys(n for o in plan.orders for n in o.fee_notes if n not in doubtful)
    lines = [
        f"{UNVERIFIED} unverified fee figure: {note.removesuffix(': unverified')}"
        for note in doubtful
    ]
    return lines + [f"Fee note: {note}" for note in others]


def no_orders_text(plan: Plan) -> str:
    """Why the plan is empty."""
    band = fmt.points(plan.band, signed=False)
    drift = fmt.points(plan.max_abs_drift, signed=False)
    if plan.withheld:
        return f"No orders: {plan.withheld}."
    if plan.max_abs_drift <= plan.band:
        return (
            f"No orders: every asset is within the {band} band of its target "
            f"(largest drift {drift})."
        )
    return (
        f"No orders: the largest drift ({drift}) exceeds the {band} band, but no whole-share "
        "trade fits the cash and cash buffer."
    )


class PreviewScreen(Screen):
    """The orders that would rebalance the account: side, quantity, reference price,
    notional, estimated commission (and TWS's own, on IBKR) and a sell's estimated realised
    gain in each order's currency, sells first."""

    BINDINGS = [
        Binding("enter", "confirm", "Confirm", priority=True),
        Binding("x", "confirm", "Confirm", show=False),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    def __init__(self, plan: Plan) -> None:
        super().__init__()
        self.plan = plan

    def compose(self) -> ComposeResult:
        plan = self.plan
        yield Header()
        yield Static(
            Text(f"Rebalance {plan.broker} {plan.account} at the {plan.as_of[:10]} prices"),
            id="preview-title",
        )
        if plan.orders:
            yield DataTable(id="orders", cursor_type="row", zebra_stripes=True)
            yield Static(Text(totals_text(plan)), id="preview-totals")
            notes = fee_note_lines(plan)
            if notes:
                yield Static(Text("\n".join(notes)), id="preview-fees")
            yield Static(
                Text("Enter: review and confirm. Nothing is sent before you press y."),
                id="preview-note",
            )
        else:
            yield Static(Text(no_orders_text(plan)), id="preview-empty")
        if plan.blocked:
            yield Static(Text(blocked_text(plan)), id="preview-blocked")
        yield Footer()

    @property
    def what_if(self) -> bool:
        """Whether the broker gives its own commission estimate (IBKR's what-if)."""
        return hasattr(self.app.broker, "what_if")

    def on_mount(self) -> None:
        if not self.plan.orders:
            return
        table = self.query_one("#orders", DataTable)
        keys = [c for c in COLUMNS if c[0] != "tws" or self.what_if]
        for key, label, numeric in keys:
            table.add_column(Text(label, justify="right") if numeric else label, key=key)
        for o in self.plan.orders:
            cells = {
                "side": Text(o.side),
                "symbol": Text(o.symbol),
                "quantity": Text(fmt.quantity(o.quantity), justify="right"),
                "price": Text(fmt.number(o.price), justify="right"),
                "notional": Text(fmt.number(o.notional), justify="right"),
                "commission": Text(
                    fmt.number(o.commission) + (UNVERIFIED if unverified(o) else " "),
                    justify="right",
                ),
                "tws": Text("...", justify="right"),
                "gain": Text(gain_text(o), justify="right"),
                "currency": Text(o.currency),
            }
            table.add_row(*(cells[key] for key, _, _ in keys), key=o.symbol)
        if self.what_if:
            self.fetch_what_if()

    @work(exclusive=True, group="what-if", exit_on_error=False)
    async def fetch_what_if(self) -> None:
        """TWS's own commission estimate beside the model's ("unknown" when it has none)."""
        from rp_tui.services.execution import what_if_commissions

        try:
            estimates = await what_if_commissions(self.app.broker, self.plan)
        except Exception:  # an estimate is a courtesy: never let it take the app down
            estimates = {}
        if self not in self.app.screen_stack:  # closed while TWS answered: nothing to fill
            return
        table = self.query_one("#orders", DataTable)
        for o in self.plan.orders:
            value = estimates.get(o.symbol, float("nan"))
            text = "unknown" if value != value else fmt.number(value)
            table.update_cell(o.symbol, "tws", Text(text, justify="right"))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # No orders: hide "Confirm" from the footer; the note on screen says why.
        return bool(self.plan.orders) if action == "confirm" else True

    def action_confirm(self) -> None:
        """Ask for confirmation (the app executes only after ``y``)."""
        self.app.confirm_plan(self.plan)
