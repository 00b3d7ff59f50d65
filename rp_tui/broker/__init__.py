"""Brokers behind one interface (:class:`rp_tui.broker.base.Broker`): the demo account and
IBKR (TWS / IB Gateway through ib_async). May import inputs, state and domain."""
