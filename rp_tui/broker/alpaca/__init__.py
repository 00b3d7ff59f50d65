"""Alpaca (paper and live, through the official alpaca-py SDK): :class:`AlpacaBroker`, built
from one module per job: link (retries), market (prices, hours), account, orders."""

import warnings

with warnings.catch_warnings():  # alpaca-py's streaming module imports websockets.legacy
    warnings.simplefilter("ignore", DeprecationWarning)
    import alpaca.data.historical
    import alpaca.trading.client  # noqa: F401

from rp_tui.broker.alpaca.alpaca_broker import AlpacaBroker

__all__ = ["AlpacaBroker"]
