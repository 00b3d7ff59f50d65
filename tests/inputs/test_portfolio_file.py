import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rp_tui.errors import ConfigError
from rp_tui.inputs.portfolio_file import load_portfolio, parse_portfolio
from rp_tui.inputs.toml_reader import locate
from tests.conftest import PORTFOLIO

TEXT = PORTFOLIO.read_text()


def test_shipped_portfolio_is_valid_and_commented():
    p = load_portfolio(PORTFOLIO)
    assert p.symbols == ("MTUM", "QUAL", "SIZE", "USMV", "VLUE")
    assert (p.strategy.method, p.strategy.lookback, p.broker.kind) == ("erc", 252, "demo")
    assert p.fee_plan == "ibkr-fixed" and p.base_currency == "USD"
    comments = [line for line in TEXT.splitlines() if line.lstrip().startswith("#")]
    for word in ("base", "method", "lookback", "band", "cash", "symbol", "broker", "ommission"):
        assert any(word in c.lower() for c in comments), word


def edited(old: str, new: str) -> str:
    assert old in TEXT
    return TEXT.replace(old, new, 1)


@pytest.mark.parametrize(
    ("old", "new", "key", "hint"),
    [
        ("band = 0.01", "band = 2", "rebalancing.band", "0.02"),
        ("lookback = 252", "lookback = 5", "strategy.lookback", "252"),
        ('method = "erc"', 'method = "erk"', "strategy.method", "inverse-vol"),
        ('plan = "ibkr-fixed"', 'plan = "tiered"', "fees.plan", "ibkr-fixed"),
        ("port = 7497", "port = 99999", "broker.port", "7497"),
        ('symbol = "QUAL"', 'symbol = "MTUM"', "assets[1].symbol", "twice"),
        ('base_currency = "USD"', 'base_currency = "dollars"', "base_currency", "USD"),
        ("client_id = 17", 'client_id = "x"', "broker.client_id", "int"),
        ('exchange = "SMART"', 'exchange = "NYSEX"', "assets[0].exchange", "unknown exchange"),
    ],
)
def test_invalid_values_name_key_line_and_fix(old, new, key, hint):
    text = edited(old, new)
    line = next(i for i, s in enumerate(text.splitlines(), 1) if s.startswith(new.split("#")[0]))
    if key == "assets[1].symbol":
        line = [i for i, s in enumerate(text.splitlines(), 1) if s.startswith(new)][1]
    with pytest.raises(ConfigError) as err:
        parse_portfolio(text, Path("portfolio.toml"))
    message = str(err.value)
    assert f"portfolio.toml:{line}:" in message and key in message and hint in message


def test_syntax_error_names_file_and_line():
    with pytest.raises(ConfigError, match=r"portfolio\.toml.*not valid TOML.*line 2"):
        parse_portfolio('base_currency = "USD"\nband = = 1\n', Path("portfolio.toml"))


def test_missing_file_says_what_to_do(tmp_path):
    with pytest.raises(ConfigError, match="--config"):
        load_portfolio(tmp_path / "nope.toml")


def test_locate_finds_nested_keys():
    assert TEXT.splitlines()[locate(TEXT, "assets[2].currency") - 1].startswith("currency")
    assert locate(TEXT, "rebalancing.band") == next(
        i for i, s in enumerate(TEXT.splitlines(), 1) if s.startswith("band")
    )


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_fuzzed_config_only_raises_config_error(text):
    with contextlib.suppress(ConfigError):
        parse_portfolio(text, Path("fuzz.toml"))


@settings(max_examples=200)
@given(
    st.sampled_from(["band", "lookback", "cash_buffer", "method", "port", "symbol", "currency"]),
    st.one_of(
        st.integers(-(10**9), 10**9), st.floats(allow_nan=True), st.text(max_size=8), st.booleans()
    ),
)
def test_fuzzed_values_only_raise_config_error(key, value):
    text = "\n".join(
        f"{key} = {value!r}".replace("'", '"').replace("True", "true").replace("False", "false")
        if line.split("=")[0].strip() == key
        else line
        for line in TEXT.splitlines()
    )
    with contextlib.suppress(ConfigError):
        parse_portfolio(text, Path("fuzz.toml"))


def test_budgets_bounds_and_groups(tmp_path):
    text = TEXT.replace('method = "erc"', 'method = "risk-budget"')
    text = text.replace(
        "[groups]\n", "[groups]\nfactor = { min = 0.5, max = 0.8 }\ndefensive = 0.2\n"
    )
    budgets = iter(["0.3", "0.1", "0.2", "0.25", "0.15"])
    classes = iter(["factor", "factor", "factor", "defensive", "factor"])
    text = "\n".join(
        f'{line}\nbudget = {next(budgets)}\nasset_class = "{next(classes)}"\nmin = 0.05\nmax = 0.6'
        if line.startswith("currency =")
        else line
        for line in text.splitlines()
    )
    p = parse_portfolio(text, Path("portfolio.toml"))
    spec = p.allocation_spec()
    assert spec.method == "risk-budget" and list(spec.budgets) == [0.3, 0.1, 0.2, 0.25, 0.15]
    c = spec.constraints
    assert [g.name for g in c.groups] == ["factor", "defensive"]
    assert c.groups[1].lower == c.groups[1].upper == 0.2 and c.lower[0] == 0.05

    with pytest.raises(ConfigError, match=r"groups.*infeasible constraints.*defensive"):
        parse_portfolio(text.replace("defensive = 0.2", "defensive = 0.9"), Path("p.toml"))
    with pytest.raises(ConfigError, match=r"groups\.bonds: no asset has asset_class = 'bonds'"):
        parse_portfolio(text.replace("defensive = 0.2", "bonds = 0.2"), Path("p.toml"))
    with pytest.raises(ConfigError, match=r"assets\[1\].budget: QUAL: a risk budget must be > 0"):
        parse_portfolio(text.replace("budget = 0.1", "budget = -0.1"), Path("p.toml"))
    with pytest.raises(ConfigError, match="risk-budget needs a budget on every asset"):
        parse_portfolio(text.replace("budget = 0.1\n", ""), Path("p.toml"))
