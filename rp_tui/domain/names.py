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
)
ESTIMATORS: tuple[str, ...] = ("sample", "ewma", "ledoit-wolf")
RETURN_KINDS: tuple[str, ...] = ("simple", "log")
FREQUENCIES: tuple[str, ...] = ("weekly", "monthly", "quarterly")
FEE_PLANS: tuple[str, ...] = ("ibkr-fixed", "ibkr-tiered", "none")
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
