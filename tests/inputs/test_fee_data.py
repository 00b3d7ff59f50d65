"""Fee data (rp_tui/data/fees.toml) and its resolution: listings, dates, notes, backtests."""

import datetime

import numpy as np
import pytest

from rp_tui.inputs.fee_data import (
    _fee_data,
    dated_fees,
    fee_notes,
    fee_table,
    history_note,
    listing_of,
    order_route,
)
from rp_tui.inputs.portfolio import Asset

US = Asset("QUAL", "SMART", "USD", "BATS")
LSE_GBP = Asset("VWRP", "LSEETF", "GBP")


def test_every_dated_row_has_a_source_a_date_and_a_confidence():
    for region in _fee_data()["regulatory"].values():
        for rows in region.values():
            starts = [np.datetime64(r["from"], "D") for r in rows]
            assert starts == sorted(starts)
            for row in rows:
                assert row["source"] and row["confidence"] in ("V", "S", "U")
    for schedule in _fee_data()["schedules"].values():
        assert schedule["source"] and schedule["as_of"] and schedule["confidence"] in "VSU"
        if schedule["confidence"] == "U":
            assert "unverified" in schedule["note"]


@pytest.mark.parametrize(
    ("asset", "region"),
    [
        (Asset("A", "SMART", "USD", "BATS"), "us"),
        (Asset("A", "ARCA", "USD"), "us"),
        (Asset("A", "SMART", "USD", "LSEETF"), "lse"),
        (Asset("A", "LSEETF", "GBP"), "lse"),
        (Asset("A", "SMART", "EUR", "IBIS"), "eu"),
        (Asset("A", "SMART", "USD"), "us"),  # no primary: from the currency, with a note
        (Asset("A", "TSE", "JPY"), None),
    ],
)
def test_listing_of(asset, region):
    got, note = listing_of(asset)
    assert got == region
    assert bool(note) == (asset.exchange == "SMART" and not asset.primary_exchange)


def test_order_route():
    assert order_route(US) == "SMART"
    assert order_route(LSE_GBP) == "DIRECT"


def test_bad_route_and_lengths_are_refused():
    with pytest.raises(ValueError, match="route"):
        fee_table("ibkr-fixed", (US,), route="DARK")
    with pytest.raises(ValueError, match="2 values for 1 assets"):
        fee_table("ibkr-fixed", (US,), route=["SMART", "SMART"])


def test_today_is_the_latest_row():
    today = fee_table("ibkr-fixed", (US,)).schedules[0]
    last_sec = _fee_data()["regulatory"]["us"]["sec"][-1]
    assert today.sell_rate_of_value == pytest.approx(last_sec["per_million"] / 1e6)


def test_dated_fees_follow_the_regulatory_periods_and_cache_them():
    fees_on = dated_fees("ibkr-fixed", (US,))
    a, b = fees_on(np.datetime64("2022-06-01")), fees_on(np.datetime64("2022-12-28"))
    assert a is b  # same period (SEC 22.90 from 2022-05-14, TAF 2022): one table
    assert fees_on(datetime.date(2022, 6, 1)) is a  # as a backtest asks
    assert a.schedules[0].sell_rate_of_value == pytest.approx(22.90e-6)
    assert a.schedules[0].sell_per_share == 0.000130
    c = fees_on("2023-03-01")
    assert c is not a and c.schedules[0].sell_rate_of_value == pytest.approx(8.0e-6)
    assert fees_on("2015-06-30").schedules[0].sell_per_share == 0.000119


def test_dates_before_the_history_use_today_and_say_so():
    fees_on = dated_fees("ibkr-fixed", (US,))
    early = fees_on("2010-01-04")
    today = fee_table("ibkr-fixed", (US,)).schedules[0]
    assert early.schedules[0].sell_rate_of_value == today.sell_rate_of_value
    assert any("no history before 2014-03-18" in n for n in early.notes[0])


def test_nothing_dated_for_no_fees_or_non_us_listings():
    assert dated_fees("none", (US,)) is None
    assert dated_fees("ibkr-fixed", (LSE_GBP,)) is None
    assert history_note("none", (US,), "2015-01-01", "2022-12-28") == ""


def test_history_note_for_a_2015_2022_backtest():
    note = history_note("ibkr-fixed", (US,), "2015-01-02", "2022-12-28")
    assert "in force on each trade date" in note
    assert "No fee history before" not in note  # the history starts 2014-03-18
    assert "SEC Section 31 fee USD 18.40/M from 2015-02-14" in note  # unverified, named
    early = history_note("ibkr-fixed", (US,), "2010-01-04", "2012-12-31")
    assert "No fee history before 2014-03-18" in early


def test_fee_notes_for_the_preview():
    notes = fee_notes("ibkr-tiered", (US, LSE_GBP), month_to_date_shares=[1000, 0])
    assert any("exchange fee estimated" in n for n in notes[0])
    assert any("1,000 shares traded this month" in n for n in notes[0])
    assert any("secondary source" in n for n in notes[1])
    assert any("unverified" in n for n in fee_notes("ibkr-fixed", (LSE_GBP,))[0])
