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
