import pytest

from rp_tui.errors import DataError
from rp_tui.inputs.bundled_data import FACTOR_ETFS
from rp_tui.inputs.prices import load_prices


def test_bundled_history_is_the_skfolio_factor_set():
    h = load_prices(bundled=FACTOR_ETFS)
    assert h.symbols == ("MTUM", "QUAL", "SIZE", "USMV", "VLUE")
    assert (str(h.dates[0]), h.as_of, h.closes.shape) == ("2014-01-02", "2022-12-28", (2264, 5))
    assert h.closes[-1, 0] == pytest.approx(143.73)


def write(tmp_path, text):
    path = tmp_path / "prices.csv"
    path.write_text(text)
    return path


def test_nan_price_names_symbol_date_and_row(tmp_path):
    path = write(tmp_path, "Date,AAA,BBB\n2024-01-02,1,2\n2024-01-03,,2\n")
    with pytest.raises(DataError, match=r"AAA has no valid price on 2024-01-03 \(row 3"):
        load_prices(path)


def test_unsorted_dates_and_bad_header(tmp_path):
    with pytest.raises(DataError, match="row 3: dates must be strictly increasing"):
        load_prices(write(tmp_path, "Date,AAA\n2024-01-03,1\n2024-01-02,2\n"))
    with pytest.raises(DataError, match="first column must be 'Date'"):
        load_prices(write(tmp_path, "day,AAA\n2024-01-03,1\n"))
    with pytest.raises(DataError, match="not an ISO date"):
        load_prices(write(tmp_path, "Date,AAA\n03/01/2024,1\n"))
    with pytest.raises(DataError, match="cannot open"):
        load_prices(tmp_path / "missing.csv")


def test_unknown_symbol_is_named():
    with pytest.raises(DataError, match="no prices for SPY"):
        load_prices(bundled=FACTOR_ETFS).select(("MTUM", "SPY"))


def test_until_cuts_history():
    h = load_prices(bundled=FACTOR_ETFS).until("2020-06-30")
    assert h.as_of == "2020-06-30"
    with pytest.raises(DataError, match="ISO date"):
        load_prices(bundled=FACTOR_ETFS).until("June")
