"""portfolio.toml inputs that used to end in a traceback or be silently accepted (issue #10):
each is refused with a ConfigError naming file, line, key and the fix."""

import math
import random
from dataclasses import fields
from pathlib import Path

import pytest

from rp_tui.domain.safety import SafetyLimits
from rp_tui.errors import ConfigError
from rp_tui.inputs.config_rules import CHOICES, RANGES
from rp_tui.inputs.portfolio_file import KEYS, RECORDS, parse_portfolio
from tests.conftest import PORTFOLIO
from tests.inputs.mutators import check_config, mutate_config, run_cases

TEXT = PORTFOLIO.read_text()


def refused(text: str) -> str:
    with pytest.raises(ConfigError) as err:
        parse_portfolio(text, Path("portfolio.toml"))
    message = str(err.value)
    assert "np." not in message and len(message) < 400, message
    return message


def line_of(text: str, start: str) -> int:
    return next(i for i, s in enumerate(text.splitlines(), 1) if s.startswith(start))


def test_a_400_digit_integer_in_a_float_field():
    text = TEXT.replace("band = 0.01", "band = " + "9" * 400)
    message = refused(text)  # was OverflowError
    assert f"portfolio.toml:{line_of(text, 'band = 9')}: rebalancing.band:" in message
    assert "too large" in message


def test_a_1000_deep_nested_array():
    text = TEXT.replace("band = 0.01", "band = " + "[" * 1000 + "]" * 1000)
    message = refused(text)  # was RecursionError inside tomllib
    assert f"portfolio.toml:{line_of(text, 'band = [')}:" in message and "too deeply" in message


def test_a_5000_digit_integer():
    text = TEXT.replace("lookback = 252", "lookback = " + "9" * 5000)
    message = refused(text)  # was a ValueError naming neither file nor line
    assert f"portfolio.toml:{line_of(text, 'lookback = 9')}:" in message
    assert "4300 digits" in message


def test_a_huge_hexadecimal_integer_is_shown_short():
    message = refused(TEXT.replace("port = 7497", "port = 0x" + "f" * 5000))
    assert "broker.port" in message and "digits>" in message


@pytest.mark.parametrize(
    ("old", "new", "key", "hint"),
    [
        ("lookback = 252", "lookbak = 252", "strategy.lookbak", "did you mean lookback?"),
        ("price_band = 0.02", "price_bnd = 0.02", "safety.price_bnd", "did you mean price_band?"),
        ("[strategy]", "[stratgy]", "stratgy", "unknown table 'stratgy'; did you mean strategy?"),
        ('plan = "ibkr-fixed"', 'plan = "ibkr-fixed"\nband = 0.02', "fees.band", "[rebalancing]"),
        ('symbol = "QUAL"', 'symbol = "QUAL"\nbudgte = 0.2', "assets[1].budgte", "budget?"),
        ("[groups]", "[groups]\nx = {min = 0.1, mx = 0.5}", "groups.x.mx", "did you mean max?"),
        ('theme = "rp-dark"', 'theme = "rp-dark"\nzzz = 1', "ui.zzz", "ui takes theme"),
    ],
)
def test_unknown_keys_and_tables_name_the_nearest_valid_one(old, new, key, hint):
    message = refused(TEXT.replace(old, new, 1))
    assert f" {key}: unknown " in message and hint in message, message


def test_an_unknown_table_is_found_on_its_line():
    text = TEXT + "\n[rebalancng]\nx = 1\n"
    message = refused(text)
    assert f"portfolio.toml:{line_of(text, '[rebalancng]')}: rebalancng: unknown table" in message


FLOAT_KEYS = [
    (table, f.name)
    for table, record in RECORDS.items()
    for f in fields(record)
    if isinstance(f.default, float)
]


@pytest.mark.parametrize(("table", "name"), FLOAT_KEYS)
@pytest.mark.parametrize("value", ["inf", "-inf", "nan"])
def test_inf_and_nan_are_refused_in_every_float_field(table, name, value):
    """An infinite [safety] cap switched its guard off; now every float must be finite."""
    text = TEXT.replace(f"[{table}]\n", f"[{table}]\n{name} = {value}\n", 1)
    text = "\n".join(
        line
        for i, line in enumerate(text.splitlines())
        if not (line.startswith(f"{name} =") and line != f"{name} = {value}")
    )
    message = refused(text)
    assert f"{table}.{name}: must be" in message and "finite" in message, message


@pytest.mark.parametrize("value", ["inf", "nan", "0", "-1"])
def test_every_safety_cap_stays_on(value):
    for name in (f.name for f in fields(SafetyLimits)):
        old = next(line for line in TEXT.splitlines() if line.startswith(f"{name} ="))
        assert "safety." + name in refused(TEXT.replace(old, f"{name} = {value}"))


def test_budget_inf_is_refused():
    text = TEXT.replace('currency = "USD"\n# e.g.', 'currency = "USD"\nbudget = inf\n# e.g.')
    assert "assets[0].budget: MTUM: a risk budget must be > 0 and finite, got inf" in refused(text)


def test_the_schema_covers_every_field_so_a_new_table_is_one_entry():
    """Every numeric field of every record has a range, every key of a record's table is
    its field, and the top level lists each table: adding ``[rebalancing]`` to RECORDS (and
    its ranges) is enough for the unknown-key check to know it."""
    for table, record in RECORDS.items():
        assert KEYS[table] == tuple(f.name for f in fields(record))
        assert table in KEYS[""]
        for f in fields(record):
            key = f"{table}.{f.name}"
            if isinstance(f.default, int | float) and not isinstance(f.default, bool):
                assert key in RANGES, f"{key} needs a Range in config_rules.RANGES"
                assert RANGES[key].problem(f.default) is None, key
            if key in CHOICES:
                assert f.default in CHOICES[key]


def test_the_shipped_file_uses_only_known_keys_and_all_defaults_are_valid():
    parse_portfolio(TEXT, PORTFOLIO)
    minimal = TEXT[TEXT.index("\n[[assets]]") :]
    assert parse_portfolio(minimal, PORTFOLIO).strategy.lookback == 252


def test_ranges_describe_themselves():
    assert RANGES["rebalancing.band"].interval == "in [0, 0.5)"
    assert RANGES["safety.max_order_notional"].interval == "> 0"
    assert RANGES["rebalancing.band"].problem(math.nan).startswith("must be a finite number")
    assert RANGES["rebalancing.band"].problem(0.02) is None


def test_mutated_configs_raise_only_config_error(tmp_path):
    """A few hundred seeded mutants here; benchmarks/fuzz_inputs.py runs 10,000+."""
    tally = run_cases("config", 400, seed=10, workdir=tmp_path, expected=ConfigError, progress=None)
    assert tally.cases == 400 and tally.unexpected == []
    assert tally.refused > 200, "the mutants reach the checks"


def test_mutator_makes_the_cases_it_promises():
    texts = [mutate_config(random.Random(i)) for i in range(200)]
    assert any("9" * 400 in t for t in texts) and any("= inf" in t for t in texts)
    assert any("[" * 999 in t for t in texts) and any("lookbak" in t for t in texts)
    valid = 0
    for t in texts:
        try:
            check_config(t)
            valid += 1
        except ConfigError:
            pass
    assert valid > 0, "some mutants are still valid files"
