"""Pure numerical core: returns, covariance, allocation, fees, rebalancing, backtest, metrics.

No I/O and no UI or broker imports (checked by the import-linter contracts in pyproject.toml).
"""
