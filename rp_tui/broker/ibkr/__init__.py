"""Interactive Brokers (TWS / IB Gateway through ib_async): :class:`IbkrBroker`, built from
one module per job: connection, contracts, quotes, history, account, order_sending."""

import logging

from rp_tui.broker.ibkr.ibkr_broker import IbkrBroker

# ib_async logs its own errors ("API connection failed: …", "Make sure API port on TWS/IBG
# is open") to stderr, before rp-tui's message that says the same with the fix: the app and
# every command keep those records off the terminal (a handler set up later still sees
# nothing: they stop here).
logging.getLogger("ib_async").addHandler(logging.NullHandler())
logging.getLogger("ib_async").propagate = False

__all__ = ["IbkrBroker"]
