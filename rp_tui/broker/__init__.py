"""Brokers behind one interface (:class:`rp_tui.broker.base.Broker`): demo, IBKR."""
