"""Interactive Brokers through ib_async, using only its async API (safe inside Textual's loop).

Connection: ``connectAsync`` with a timeout; contracts qualified once and cached by symbol;
snapshot quotes, falling back to delayed data when live data is not subscribed (errors 354,
10089, 10167, 10168); account values and positions from the subscription ib_async keeps.

Execution (only after the user confirmed): the pre-trade checks of
:mod:`rp_tui.domain.safety` against fresh quotes, the paper-account guard, every intent
appended to the trade log *before* it is sent, sells first, then buys resized on the cash the
sells actually brought in; every order carries ``orderRef = rp-tui:<run id>:<leg>``. An
order whose outcome is unknown when the connection drops is never re-sent.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from rp_tui.broker.base import AccountSnapshot, Fill, OrderRequest
from rp_tui.broker.ibkr_history import IDENTICAL_GAP_SECONDS, HistoryCache, Pacer
from rp_tui.domain.fee_model import FeeTable
from rp_tui.domain.rebalance import fit_buys
from rp_tui.domain.safety import (
    OrderCheck,
    SafetyLimits,
    TradingState,
    check_orders,
    is_paper_account,
    marketable_limit,
)
from rp_tui.errors import BrokerError
from rp_tui.inputs.portfolio import Asset, BrokerSettings, Execution
from rp_tui.inputs.prices import PriceHistory
from rp_tui.state.trade_log import TradeLog
from rp_tui.state.trading_state import read_trading_state

NOT_SUBSCRIBED = frozenset({354, 10089, 10167, 10168})
UNSET_DOUBLE = 1.7976931348623157e308  # TWS's "no value" (e.g. an unknown what-if commission)
MARKET_DATA_KINDS = {1: "live", 2: "frozen", 3: "delayed", 4: "delayed-frozen"}
DONE_STATUSES = frozenset({"Filled", "Cancelled", "ApiCancelled", "Inactive"})
QUOTE_TIMEOUT = 10.0
WATCHDOG_SECONDS = 60.0  # no data for this long: ask TWS for its time to prove it is alive


@dataclass(frozen=True)
class Quote:
    """A snapshot quote in the listing currency; NaN where a field did not arrive.

    ``kind`` is ``live``, ``delayed``, ``frozen`` or ``delayed-frozen``; ``received`` is a
    ``time.time()`` stamp.
    """

    symbol: str
    bid: float
    ask: float
    last: float
    close: float
    kind: str
    received: float

    @property
    def price(self) -> float:
        """Reference price: last inside the spread, else the midpoint, else last; NaN if none."""
        bid, ask, last = self.bid, self.ask, self.last
        if bid > 0 and ask >= bid:
            return last if bid <= last <= ask else (bid + ask) / 2
        return last if last > 0 else math.nan

    def side_price(self, side: str) -> float:
        """The price a marketable order crosses to: the ask for buys, the bid for sells."""
        quote = self.ask if side == "BUY" else self.bid
        return quote if quote > 0 else self.price


def _number(value: Any) -> float:
    """ib_async sends NaN, -1 or UNSET_DOUBLE for missing values: all become NaN."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return math.nan
    return x if math.isfinite(x) and 0 < x < UNSET_DOUBLE else math.nan


def _why(exc: Exception, timeout: float) -> str:
    """A connection failure in words: a silent timeout says how long it waited."""
    if isinstance(exc, TimeoutError) and not str(exc):
        return f"no answer within {timeout:g} s"
    return f"{type(exc).__name__}: {exc}"


def _amount(value: Any) -> float:
    """A money amount that may be unset: 0.0 when TWS has not sent one."""
    x = _number(value)
    return x if x > 0 else 0.0


