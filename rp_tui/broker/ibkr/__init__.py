"""Interactive Brokers (TWS / IB Gateway through ib_async): :class:`IbkrBroker`, built from
one module per job: connection, contracts, quotes, history, account, order_sending."""

from rp_tui.broker.ibkr.ibkr_broker import IbkrBroker

__all__ = ["IbkrBroker"]
