"""The data directory: paths and atomic writes, the instance lock, the trade log, the trading
state (kill switch) and the demo account's store. May import domain and errors only."""
