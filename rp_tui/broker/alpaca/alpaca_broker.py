"""Alpaca's trading API through alpaca-py: paper by default, live only with
``alpaca_paper = false``, ``allow_live = true`` and the account number typed at each run
(the shared execution path enforces both from :meth:`AlpacaBroker.access`).

The broker is assembled from one mixin per job, each in its own module: market data and
hours, the account snapshot and order sending; every request goes through
:class:`~rp_tui.broker.alpaca.alpaca_link.AlpacaLink` (timeouts, retries, Retry-After).
Keys come from ``APCA_API_KEY_ID`` / ``APCA_API_SECRET_KEY`` or the keyring (service
``rp-tui``, names ``alpaca-key-id`` / ``alpaca-secret-key``), never from portfolio.toml.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import urlparse

from rp_tui.broker.alpaca.alpaca_account import AccountMixin
from rp_tui.broker.alpaca.alpaca_link import AlpacaLink, tame
from rp_tui.broker.alpaca.alpaca_market import MarketMixin
from rp_tui.broker.alpaca.alpaca_orders import OrdersMixin
from rp_tui.broker.broker_secrets import require_secret
from rp_tui.broker.ibkr.history import HistoryCache
from rp_tui.domain.fee_model import FeeTable
from rp_tui.domain.safety import SafetyLimits
from rp_tui.errors import BrokerError
from rp_tui.inputs.portfolio import Asset, BrokerSettings, Execution
from rp_tui.state.storage import data_dir
from rp_tui.state.trade_log import TradeLog

PAPER_URL = "https://paper-api.alpaca.markets"
LIVE_URL = "https://api.alpaca.markets"
DATA_URL = "https://data.alpaca.markets"
KEY_ENV = ("APCA_API_KEY_ID", "ALPACA_API_KEY")
SECRET_ENV = ("APCA_API_SECRET_KEY", "ALPACA_SECRET_KEY")


def _base_url(value: str, key: str, default: str) -> str:
    """``value`` (a ``[broker]`` URL) checked, or ``default`` when empty.

    Raises:
        BrokerError: not an http(s) URL with a host; names the key.
    """
    if not value:
        return default
    parts = urlparse(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BrokerError(
            f"[broker] {key} = {value!r} is not an http(s) URL; leave it empty for Alpaca's own"
        )
    return value.rstrip("/")


class AlpacaBroker(AccountMixin, MarketMixin, OrdersMixin):
    """An Alpaca account (US equities, USD).

    Args:
        settings: ``alpaca_paper``, ``alpaca_feed``, ``alpaca_url``, ``alpaca_data_url``,
            ``read_only``, ``allow_live``.
        assets: the portfolio's assets (US listings in USD).
        base_currency: the portfolio's base currency; must be USD.
        fees: fee schedule per asset (``[fees] plan = "alpaca"``: no commission, the
            regulatory fees passed on).
        execution: order type, limit tolerance, fill timeout, what happens to unfilled.
        limits: pre-trade caps and the price band.
        log: the trade log (default location when ``None``).
        on_status: called with one-line news (connected, rate limited, order statuses).
        sleep: the wait between retries (``asyncio.sleep``; tests record it).
        poll_interval: seconds between two polls of the run's orders.

    Raises:
        BrokerError: keys missing, a base URL that is not http(s), a listing not in USD.
    """

    kind = "alpaca"

    def __init__(
        self,
        settings: BrokerSettings,
        assets: Sequence[Asset],
        base_currency: str,
        fees: FeeTable,
        execution: Execution | None = None,
        limits: SafetyLimits | None = None,
        log: TradeLog | None = None,
        on_status: Callable[[str], None] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        poll_interval: float = 1.0,
    ):
        from alpaca.data.historical import StockHistoricalDataClient
        from alpaca.trading.client import TradingClient

        others = [f"{a.symbol} ({a.currency})" for a in assets if a.currency != "USD"]
        if others or base_currency != "USD":
            raise BrokerError(
                "Alpaca trades US listings in USD: "
                + (f"{', '.join(others)} in portfolio.toml" if others else "")
                + ("" if base_currency == "USD" else f'base_currency = "{base_currency}"')
                + "; use --broker ibkr for other markets"
            )
        self.settings, self.assets, self.base_currency = settings, tuple(assets), base_currency
        self.fees = fees
        self.execution = execution or Execution()
        self.limits = limits or SafetyLimits()
        self.log = log or TradeLog()
        self._on_status = on_status or (lambda _text: None)
        paper = settings.alpaca_paper
        trading_url = _base_url(settings.alpaca_url, "alpaca_url", PAPER_URL if paper else LIVE_URL)
        data_url = _base_url(settings.alpaca_data_url, "alpaca_data_url", DATA_URL)
        key = require_secret(KEY_ENV, "alpaca-key-id", "the Alpaca API key id")
        secret = require_secret(SECRET_ENV, "alpaca-secret-key", "the Alpaca API secret key")
        self.trading = tame(TradingClient(key, secret, paper=paper, url_override=trading_url))
        self.data = tame(StockHistoricalDataClient(key, secret, url_override=data_url))
        kwargs = {"sleep": sleep} if sleep is not None else {}
        self.link = AlpacaLink(trading_url, on_status=self._status, **kwargs)
        self.account = ""
        self._nav = math.nan
        self._blocked_account = ""
        self.tradable: dict[str, Any] = {}
        self._run_ids: dict[str, str] = {}
        self.poll_interval = poll_interval
        self.history_cache = HistoryCache(data_dir() / "history" / f"alpaca-{settings.alpaca_feed}")

    @property
    def on_status(self) -> Callable[[str], None]:
        """Receives one-line news for the status line (the UI replaces it)."""
        return self._on_status

    @on_status.setter
    def on_status(self, value: Callable[[str], None]) -> None:
        self._on_status = value

    def _status(self, text: str) -> None:
        self._on_status(text)

    @property
    def paper(self) -> bool:
        """Whether this is Alpaca's paper-trading endpoint (``alpaca_paper = true``)."""
        return self.settings.alpaca_paper

    def disconnect(self) -> None:
        """Close the HTTP sessions (there is no standing connection to Alpaca)."""
        self.trading._session.close()
        self.data._session.close()
