"""Limit prices of high-priced shares are the tick value itself (mutation score, issue #10).

``steps × tick`` in floating point carries noise in the 11th decimal for prices above about
USD 65,000 (6,554,279 × 0.01 = 65542.79000000001): the limit price the broker receives must
be the decimal price on the tick, not that noise.
"""

import pytest

from rp_tui.domain.safety import marketable_limit, round_to_tick

# prices whose product steps × 0.01 is not the nearest float to the decimal price
NOISY = [65_542.79, 65_662.43, 65_792.04, 66_041.29]


@pytest.mark.parametrize("price", NOISY)
@pytest.mark.parametrize("side", ["BUY", "SELL"])
def test_a_price_on_the_tick_comes_back_as_that_decimal(price, side):
    """A price already on the cent tick is unchanged on either side, to the last bit."""
    limit = round_to_tick(price, 0.01, side)
    assert limit == price
    assert repr(limit) == repr(price)


def test_a_marketable_limit_on_a_high_priced_share_is_clean():
    """BUY at the ask 65,542.79 with 0 bp tolerance: limit 65542.79 exactly; 10 bp more
    (65,608.33279) rounds down onto the tick to 65608.33 — printed without float noise."""
    assert repr(marketable_limit("BUY", 65_542.79, 0, 0.01)) == "65542.79"
    assert repr(marketable_limit("BUY", 65_542.79, 10, 0.01)) == "65608.33"
    assert repr(marketable_limit("SELL", 65_542.79, 0, 0.01)) == "65542.79"
