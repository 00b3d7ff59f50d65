"""The cash-flow question (``c`` on the dashboard): an amount to deposit (``+5000``) or
withdraw (``-2000``), which the plan is then sized for."""

from __future__ import annotations

import math

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from rp_tui.ui import format as fmt


def parse_cash_flow(text: str, nav: float, currency: str) -> float:
    """The amount typed: ``+5000`` or ``5,000`` a deposit, ``-2000`` a withdrawal, ``0`` or
    nothing none.

    Raises:
        ValueError: not a finite number, or a withdrawal larger than ``nav`` (said in words).
    """
    cleaned = text.strip().replace(",", "").replace("_", "").replace(" ", "")
    cleaned = cleaned.removesuffix(currency).removesuffix(currency.lower())
    if not cleaned:
        return 0.0
    try:
        amount = float(cleaned)
    except ValueError:
        raise ValueError(f"{text.strip()!r} is not an amount: type e.g. +5000 or -2000") from None
    if not math.isfinite(amount):
        raise ValueError(f"{text.strip()!r} is not a finite amount: type e.g. +5000 or -2000")
    if -amount > nav:
        raise ValueError(
            f"a withdrawal of {fmt.money(-amount, currency)} is more than the NAV "
            f"{fmt.money(nav, currency)}"
        )
    return amount


class CashFlowScreen(ModalScreen[float | None]):
    """Asks for a deposit or withdrawal in the base currency; dismisses with the amount
    (0 clears a planned one) or None (Esc: nothing changes).

    Args:
        nav: the account's NAV without any cash flow (a withdrawal may not exceed it).
        currency: the base currency.
        current: the cash flow planned now (0 when none).
        broker_kind: ``demo`` books a deposit when the plan is executed; a real broker's
            cash must already hold it.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, nav: float, currency: str, current: float, broker_kind: str) -> None:
        super().__init__()
        self.nav, self.currency, self.current = nav, currency, current
        self.broker_kind = broker_kind

    def compose(self) -> ComposeResult:
        now = (
            f"Now planned: {fmt.money(self.current, self.currency)} (0 clears it)."
            if self.current
            else "Now planned: none."
        )
        where = (
            "The demo account books a deposit when the plan is executed."
            if self.broker_kind == "demo"
            else "A deposit must have arrived in the account before the plan is executed."
        )
        with Vertical(id="cash-box") as box:
            box.border_title = "Cash flow"
            yield Static(
                Text(
                    f"Deposit (+5000) or withdrawal (-2000), {self.currency}; NAV "
                    f"{fmt.money(self.nav, self.currency)}.\nA deposit is spent on the most "
                    "underweight assets first, a withdrawal raised from the most overweight.\n"
                    f"{where}\n{now}"
                ),
                id="cash-message",
            )
            yield Input(placeholder="+5000 or -2000", id="cash-amount", restrict=r"[-+0-9.,_ ]*")
            yield Static("", id="cash-error")
            yield Static(Text("Enter: plan with it    Esc: cancel"), id="cash-keys")

    def on_mount(self) -> None:
        self.query_one("#cash-error").display = False

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter: check the amount; plan with it, or say what is wrong and stay."""
        try:
            amount = parse_cash_flow(event.value, self.nav, self.currency)
        except ValueError as exc:
            error = self.query_one("#cash-error", Static)
            error.update(Text(str(exc)))
            error.display = True
            return
        self.dismiss(amount)

    def action_cancel(self) -> None:
        """Close without changing the plan."""
        self.dismiss(None)
