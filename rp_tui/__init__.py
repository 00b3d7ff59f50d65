"""rp-tui: a keyboard-driven terminal app for risk-parity ETF portfolios at Interactive Brokers."""

__version__ = "0.1.0"
