"""The confirmation modal: the last stop before orders reach the broker."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Static

from rp_tui.broker.base import TradingAccess
from rp_tui.services.plan_records import Plan
from rp_tui.ui import format as fmt
from rp_tui.ui.dashboard_text import READ_ONLY_FIX, access_label, cash_flow_text

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
    if plan.cash_flow:
        lines.append(f"Planned with a {cash_flow_text(plan)}")
    lines.append(
        f"Est. commission {fmt.money(plan.total_commission, ccy)}; "
        f"cash after {fmt.money(plan.cash_after, ccy)}"
    )
    return lines


def refusal(access: TradingAccess | None) -> str:
    """Why the broker will refuse this run before sending anything (read-only, a live
    account not allowed), in plain words; "" when nothing stands in the way."""
    if access is None:
        return ""
    if access.read_only_reason:
        return f"READ-ONLY: this run will be refused: {access.read_only_reason}"
    if access.read_only:
        return (
            f"READ-ONLY: this run will be refused and nothing sent ([broker] read_only = "
            f"true); {READ_ONLY_FIX}"
        )
    if access.live and not access.allow_live:
        return (
            f"LIVE account {access.account}: this run will be refused ([broker] allow_live = "
            "false); nothing will be sent"
        )
    return ""


class ConfirmScreen(ModalScreen[bool | str]):
    """Asks whether to send the plan's orders; dismisses with True (``y``) or False.

    ``access`` is the broker's :class:`~rp_tui.broker.base.TradingAccess` read now: the
    modal names the broker and account, PAPER or LIVE, and says when the run will be
    refused (read-only). A live account (any broker) must have its id typed, then Enter;
    the modal then dismisses with what was typed, which the execution path checks.
    """

    BINDINGS = [
        Binding("y", "answer(True)", "Yes, execute"),
        Binding("n", "answer(False)", "No"),
        Binding("escape", "answer(False)", "Cancel"),
    ]

    def __init__(self, plan: Plan, access: TradingAccess | None = None) -> None:
        super().__init__()
        self.plan = plan
        self.access = access
        self.typed_account = bool(access and access.live)

    def compose(self) -> ComposeResult:
        plan = self.plan
        count = len(plan.orders)
        with Vertical(id="confirm-box") as box:
            box.border_title = f"Execute {count} order{'s' if count != 1 else ''}?"
            head = access_label(self.access, plan.account) or f"{plan.broker} {plan.account}"
            if self.typed_account:
                head += " (real money)"
            yield Static(Text(f"Account: {head}"), classes="confirm-head")
            yield Static(Text("\n".join(summary_lines(plan))), id="confirm-orders")
            refused = refusal(self.access)
            if refused:
                yield Static(Text(refused), id="confirm-refused")
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
