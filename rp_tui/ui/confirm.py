"""The confirmation modal: the last stop before orders reach the broker."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Static

from rp_tui.services.plan_records import Plan
from rp_tui.ui import format as fmt

MAX_LINES = 8  # orders listed in the modal; the rest are counted (fits 80x24)


def summary_lines(plan: Plan) -> list[str]:
    """One line per order (``SELL 11 QUAL @ 111.88 = 1,230.71 USD``), at most
    :data:`MAX_LINES`, then the commission and the cash left."""
    shown = plan.orders[:MAX_LINES]
    cells = [
        (
            o.side,
            fmt.quantity(o.quantity),
            o.symbol,
            fmt.number(o.price),
            fmt.money(o.notional, o.currency),
        )
        for o in shown
    ]
    widths = [max((len(c[i]) for c in cells), default=0) for i in range(5)]
    lines = [
        f"{side:<{widths[0]}} {qty:>{widths[1]}} {symbol:<{widths[2]}} @ {price:>{widths[3]}}"
        f" = {notional:>{widths[4]}}"
        for side, qty, symbol, price, notional in cells
    ]
    if len(plan.orders) > MAX_LINES:
        lines.append(f"... and {len(plan.orders) - MAX_LINES} more (see the preview)")
    ccy = plan.base_currency
    lines.append("")
    lines.append(
        f"Est. commission {fmt.money(plan.total_commission, ccy)}; "
        f"cash after {fmt.money(plan.cash_after, ccy)}"
    )
    return lines


class ConfirmScreen(ModalScreen[bool | str]):
    """Asks whether to send the plan's orders; dismisses with True (``y``) or False.

    With ``typed_account`` (a live, non-paper account) the user must type the account id
    and press Enter; the modal then dismisses with what was typed, which the broker checks.
    """

    BINDINGS = [
        Binding("y", "answer(True)", "Yes, execute"),
        Binding("n", "answer(False)", "No"),
        Binding("escape", "answer(False)", "Cancel"),
    ]

    def __init__(self, plan: Plan, typed_account: bool = False) -> None:
        super().__init__()
        self.plan = plan
        self.typed_account = typed_account

    def compose(self) -> ComposeResult:
        plan = self.plan
        count = len(plan.orders)
        with Vertical(id="confirm-box") as box:
            box.border_title = f"Execute {count} order{'s' if count != 1 else ''}?"
            kind = " (LIVE: real money)" if self.typed_account else ""
            if plan.broker == "ibkr" and not self.typed_account:
                kind = " (paper)"
            yield Static(
                Text(f"Account {plan.broker} {plan.account}{kind}"), classes="confirm-head"
            )
            yield Static(Text("\n".join(summary_lines(plan))), id="confirm-orders")
            if self.typed_account:
                yield Static(
                    Text(f"LIVE account {plan.account}: type its id, then Enter"), id="confirm-live"
                )
                yield Input(placeholder=plan.account, id="confirm-account")
                yield Static(
                    Text("Enter: execute    Esc: cancel (nothing is sent)"), id="confirm-keys"
                )
            else:
                yield Static(
                    Text("y: execute    n / Esc: cancel (nothing is sent)"), id="confirm-keys"
                )
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # A live account is confirmed by typing its id: "y" must not do it (nor type "y").
        return not (self.typed_account and action == "answer" and parameters == (True,))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the account box: hand what was typed to the broker's check."""
        self.dismiss(event.value.strip() or False)

    def action_answer(self, execute: bool) -> None:
        """Close the modal with the user's answer."""
        self.dismiss(execute)
