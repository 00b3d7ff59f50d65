"""Order preview: the plan's orders with totals, before anything is sent."""

from __future__ import annotations

from collections import defaultdict

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from rp_tui.services.execution import what_if_commissions
from rp_tui.services.plan_records import Plan
from rp_tui.ui import format as fmt
from rp_tui.ui.dashboard import blocked_text

COLUMNS = (
    ("side", "Side", False),
    ("symbol", "Symbol", False),
    ("quantity", "Qty", True),
    ("price", "Ref. price", True),
    ("notional", "Notional", True),
    ("commission", "Est. comm.", True),
    ("tws", "TWS est.", True),
    ("currency", "Ccy", False),
)


def side_totals(plan: Plan) -> dict[str, dict[str, float]]:
    """Notional per side (``"SELL"``, ``"BUY"``) and currency, for the totals line."""
    totals: dict[str, dict[str, float]] = {"SELL": defaultdict(float), "BUY": defaultdict(float)}
    for order in plan.orders:
        totals[order.side][order.currency] += order.notional
    return totals


def _amounts(by_currency: dict[str, float]) -> str:
    if not by_currency:
        return "0.00"
    return " + ".join(fmt.money(v, ccy) for ccy, v in sorted(by_currency.items()))


def totals_text(plan: Plan) -> str:
    """Sold, bought, commission and cash before / after, in plan currencies."""
    ccy = plan.base_currency
    totals = side_totals(plan)
    return (
        f"Sold {_amounts(totals['SELL'])}   Bought {_amounts(totals['BUY'])}\n"
        f"Est. commission {fmt.money(plan.total_commission, ccy)}   "
        f"Cash {fmt.money(plan.cash, ccy)} now, {fmt.money(plan.cash_after, ccy)} after"
    )


def no_orders_text(plan: Plan) -> str:
    """Why the plan is empty."""
    band = fmt.points(plan.band, signed=False)
    drift = fmt.points(plan.max_abs_drift, signed=False)
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
    notional and estimated commission in each order's currency, sells first."""

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
            yield Static(
                Text("Enter: review and confirm. Nothing is sent before you press y."),
                id="preview-note",
            )
        else:
            yield Static(Text(no_orders_text(plan)), id="preview-empty")
        if plan.blocked:
            yield Static(Text(blocked_text(plan)), id="preview-blocked")
        yield Footer()

    def on_mount(self) -> None:
        if not self.plan.orders:
            return
        table = self.query_one("#orders", DataTable)
        for key, label, numeric in COLUMNS:
            table.add_column(Text(label, justify="right") if numeric else label, key=key)
        for o in self.plan.orders:
            table.add_row(
                Text(o.side),
                Text(o.symbol),
                Text(fmt.quantity(o.quantity), justify="right"),
                Text(fmt.number(o.price), justify="right"),
                Text(fmt.number(o.notional), justify="right"),
                Text(fmt.number(o.commission), justify="right"),
                Text("...", justify="right"),
                Text(o.currency),
                key=o.symbol,
            )
        self.fetch_what_if()

    @work(exclusive=True, group="what-if", exit_on_error=False)
    async def fetch_what_if(self) -> None:
        """TWS's own commission estimate beside the model's ("unknown" when it has none)."""
        try:
            estimates = await what_if_commissions(self.app.broker, self.plan)
        except Exception:  # an estimate is a courtesy: never let it take the app down
            estimates = {}
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
