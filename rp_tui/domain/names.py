"""The names the config, the CLI and the engine agree on; constants only, cheap to import
(``rp-tui --help`` lists them without loading numpy or scipy)."""

METHODS: tuple[str, ...] = (
    "erc",
    "risk-budget",
    "inverse-vol",
    "downside-erc",
    "min-variance",
    "mean-variance",
    "hrp",
    "equal-weight",
    "fixed",
)
ESTIMATORS: tuple[str, ...] = ("sample", "ewma", "ledoit-wolf")
RETURN_KINDS: tuple[str, ...] = ("simple", "log")
FREQUENCIES: tuple[str, ...] = ("weekly", "monthly", "quarterly")
ANCHORS: tuple[str, ...] = ("last", "first")  # trading day of the period a rebalance is due
MODES: tuple[str, ...] = ("full", "buy-only", "sell-only")
BAND_KINDS: tuple[str, ...] = ("absolute", "relative")
TRADE_SCOPES: tuple[str, ...] = ("outside-band", "all")
OUTSIDE_HOLDINGS: tuple[str, ...] = ("keep", "sell")
OUTLIER_METHODS: tuple[str, ...] = ("off", "winsorize", "mad")
FEE_PLANS: tuple[str, ...] = ("ibkr-fixed", "ibkr-tiered", "alpaca", "none")
# IBKR exchange codes rp-tui knows a calendar or a fee schedule for.
EXCHANGES: tuple[str, ...] = (
    "SMART",
    "ARCA",
    "NYSE",
    "NASDAQ",
    "ISLAND",
    "BATS",
    "AMEX",
    "IEX",
    "BYX",
    "EDGX",
    "LSE",
    "LSEETF",
    "IBIS",
    "IBIS2",
    "AEB",
    "SBF",
    "BVME",
    "ENEXT.BE",
    "EBS",
    "SWX",
    "TSE",
    "ASX",
    "SEHK",
    "TSEJ",
)
