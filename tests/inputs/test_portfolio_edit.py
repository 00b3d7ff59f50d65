"""Editing portfolio.toml: validation, undo, comment-preserving atomic saves, conflicts."""

import difflib
import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rp_tui.errors import ConfigError
from rp_tui.inputs.portfolio_edit import FileChangedError, PortfolioFile
from tests.conftest import PORTFOLIO


@pytest.fixture
def copy(tmp_path):
    path = tmp_path / "portfolio.toml"
    shutil.copy(PORTFOLIO, path)
    return path


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line for line in difflib.ndiff(before.splitlines(), after.splitlines()) if line[:1] in "+-"
    ]


def test_edits_keep_every_comment_byte_for_byte(copy):
    original = copy.read_text()
    f = PortfolioFile(copy)
    f.set_rule("rebalancing", "band", 0.02)
    f.set_asset(3, "max", 0.3)
    f.set_value("ui", "theme", "rp-light")
    f.save()
    saved = copy.read_text()
    assert changed_lines(original, saved) == [
        "- band = 0.01",
        "+ band = 0.02",
        '- theme = "rp-dark"',
        '+ theme = "rp-light"',
        "+ max = 0.3",
    ]
    assert PortfolioFile(copy).portfolio.assets[3].max_weight == 0.3
    assert not f.dirty


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda f: f.set_rule("rebalancing", "band", -0.1), "rebalancing.band"),
        (lambda f: f.set_asset(0, "budget", -1.0), "risk budget must be > 0"),
        (lambda f: f.set_asset(0, "min", 1.5), "min weight is a fraction"),
        (lambda f: [f.set_asset(i, "min", 0.3) for i in range(5)], "min weights add up to 1.2"),
        (lambda f: f.set_asset(1, "symbol", "MTUM"), "listed twice"),
        (lambda f: f.set_rule("strategy", "method", "magic"), "strategy.method"),
        (lambda f: [f.remove_asset(0) for _ in range(4)], "at least two"),
    ],
)
def test_invalid_edits_are_refused_and_nothing_changes(copy, edit, needle):
    f = PortfolioFile(copy)
    before = f.text
    with pytest.raises(ConfigError, match=needle):
        edit(f)
    if needle not in ("at least two", "min weights add up to 1.2"):
        assert f.text == before
    assert copy.read_text() == PORTFOLIO.read_text()


def test_undo_add_and_remove(copy):
    f = PortfolioFile(copy)
    f.add_asset("SPY", "SMART", "USD", primary_exchange="ARCA", asset_class="us-equity")
    assert f.portfolio.symbols[-1] == "SPY" and f.dirty
    f.remove_asset(0)
    assert f.portfolio.symbols[0] == "QUAL"
    f.undo()
    f.undo()
    assert f.portfolio.symbols == ("MTUM", "QUAL", "SIZE", "USMV", "VLUE") and not f.dirty
    with pytest.raises(Exception, match="nothing to undo"):
        f.undo()


def test_a_file_changed_on_disk_is_not_overwritten_silently(copy):
    f = PortfolioFile(copy)
    f.set_rule("strategy", "lookback", 126)
    copy.write_text(copy.read_text().replace("cash_buffer = 0.01", "cash_buffer = 0.02"))
    assert f.changed_on_disk()
    with pytest.raises(FileChangedError, match="changed on disk"):
        f.save()
    assert "cash_buffer = 0.02" in copy.read_text()
    f.save(overwrite=True)
    assert "lookback = 126" in copy.read_text()
    assert f.reload().strategy.lookback == 126


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(["band", "cash_buffer", "lookback", "half_life", "target_volatility"]),
    st.one_of(st.floats(-2, 2), st.integers(-10, 6000)),
)
def test_random_edits_are_valid_or_refused_never_half_applied(key, value):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "portfolio.toml"
        shutil.copy(PORTFOLIO, path)
        f = PortfolioFile(path)
        try:
            f.set_rule("strategy", key, value)
        except ConfigError:
            assert not f.dirty
        else:
            f.save()
            assert PortfolioFile(path).text == f.text
