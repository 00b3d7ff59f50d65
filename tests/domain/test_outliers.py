import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from rp_tui.domain.outliers import clip_mad, sanitize, winsorize


def test_a_bad_print_is_tamed_by_either_treatment():
    rng = np.random.default_rng(3)
    returns = rng.normal(0, 0.01, size=(252, 3))
    returns[100, 1] = 0.9  # a missed 1:10 split
    for cleaned in (winsorize(returns, 0.01), clip_mad(returns, 5.0)):
        assert cleaned[100, 1] < 0.06
        changed = np.abs(cleaned - returns) > 0
        assert changed.sum() <= 0.03 * returns.size  # only the tails move
    np.testing.assert_array_equal(sanitize(returns, "off", 0.0), returns)


def test_mad_clip_is_centred_on_the_median_with_the_normal_constant():
    column = np.array([-2.0, -1.0, 0.0, 1.0, 2.0, 100.0])[:, None]
    # median 0.5, MAD 1.5 → σ̂ 2.2239, k = 2 → [−3.9478, 4.9478]
    clipped = clip_mad(column, 2.0)
    assert clipped[-1, 0] == pytest.approx(0.5 + 2 * 1.4826 * 1.5)
    assert clipped[:5, 0].tolist() == [-2.0, -1.0, 0.0, 1.0, 2.0]


def test_bad_levels_are_refused():
    with pytest.raises(ValueError, match="fraction"):
        winsorize(np.zeros((5, 2)), 0.5)
    with pytest.raises(ValueError, match="k > 0"):
        clip_mad(np.zeros((5, 2)), 0.0)
    with pytest.raises(ValueError, match="not one of"):
        sanitize(np.zeros((5, 2)), "trim", 0.1)


@settings(max_examples=100, deadline=None)
@given(arrays(float, (40, 3), elements=st.floats(-0.5, 0.5)), st.floats(0.001, 0.2))
def test_treatments_only_shrink_towards_the_centre(returns, level):
    for cleaned in (winsorize(returns, level), clip_mad(returns, 1 / level)):
        assert cleaned.shape == returns.shape
        assert np.all(
            np.abs(cleaned - np.median(returns, axis=0))
            <= np.abs(returns - np.median(returns, axis=0)) + 1e-12
        )
