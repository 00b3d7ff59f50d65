"""Request handlers for positions and account values, and the pushes to subscribed clients."""

from __future__ import annotations

import time

from . import messages as msg

_LEDGER_KEYS = frozenset(
    {"CashBalance", "TotalCashBalance", "ExchangeRate", "NetLiquidationByCurrency"}
)


class AccountHandlers:
    """``Session`` mixin: positions, portfolio, account updates (plain and multi), summary.

    The session provides ``emu``, ``send`` and the subscription state it keeps per client.
    """

    def _req_positions(self, _fields: list[str]) -> None:
        self.positions_subscribed = True
        for account in self.emu.scenario.account_ids:
            for position in self.emu.scenario.positions_of(account):
                self.send_position(account, position.symbol)
        self.send(msg.position_end())

    def send_position(self, account: str, symbol: str) -> None:
        """POSITION_DATA for one holding."""
        scenario = self.emu.scenario
        instrument = scenario.instrument(symbol)
        for p in scenario.positions_of(account):
            if p.symbol == symbol and instrument is not None:
                self.send(msg.position_data(account, instrument, p.quantity, p.avg_cost))

    def _send_portfolio(self, account: str, symbol: str | None = None) -> None:
        scenario = self.emu.scenario
        for position in scenario.positions_of(account):
            instrument = scenario.instrument(position.symbol)
            if instrument is None or symbol not in (None, position.symbol):
                continue
            self.send(
                msg.portfolio_value(
                    account,
                    instrument,
                    position.quantity,
                    scenario.market_price(position),
                    position.avg_cost,
                    position.realized_pnl,
                )
            )

    def _req_account_updates(self, fields: list[str]) -> None:
        subscribe, account = fields[2] == "1", fields[3] or self.emu.scenario.account_ids[0]
        if not subscribe:
            self.account_updates = None
            return
        self.account_updates = account
        self.push_account_updates(account)
        self.send(msg.acct_download_end(account))

    def push_account_updates(self, account: str, symbol: str | None = None) -> None:
        """ACCT_VALUE rows, PORTFOLIO_VALUE (all, or one symbol) and ACCT_UPDATE_TIME."""
        if account not in self.emu.scenario.account_ids:
            return
        for key, value, currency in self.emu.scenario.account_values(account):
            self.send(msg.acct_value(key, value, currency, account))
        self._send_portfolio(account, symbol)
        self.send(msg.acct_update_time(time.strftime("%H:%M")))

    def _req_account_updates_multi(self, fields: list[str]) -> None:
        req_id, account = int(fields[2]), fields[3]
        self.account_multi[req_id] = account
        self.push_account_multi(req_id, account)
        self.send(msg.account_update_multi_end(req_id))

    def push_account_multi(self, req_id: int, account: str) -> None:
        """ACCOUNT_UPDATE_MULTI rows of one account."""
        if account not in self.emu.scenario.account_ids:
            return
        for key, value, currency in self.emu.scenario.account_values(account):
            self.send(msg.account_update_multi(req_id, account, key, value, currency))

    def _req_account_summary(self, fields: list[str]) -> None:
        req_id, tags = int(fields[2]), set(fields[4].split(","))
        ledger_all = "$LEDGER:ALL" in tags
        scenario = self.emu.scenario
        for account in scenario.accounts:
            for key, value, currency in scenario.account_values(account.account_id):
                is_ledger = key in _LEDGER_KEYS
                wanted = (
                    is_ledger and (ledger_all or ("$LEDGER" in tags and currency == "BASE"))
                ) or (not is_ledger and key in tags)
                if wanted:
                    self.send(msg.account_summary(req_id, account.account_id, key, value, currency))
        self.send(msg.account_summary_end(req_id))
