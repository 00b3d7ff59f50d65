"""The broker's connection as the app shows it: the status line, lost and reconnected
notices, the reconnecting worker, the unreachable-TWS question, and leaving for the demo.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rp_tui.services.session import make_broker
from rp_tui.ui.connect_failed import ConnectFailedScreen
from rp_tui.ui.dashboard import DashboardScreen

if TYPE_CHECKING:
    from rp_tui.ui.app import RpTuiApp

UNREACHABLE = "cannot reach TWS"


def lost_notice(kind: str, text: str, connected_text: str) -> str:
    """What the "Connection lost" notice says, in the words of the broker that was lost:
    TWS cut off from IBKR (1100) or not answering; Alpaca (or any other) in its own words
    (``Alpaca at https://… not answering; retrying``)."""
    if kind != "ibkr":
        return text[0].upper() + text[1:]
    if text.startswith("TWS"):  # 1100: TWS is up, IBKR is not; TWS reconnects itself
        return f"{text}: nothing can be sent until it is restored"
    where = connected_text.rpartition(" at ")[2]
    return f"TWS at {where} stopped answering; reconnecting"


class BrokerStatus:
    """Follows the app's broker connection (IBKR, Alpaca, a Flex statement); on the demo
    account it stays quiet.

    Attributes:
        connection: the broker's last status line, shown first on the dashboard.
    """

    def __init__(self, app: RpTuiApp) -> None:
        self.app = app
        self.connection = ""
        self._connected_text = ""  # the last "connected to …" line (shown again on 1101/1102)
        self._lost = False  # the connection dropped after it had been up: say so when back
        self._supervising = False

    def attach(self) -> None:
        """Receive the status news of the app's current broker."""
        if hasattr(self.app.broker, "on_status"):
            self.app.broker.on_status = self.on_status

    def on_status(self, text: str) -> None:
        """News from the broker: the connection (IBKR: connecting, connected, retrying in
        N s, 1100; Alpaca: connected, not answering) on the status line; order statuses
        while orders are out, live, below the table.

        The brokers call this inside the app's event loop, so widgets are updated directly.
        """
        app = self.app
        if text.startswith(("BUY ", "SELL ")):
            if app.executing and app.screen_stack:
                app.dashboard.show_busy(f"Orders out: {text}")
            return
        if "restored" in text:  # 1101 / 1102: TWS reached IBKR again
            text = self._connected_text or text
        was_up = self.connection.startswith("connected")
        self.connection = text
        if text.startswith("connected"):
            self._connected_text = text
            if self._lost:
                self._lost = False
                app.notify(text[0].upper() + text[1:], title="Reconnected")
                if not app.executing and (app.plan is not None or app.plan_error):
                    app.action_refresh_plan()  # prices and positions may have moved
        elif was_up:
            self._lost = True
            app.notify(lost_notice(app.broker.kind, text, self._connected_text),
                       title="Connection lost", severity="warning")  # fmt: skip
        if app.screen_stack and isinstance(app.screen_stack[0], DashboardScreen):
            app.dashboard.update_status()

    def plan_loaded(self) -> None:
        """A plan arrived: a pending "cannot reach TWS" question is moot, and from now on
        the broker reconnects by itself (with back-off) for as long as the app runs."""
        app = self.app
        if isinstance(app.screen, ConnectFailedScreen):
            app.screen.dismiss(None)
        if hasattr(app.broker, "supervise") and not self._supervising:
            self._supervising = True
            app.run_worker(app.broker.supervise(), group="connection", exit_on_error=False)

    def plan_failed(self, message: str) -> None:
        """Say why the plan could not be built: an unreachable TWS asks what to do (only on
        the dashboard: results or a notice on top stay readable), anything else notifies."""
        app = self.app
        if UNREACHABLE not in message:
            app.notify(message, title="Cannot build the plan", severity="error", timeout=10)
        elif app.screen is app.dashboard:
            app.push_screen(ConnectFailedScreen(message), self._after_connect_failed)

    def _after_connect_failed(self, choice: str | None) -> None:
        if choice == "quit":
            self.app.exit()
        elif choice == "demo":
            self.use_demo()
        elif choice == "retry":
            self.app.action_refresh_plan()

    def close(self) -> None:
        """Close the broker's connection for good (IBKR), silently."""
        broker = self.app.broker
        if hasattr(broker, "on_status"):
            broker.on_status = lambda _text: None  # no news from a broker we left
        getattr(broker, "disconnect", lambda: None)()

    def use_demo(self) -> None:
        """Leave IBKR for the built-in demo account (this session only)."""
        app = self.app
        if app.broker.kind == "demo":
            app.notify("Already on the demo account")
            return
        self.close()
        app.workers.cancel_group(app, "connection")
        app.broker = make_broker(app.session, "demo")
        self.connection, self._supervising, self._lost = "", False, False
        app.retitle()
        app.notify("Switched to the demo account")
        app.action_refresh_plan()

    def reconnect(self) -> None:
        """Drop the IBKR connection and build the plan again (which reconnects)."""
        app = self.app
        if app.broker.kind == "demo":
            app.notify("The demo account needs no connection")
            return
        app.broker.restart_connection()
        app.action_refresh_plan()
