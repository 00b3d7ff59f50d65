"""The price sets shipped with rp-tui, what each holds, where it comes from, and which one a
portfolio runs on when no ``--prices`` file is given.

- ``multi-asset`` (the default demo): SPY, EFA, EEM, TLT, IEF, TIP, LQD, daily
  2008-01-02..2016-07-01 (the 2008 crisis included), from ``mlfinpy/dataset/data/
  stock_prices.csv`` in the mlfinpy 0.1.2 wheel (MIT, ``rp_tui/data/LICENSE-mlfinpy``).
  Closes are adjusted for splits but NOT for distributions: returns leave out dividends and
  coupons (about 2-4 % a year for these ETFs), which every screen showing returns says.
- ``factor-etfs``: iShares MTUM, QUAL, SIZE, USMV, VLUE, daily 2014-01-02..2022-12-28, from
  ``skfolio/datasets/data/factors_dataset.csv.gz`` in the skfolio 1.12.2 wheel
  (BSD-3-Clause, ``rp_tui/data/LICENSE-skfolio``), adjusted closes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class BundledSet:
    """One shipped price set.

    Attributes:
        key: its name (``multi-asset``, ``factor-etfs``), also the example portfolio's.
        file: the CSV (gzip) in ``rp_tui/data``.
        symbols: the columns it holds.
        source: provenance and licence, for messages and reports.
        caveat: what a user must know when reading returns computed from it ("" if none).
        demo_account: the demo account's id over this set (one account per set).
        state_file: the demo account's file in the data directory.
    """

    key: str
    file: str
    symbols: tuple[str, ...]
    source: str
    caveat: str
    demo_account: str
    state_file: str


MULTI_ASSET = BundledSet(
    "multi-asset",
    "multi_asset_prices.csv.gz",
    ("SPY", "EFA", "EEM", "TLT", "IEF", "TIP", "LQD"),
    "bundled multi-asset ETFs 2008-01-02..2016-07-01, from the mlfinpy 0.1.2 wheel "
    "(MIT, see rp_tui/data/LICENSE-mlfinpy)",
    "closes adjusted for splits, not distributions: returns leave out dividends and coupons",
    "DEMO-MA1",
    "demo-account-multi-asset.json",
)
FACTOR_ETFS = BundledSet(
    "factor-etfs",
    "factors_prices.csv.gz",
    ("MTUM", "QUAL", "SIZE", "USMV", "VLUE"),
    "bundled iShares factor ETFs 2014-01-02..2022-12-28, from skfolio's factors_dataset "
    "(BSD-3-Clause, see rp_tui/data/LICENSE-skfolio)",
    "",
    "DEMO-RP1",
    "demo-account.json",
)
BUNDLED: tuple[BundledSet, ...] = (MULTI_ASSET, FACTOR_ETFS)
"""Every shipped set; the first is the default."""


def bundled_for(symbols: Sequence[str]) -> BundledSet:
    """The shipped set holding every one of ``symbols`` (the default set when none does:
    its missing symbols are then named by :meth:`PriceHistory.select`)."""
    wanted = set(symbols)
    return next((b for b in BUNDLED if wanted <= set(b.symbols)), BUNDLED[0])


def bundled_named(key: str) -> BundledSet:
    """The shipped set called ``key``.

    Raises:
        ValueError: no such set (the message lists them).
    """
    for b in BUNDLED:
        if b.key == key:
            return b
    raise ValueError(f"no bundled price set {key!r}; choose {', '.join(b.key for b in BUNDLED)}")
