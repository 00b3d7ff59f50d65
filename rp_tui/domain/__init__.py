"""Pure numerical core: returns, covariance, allocation, fee model, order sizing, safety
checks, the backtest replay and metrics. Imports numpy and scipy only: no I/O, UI or broker."""