class IbkrBroker:
    """A TWS / IB Gateway account.

    Args:
        settings: host, port, client id, account, read-only, allow_live, timeout.
        assets: the portfolio's assets (their listing identifies each contract).
        base_currency: the portfolio's base currency; must match the account's.
        fees: commission schedule per asset (to resize buys after the sells).
        execution: order type, limit tolerance, fill timeout.
        limits: pre-trade caps and the price band.
        log: the trade log (default location when ``None``).
        on_status: called with a one-line connection status for the UI.
    """

    kind = "ibkr"

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
    ):
        from ib_async import IB

        self.settings, self.assets, self.base_currency = settings, tuple(assets), base_currency
        self.fees = fees
        self.execution = execution or Execution()
        self.limits = limits or SafetyLimits()
        self.log = log or TradeLog()
        self.on_status = on_status or (lambda _: None)
        self.ib = IB()
        self.account = ""
        self.contracts: dict[str, Any] = {}
        self.min_ticks: dict[str, float] = {}
        self.connectivity_lost = False
        self.messages: list[str] = []
        self._nav = math.nan
        self.history_cache = HistoryCache()
        self.pacer = Pacer()
        self._closing = False
        self.ib.errorEvent += self._on_error
        self.ib.timeoutEvent += lambda idle: asyncio.ensure_future(self._on_silence(idle))

    @property
    def address(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    def _on_error(self, req_id: int, code: int, message: str, contract: Any = None) -> None:
        if code == 1100:  # connectivity between TWS and IBKR lost: stop sending
            self.connectivity_lost = True
            self.on_status(f"TWS lost its connection to IBKR (1100) at {self.address}")
        elif code in (1101, 1102):
            self.connectivity_lost = False
            self.on_status(f"TWS connection to IBKR restored ({code})")
        if not 2100 <= code < 2200:  # farm-status chatter is not worth keeping
            symbol = getattr(contract, "symbol", "") or ""
            self.messages.append(f"{code} {symbol} {message}".replace("  ", " "))

    async def connect(self) -> None:
        """Connect (read-only unless ``read_only = false``) and pick the account.

        Raises:
            BrokerError: TWS unreachable or slow (names host:port), an account that is not
                managed by this login, or several accounts and none configured.
        """
        if self.ib.isConnected():
            return
        s = self.settings
        self.on_status(f"connecting to TWS at {self.address}…")
        try:
            await self.ib.connectAsync(
                s.host,
                s.port,
                clientId=s.client_id,
                timeout=s.connect_timeout,
                readonly=s.read_only,
                account=s.account,
            )
        except (OSError, TimeoutError) as exc:
            self.ib.disconnect()
            self.on_status(f"disconnected: TWS not reachable at {self.address}")
            raise BrokerError(
                f"cannot reach TWS / IB Gateway at {self.address} "
                f"({_why(exc, s.connect_timeout)}); "
                "start it with the API enabled (Configure > API > Settings) and check the "
                "port, or use the demo account (--broker demo)"
            ) from exc
        managed = self.ib.managedAccounts()
        if s.account and s.account not in managed:
            self.ib.disconnect()
            raise BrokerError(
                f"account {s.account} is not managed by this TWS login ({', '.join(managed)}); "
                "fix [broker] account in portfolio.toml"
            )
        if not s.account and len(managed) != 1:
            self.ib.disconnect()
            raise BrokerError(
                f"this login manages {', '.join(managed)}: set [broker] account to one of them"
            )
        self.account = s.account or managed[0]
        self.on_status(f"connected to {self.account} at {self.address}")

    def disconnect(self) -> None:
        """Close the connection for good: :meth:`supervise` stops too."""
        self._closing = True
        self.ib.disconnect()

    def restart_connection(self) -> None:
        """Drop the connection; :meth:`supervise` and the next request reconnect."""
        self._closing = False
        self.ib.disconnect()

    async def supervise(self, first_delay: float = 1.0, max_delay: float = 30.0) -> None:
        """Keep the connection up for the app's lifetime: reconnect with exponential
        back-off after a drop, and treat a silent connection as dropped (a watchdog asks
        TWS for its time after ``WATCHDOG_SECONDS`` without data). Runs until cancelled or
        :meth:`disconnect`; reports each state through ``on_status``."""
        delay = first_delay
        self.ib.setTimeout(WATCHDOG_SECONDS)
        while not self._closing:
            if self.ib.isConnected():
                await asyncio.sleep(0.25)
                continue
            try:
                await self.connect()
                delay = first_delay
            except BrokerError:
                self.on_status(f"disconnected from TWS at {self.address}: retrying in {delay:g} s")
                await asyncio.sleep(delay)
                delay = min(delay * 2, max_delay)

    async def _on_silence(self, idle: float) -> None:
        try:
            await asyncio.wait_for(self.ib.reqCurrentTimeAsync(), 5)
        except (TimeoutError, ConnectionError):
            self.on_status(f"TWS silent for {idle:.0f} s: reconnecting")
            self.ib.disconnect()  # supervise() reconnects

    async def qualify(self) -> dict[str, Any]:
        """Qualify every asset once (symbol, exchange, currency → conId); cached.

        Raises:
            BrokerError: symbols IBKR does not know or finds ambiguous (error 200), named
                with their listing; the plan is blocked rather than spread over the rest.
        """
        from ib_async import Stock

        todo = [a for a in self.assets if a.symbol not in self.contracts]
        if not todo:
            return self.contracts
        wanted = [
            Stock(a.symbol, a.exchange, a.currency, primaryExchange=a.primary_exchange)
            for a in todo
        ]
        # One contract-details request per symbol gives both the conId and the minTick.
        found = await asyncio.gather(*(self.ib.reqContractDetailsAsync(c) for c in wanted))
        unknown = [a for a, details in zip(todo, found, strict=True) if len(details) != 1]
        if unknown:
            names = ", ".join(f"{a.symbol} ({a.exchange}/{a.currency})" for a in unknown)
            raise BrokerError(
                f"IBKR does not know {names} (unknown or ambiguous, error 200); fix symbol, "
                "exchange, primary_exchange or currency in portfolio.toml — no plan until then"
            )
        for asset, (details,) in zip(todo, found, strict=True):
            contract = details.contract
            contract.exchange = asset.exchange  # keep SMART routing, as qualifyContracts does
            self.contracts[asset.symbol] = contract
            self.min_ticks[asset.symbol] = float(details.minTick or 0.01)
        return self.contracts

    async def qualify_asset(self, asset: Asset) -> int:
        """The conId of a listing not yet in the portfolio (to accept a new asset).

        Raises:
            BrokerError: unknown or ambiguous for IBKR (named with its listing).
        """
        from ib_async import Stock

        await self.connect()
        wanted = Stock(
            asset.symbol, asset.exchange, asset.currency, primaryExchange=asset.primary_exchange
        )
        found = await self.ib.reqContractDetailsAsync(wanted)
        if len(found) != 1:
            raise BrokerError(
                f"IBKR {'finds several' if found else 'does not know'} {asset.symbol} on "
                f"{asset.exchange} in {asset.currency}: check the symbol, exchange and currency"
            )
        return found[0].contract.conId

    async def quotes(self, symbols: Sequence[str]) -> dict[str, Quote]:
        """Snapshot quotes; symbols without a live subscription are asked again as delayed."""
        errors: dict[str, int] = {}

        def remember(req_id: int, code: int, message: str, contract: Any = None) -> None:
            if contract is not None and code in NOT_SUBSCRIBED:
                errors[contract.symbol] = code

        self.ib.errorEvent += remember
        try:
            quotes = await self._snapshot_quotes(symbols, market_data_type=1)
            retry = [s for s in symbols if s in errors and not quotes[s].price > 0]
            if retry:
                quotes.update(await self._snapshot_quotes(retry, market_data_type=3))
        finally:
            self.ib.errorEvent -= remember
        return quotes

    async def _snapshot_quotes(self, symbols: Sequence[str], market_data_type: int):
        self.ib.reqMarketDataType(market_data_type)
        contracts = [self.contracts[s] for s in symbols]
        try:
            tickers = await asyncio.wait_for(self.ib.reqTickersAsync(*contracts), QUOTE_TIMEOUT)
        except ConnectionError as exc:
            raise BrokerError(f"connection to TWS at {self.address} dropped: {exc}") from exc
        except TimeoutError as exc:
            raise BrokerError(
                f"no quotes from TWS at {self.address} within {QUOTE_TIMEOUT:g} s for "
                f"{', '.join(symbols)}; check market data permissions"
            ) from exc
        now = time.time()
        return {
            s: Quote(
                s,
                _number(t.bid),
                _number(t.ask),
                _number(t.last),
                _number(t.close),
                MARKET_DATA_KINDS.get(t.marketDataType, "live"),
                now,
            )
            for s, t in zip(symbols, tickers, strict=True)
        }

    async def snapshot(self) -> AccountSnapshot:
        """Cash, FX rates, positions and fresh prices of the configured assets.

        Raises:
            BrokerError: not reachable, unknown contracts, a base currency that differs from
                portfolio.toml, or positions missing while NAV says there are some.
        """
        await self.connect()
        await self.qualify()
        values = [v for v in self.ib.accountValues(self.account) if v.account == self.account]

        def amount(tag: str, currency: str) -> float:
            return next(
                (float(v.value) for v in values if v.tag == tag and v.currency == currency),
                math.nan,
            )

        base = next((v.currency for v in values if v.tag == "NetLiquidation"), "")
        if base and base != self.base_currency:
            raise BrokerError(
                f"account {self.account} has base currency {base}, portfolio.toml says "
                f'{self.base_currency}; set base_currency = "{base}"'
            )
        fx = {
            v.currency: float(v.value)
            for v in values
            if v.tag == "ExchangeRate" and v.currency not in ("", "BASE")
        }
        fx[self.base_currency] = 1.0
        cash = amount("TotalCashValue", self.base_currency)
        nav = amount("NetLiquidation", self.base_currency)
        if not math.isfinite(cash):
            raise BrokerError(f"account {self.account}: TWS sent no TotalCashValue yet; retry")
        self._nav = nav
        by_con_id = {item.contract.conId: item for item in self.ib.portfolio(self.account)}
        if not by_con_id and nav > abs(cash) * 1.001 + 1.0:
            raise BrokerError(
                f"account {self.account}: NAV {nav:,.2f} but no positions arrived; missing data "
                "is not a flat position — retry once TWS has sent the portfolio"
            )
        quantities, marks = {}, {}
        for symbol, contract in self.contracts.items():
            item = by_con_id.get(contract.conId)
            quantities[symbol] = float(item.position) if item else 0.0
            marks[symbol] = _number(item.marketPrice) if item else math.nan
        quotes = await self.quotes(list(self.contracts))
        prices, blocked, kinds = {}, {}, {}
        for symbol, quote in quotes.items():
            if quote.price > 0:
                prices[symbol], kinds[symbol] = quote.price, quote.kind
                continue
            prices[symbol], kinds[symbol] = marks[symbol], "portfolio"
            reason = "only yesterday's close" if quote.close > 0 else "no bid, ask or last"
            blocked[symbol] = f"{symbol}: {reason} arrived ({quote.kind} data); orders blocked"
        working = await asyncio.wait_for(self.ib.reqAllOpenOrdersAsync(), QUOTE_TIMEOUT)
        for trade in working:  # orders of any client still working: never order twice
            symbol = trade.contract.symbol
            live = trade.orderStatus.status not in DONE_STATUSES
            if live and symbol in self.contracts and trade.order.account in ("", self.account):
                blocked[symbol] = (
                    f"{symbol}: a {trade.order.action} order ({trade.order.orderRef or 'manual'}) "
                    f"is still working, {trade.orderStatus.remaining:g} shares open; no new order"
                )
        cash_by_currency = {
            v.currency: float(v.value)
            for v in values
            if v.tag == "CashBalance" and v.currency not in ("", "BASE")
        }
        return AccountSnapshot(
            broker=self.kind,
            account=self.account,
            base_currency=self.base_currency,
            as_of=datetime.now(UTC).isoformat(timespec="seconds"),
            cash=cash,
            quantities=quantities,
            prices=prices,
            fx=fx,
            blocked=blocked,
            quote_kinds=kinds,
            cash_by_currency=cash_by_currency,
        )

    async def history(self, days: int) -> PriceHistory:
        """The last ``days`` adjusted daily closes of every asset, dates aligned.

        Served from the day's disk cache when present, else ``reqHistoricalDataAsync``
        (``ADJUSTED_LAST``, regular trading hours) paced within IBKR's limits.

        Raises:
            BrokerError: no bars for a symbol (named), or pacing error 162 twice.
        """
        await self.connect()
        await self.qualify()
        today = datetime.now(UTC).date()
        series: dict[str, dict[str, float]] = {}
        for asset in self.assets:
            contract = self.contracts[asset.symbol]
            rows = self.history_cache.load(asset.symbol, contract.conId, today)
            if rows is None or len(rows) < days:
                rows = await self._fetch_history(asset.symbol, contract, days)
                self.history_cache.save(asset.symbol, contract.conId, today, rows)
            series[asset.symbol] = dict(rows)
        common = sorted(set.intersection(*(set(s) for s in series.values())))[-days:]
        if len(common) < days:
            raise BrokerError(
                f"IBKR history has only {len(common)} common days for "
                f"{', '.join(series)}; the lookback needs {days}: lower strategy.lookback"
            )
        closes = np.array([[series[a.symbol][d] for a in self.assets] for d in common])
        return PriceHistory(
            np.array(common, dtype="datetime64[D]"),
            tuple(a.symbol for a in self.assets),
            closes,
            f"IBKR history via {self.address}",
        )

    async def _fetch_history(self, symbol: str, contract: Any, days: int):
        years = max(1, math.ceil((days + 15) / 250))
        for attempt in range(2):
            await self.pacer.wait(f"{contract.conId}:{years}Y")
            codes: list[int] = []

            def remember(req_id, code, message, failed=None, codes=codes) -> None:
                if failed is not None and getattr(failed, "conId", None) == contract.conId:
                    codes.append(code)

            self.ib.errorEvent += remember
            try:
                bars = await self.ib.reqHistoricalDataAsync(
                    contract,
                    endDateTime="",
                    durationStr=f"{years} Y",
                    barSizeSetting="1 day",
                    whatToShow="ADJUSTED_LAST",
                    useRTH=True,
                    formatDate=1,
                    timeout=60,
                )
            finally:
                self.ib.errorEvent -= remember
            rows = [(str(b.date)[:10], float(b.close)) for b in bars or [] if b.close > 0]
            if rows:
                return rows
            if 162 not in codes or attempt:
                break
            await asyncio.sleep(IDENTICAL_GAP_SECONDS)  # pacing violation: back off, once
        raise BrokerError(f"IBKR returned no daily history for {symbol}; check permissions")

    def _guard(self, typed_confirmation: str) -> TradingState:
        """Refuse to trade read-only, disconnected, halted, or on an unconfirmed live account."""
        if self.settings.read_only:
            raise BrokerError(
                "connected read-only: set [broker] read_only = false in portfolio.toml to trade"
            )
        if not self.ib.isConnected() or self.connectivity_lost:
            raise BrokerError(f"not connected to IBKR through {self.address}: nothing was sent")
        if not is_paper_account(self.account):
            if not self.settings.allow_live:
                raise BrokerError(
                    f"{self.account} is a live account: set [broker] allow_live = true and type "
                    "the account id to confirm"
                )
            if typed_confirmation != self.account:
                raise BrokerError(f"live account {self.account}: type its id to confirm")
        state = read_trading_state()
        if state is TradingState.HALTED:
            raise BrokerError("trading state is HALTED: nothing was sent")
        return state

    def _ib_order(self, order: OrderRequest, quote: Quote, order_ref: str):
        from ib_async import LimitOrder, MarketOrder, TagValue

        common = {"orderRef": order_ref, "account": self.account, "tif": "DAY"}
        if self.execution.order_type == "market":
            return MarketOrder(order.side, order.quantity, **common), quote.side_price(order.side)
        tick = self.min_ticks.get(order.symbol, 0.01)
        limit = marketable_limit(
            order.side, quote.side_price(order.side), self.execution.limit_tolerance_bp, tick
        )
        ib_order = LimitOrder(order.side, order.quantity, limit, **common)
        if self.execution.order_type == "adaptive":
            ib_order.algoStrategy = "Adaptive"
            ib_order.algoParams = [TagValue("adaptivePriority", "Normal")]
        return ib_order, limit

    async def what_if(self, orders: Sequence[OrderRequest]) -> dict[str, float]:
        """TWS's commission estimate per symbol, listing currency; NaN where unknown
        (1.797e308 means no value) or on a read-only connection, which may not place even
        what-if orders."""
        from ib_async import MarketOrder

        if self.settings.read_only:
            return {o.symbol: math.nan for o in orders}
        await self.qualify()
        estimates = {}
        for order in orders:
            probe = MarketOrder(order.side, order.quantity, account=self.account)
            state = await asyncio.wait_for(
                self.ib.whatIfOrderAsync(self.contracts[order.symbol], probe), QUOTE_TIMEOUT
            )
            estimates[order.symbol] = _number(getattr(state, "commission", math.nan))
        return estimates

    async def execute(
        self,
        orders: Sequence[OrderRequest],
        *,
        run_id: str = "",
        buy_budget: float | None = None,
        typed_confirmation: str = "",
    ) -> list[Fill]:
        """Send confirmed orders; see the module docstring for the sequence.

        Raises:
            BrokerError: refused before anything was sent (read-only, live guard, halted,
                disconnected, or a pre-trade check failed: every reason is listed).
        """
        state = self._guard(typed_confirmation)
        run_id = run_id or datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
        await self.qualify()
        quotes = await self.quotes(sorted({o.symbol for o in orders}))
        fx = {a.symbol: self._fx(a.currency) for a in self.assets}
        legs = []
        for leg, order in enumerate(sorted(orders, key=lambda o: o.side != "SELL")):
            ref = f"rp-tui:{run_id}:{leg}"
            quote = quotes[order.symbol]
            ib_order, price = self._ib_order(order, quote, ref)
            legs.append((order, ib_order, price, ref))
        checks = [
            OrderCheck(
                o.symbol,
                o.side,
                o.quantity,
                price,
                o.quantity * price * fx[o.symbol],
                quotes[o.symbol].price,
                time.time() - quotes[o.symbol].received,
            )
            for o, _, price, _ in legs
        ]
        problems = check_orders(checks, self._nav, self.limits, state)
        if problems:
            self.log.append("refused", run_id=run_id, account=self.account, reasons=problems)
            raise BrokerError("orders refused, nothing was sent:\n  " + "\n  ".join(problems))

        sells = [leg for leg in legs if leg[0].side == "SELL"]
        buys = [leg for leg in legs if leg[0].side == "BUY"]
        fills = await self._send(run_id, sells)
        if buys and buy_budget is not None:
            received = sum(
                (f.quantity * f.price - f.commission) * fx[f.symbol]
                for f in fills
                if f.quantity > 0
            )
            buys = self._resize_buys(buys, buy_budget + received, fx, run_id)
        if buys and not all(f.status in ("filled", "cancelled", "rejected") for f in fills):
            self.log.append("buys_skipped", run_id=run_id, reason="a sell is unresolved")
            return fills + [
                Fill(
                    o.symbol,
                    "BUY",
                    0.0,
                    p,
                    0.0,
                    o.currency,
                    "cancelled",
                    "not sent: a sell's outcome is not known",
                    o.quantity,
                    ref,
                )
                for o, _, p, ref in buys
            ]
        return fills + await self._send(run_id, buys)

    def _fx(self, currency: str) -> float:
        if currency == self.base_currency:
            return 1.0
        for v in self.ib.accountValues(self.account):
            if v.tag == "ExchangeRate" and v.currency == currency:
                return float(v.value)
        raise BrokerError(f"no {currency}/{self.base_currency} exchange rate from TWS yet")

    def _resize_buys(self, buys, budget: float, fx: dict[str, float], run_id: str):
        """Shrink buys to the cash actually available now that the sells have settled."""
        symbols = [o.symbol for o, *_ in buys]
        index = [next(i for i, a in enumerate(self.assets) if a.symbol == s) for s in symbols]
        table = FeeTable([self.fees.schedules[i] for i in index])
        wanted = np.array([o.quantity for o, *_ in buys])
        prices = np.array([price for _, _, price, _ in buys])
        fitted = fit_buys(wanted, prices, np.array([fx[s] for s in symbols]), table, budget, True)
        resized = []
        for (order, ib_order, price, ref), quantity in zip(buys, fitted, strict=True):
            if quantity != order.quantity:
                self.log.append(
                    "resized",
                    run_id=run_id,
                    order_ref=ref,
                    symbol=order.symbol,
                    planned=order.quantity,
                    quantity=float(quantity),
                    budget=budget,
                )
            if quantity > 0:
                ib_order.totalQuantity = float(quantity)
                resized.append((replace(order, quantity=float(quantity)), ib_order, price, ref))
        return resized

    async def _send(self, run_id: str, legs) -> list[Fill]:
        """Log every intent, place the orders, wait for their outcome, book fills once."""
        if not legs:
            return []
        for order, ib_order, price, ref in legs:  # the ledger first: intent before send
            self.log.append(
                "intent",
                run_id=run_id,
                order_ref=ref,
                account=self.account,
                symbol=order.symbol,
                side=order.side,
                quantity=order.quantity,
                order_type=ib_order.orderType,
                limit=price,
                currency=order.currency,
                estimated_commission=order.commission,
            )
        trades = []
        for order, ib_order, _, ref in legs:
            if not self.ib.isConnected() or self.connectivity_lost:
                break  # never queue orders while disconnected
            trade = self.ib.placeOrder(self.contracts[order.symbol], ib_order)
            self.log.append("submitted", run_id=run_id, order_ref=ref, order_id=trade.order.orderId)
            trade.statusEvent += self._status_reporter(run_id, ref, order)
            trades.append(trade)
        await self._wait(trades)
        return [
            self._outcome(run_id, leg, trades[i] if i < len(trades) else None)
            for i, leg in enumerate(legs)
        ]

    def _status_reporter(self, run_id: str, ref: str, order: OrderRequest):
        """Log every status change of one order and show it live on the status line."""
        seen: list[tuple[str, float]] = []

        def report(trade) -> None:
            status = trade.orderStatus
            key = (status.status, float(status.filled))
            if seen and seen[-1] == key:
                return  # TWS repeats statuses; the log keeps changes only
            seen.append(key)
            self.log.append(
                "status",
                run_id=run_id,
                order_ref=ref,
                symbol=order.symbol,
                status=status.status,
                filled=float(status.filled),
                remaining=float(status.remaining),
            )
            self.on_status(
                f"{order.side} {order.symbol}: {status.status} "
                f"{float(status.filled):g}/{order.quantity:g}"
            )

        return report

    async def _wait(self, trades) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.execution.fill_timeout
        while loop.time() < deadline and self.ib.isConnected():
            done = all(t.orderStatus.status in DONE_STATUSES for t in trades)
            reported = all(f.commissionReport.execId for t in trades for f in t.fills)
            if done and reported:
                return
            await asyncio.sleep(0.02)

    def _outcome(self, run_id: str, leg, trade) -> Fill:
        order, _, price, ref = leg
        if trade is None:
            self.log.append("not_sent", run_id=run_id, order_ref=ref, reason="disconnected")
            return Fill(
                order.symbol,
                order.side,
                0.0,
                price,
                0.0,
                order.currency,
                "cancelled",
                "not sent: disconnected",
                order.quantity,
                ref,
            )
        booked: dict[str, Any] = {}
        for f in trade.fills:  # keyed by execId: a repeated execution report counts once
            booked.setdefault(f.execution.execId, f)
        for exec_id, f in booked.items():
            self.log.append(
                "fill",
                run_id=run_id,
                order_ref=ref,
                exec_id=exec_id,
                shares=f.execution.shares,
                price=f.execution.price,
                commission=_amount(f.commissionReport.commission),
                commission_currency=f.commissionReport.currency,
            )
        filled = sum(f.execution.shares for f in booked.values())
        value = sum(f.execution.shares * f.execution.price for f in booked.values())
        commission = sum(_amount(f.commissionReport.commission) for f in booked.values())
        status_text = trade.orderStatus.status
        errors = [e for e in trade.log if e.errorCode]
        message = f"{errors[-1].errorCode} {errors[-1].message}" if errors else ""
        if not self.ib.isConnected() and status_text not in DONE_STATUSES:
            status = "unknown"
            message = "connection dropped before the outcome arrived; not re-sent — reconcile"
        elif filled >= order.quantity:
            status = "filled"
        elif filled > 0:
            status = "partial"
        elif status_text in ("Cancelled", "ApiCancelled", "Inactive"):
            status = "rejected" if errors else "cancelled"
        else:
            status = "open"
        avg = value / filled if filled else price
        self.log.append(
            "result",
            run_id=run_id,
            order_ref=ref,
            symbol=order.symbol,
            status=status,
            filled=filled,
            remaining=order.quantity - filled,
            avg_price=avg,
            commission=commission,
            message=message,
        )
        return Fill(
            order.symbol,
            order.side,
            float(filled),
            float(avg),
            float(commission),
            order.currency,
            status,
            message,
            float(order.quantity - filled),
            ref,
        )
