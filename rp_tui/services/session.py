"""A session: the validated portfolio, its price history and fee table, and its broker.

Both front ends open one with :func:`open_session`; an edit of the portfolio makes the next
one with :func:`with_portfolio`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from rp_tui.broker.base import Broker
from rp_tui.domain.fee_model import FeeTable
from rp_tui.errors import BrokerError, DataError
from rp_tui.inputs.bundled_data import FACTOR_ETFS, BundledSet, bundled_for
from rp_tui.inputs.fee_data import fee_table
from rp_tui.inputs.portfolio import Portfolio
from rp_tui.inputs.portfolio_file import load_portfolio
from rp_tui.inputs.prices import PriceHistory, load_prices

OWN_HISTORY = ("ibkr", "alpaca")  # brokers whose daily bars feed the plan's covariance


@dataclass(frozen=True)
class Session:
    """A validated portfolio with its price history (columns in asset order) and fees."""

    portfolio: Portfolio
    history: PriceHistory
    fees: FeeTable
    prices_path: str | None = None
    universe: PriceHistory | None = None
    dataset: BundledSet | None = None  # the shipped price set in use (None: --prices)


def open_session(
    config_path: str | Path = "portfolio.toml",
    prices_path: str | None = None,
    broker_kind: str | None = None,
) -> Session:
    """Load ``portfolio.toml`` and the price history (bundled unless ``prices_path``).

    With the IBKR or Alpaca broker (``broker_kind`` or the config's) and no ``prices_path``,
    symbols the bundled history lacks are fine: plans take the broker's own daily bars;
    backtests then ask for ``--prices``.

    Raises:
        ConfigError: invalid config. DataError: unusable prices or a symbol without prices.
    """
    portfolio = load_portfolio(config_path)
    dataset = bundled_for(portfolio.symbols) if prices_path is None else None
    universe = load_prices(prices_path, dataset)
    try:
        history = universe.select(portfolio.symbols)
    except DataError as exc:
        if prices_path is not None or (broker_kind or portfolio.broker.kind) not in OWN_HISTORY:
            raise
        history = PriceHistory.empty(portfolio.symbols, f"{exc}".split(";")[0])
    fees = fee_table(portfolio.fee_plan, portfolio.assets)
    path = None if prices_path is None else str(prices_path)
    return Session(portfolio, history, fees, path, universe, dataset)


def with_portfolio(session: Session, portfolio: Portfolio) -> Session:
    """The session after an edit of the portfolio (same price file, no disk reads).

    Raises:
        DataError: an asset the price history lacks (demo), named with the fix.
        ConfigError: no commission schedule for a listing.
    """
    universe = session.universe or session.history
    try:
        history = universe.select(portfolio.symbols)
    except DataError:
        if portfolio.broker.kind not in OWN_HISTORY or session.prices_path is not None:
            raise
        history = PriceHistory.empty(portfolio.symbols, "IBKR history")
    fees = fee_table(portfolio.fee_plan, portfolio.assets)
    return Session(portfolio, history, fees, session.prices_path, universe, session.dataset)


async def check_new_asset(session: Session, broker: Broker, asset) -> None:
    """Accept a new asset only if it can be priced: in the price history (demo, Flex), or
    qualified by IBKR (a real contract for that symbol, exchange and currency) or Alpaca (a
    tradable US asset).

    Raises:
        DataError / BrokerError: the symbol is unknown, named with the fix.
    """
    if broker.kind in OWN_HISTORY:
        await broker.qualify_asset(asset)
        return
    universe = session.universe or session.history
    if asset.symbol not in universe.symbols:
        raise DataError(
            f"{asset.symbol} is not in the price history ({universe.source}); the demo "
            f"account can hold {', '.join(universe.symbols)}"
        )


def make_broker(
    session: Session,
    kind: str | None = None,
    on_status: Callable[[str], None] | None = None,
    **settings: object,
) -> Broker:
    """The broker named in the config (or ``kind``).

    Args:
        session: the portfolio and its fee table.
        kind: ``"demo"``, ``"ibkr"``, ``"alpaca"`` or ``"flex"``; default ``[broker] kind``.
        on_status: IBKR, Alpaca, Flex: receives one-line connection status updates.
        settings: overrides of ``[broker]`` fields (``host``, ``port``, ``client_id``,
            ``read_only``, ``account``); ``None`` values are ignored.

    Raises:
        BrokerError: an unknown broker kind; Alpaca keys missing or a listing not in USD;
            Flex without flex_file or flex_query_id.
    """
    p = session.portfolio
    kind = kind or p.broker.kind
    if kind == "demo":
        from rp_tui.broker.demo import DemoBroker, seed_day
        from rp_tui.state.demo_account import state_path

        dataset = session.dataset or FACTOR_ETFS  # a --prices file: the original account
        history = session.history
        return DemoBroker(
            history,
            fee_table(p.fee_plan, p.assets, on=history.as_of),  # the demo's "today"
            p.base_currency,
            state_path(dataset.state_file),
            universe=session.universe,
            limits=p.safety,
            execution=p.execution,
            assets=p.assets,
            account=dataset.demo_account,
            seed_fees=fee_table(p.fee_plan, p.assets, on=str(seed_day(history))),
        )
    if kind == "ibkr":
        from rp_tui.broker.ibkr import IbkrBroker

        chosen = {k: v for k, v in settings.items() if v is not None}
        return IbkrBroker(
            replace(p.broker, **chosen),
            p.assets,
            p.base_currency,
            session.fees,
            p.execution,
            p.safety,
            on_status=on_status,
        )
    chosen = {k: v for k, v in settings.items() if v is not None}
    if kind == "alpaca":
        from rp_tui.broker.alpaca import AlpacaBroker

        return AlpacaBroker(
            replace(p.broker, **chosen),
            p.assets,
            p.base_currency,
            session.fees,
            p.execution,
            p.safety,
            on_status=on_status,
        )
    if kind == "flex":
        from rp_tui.broker.flex_broker import FlexBroker

        return FlexBroker(
            replace(p.broker, **chosen),
            p.assets,
            p.base_currency,
            session.fees,
            session.history,
            p.execution,
            p.safety,
            on_status=on_status,
        )
    raise BrokerError(f'broker kind {kind!r} is unknown; use "demo", "ibkr", "alpaca" or "flex"')
