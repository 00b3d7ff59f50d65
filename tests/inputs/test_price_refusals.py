"""Price files that used to end in a traceback or be silently accepted (issue #10): each is
refused with a DataError naming the file and the fix."""

import gzip

import pytest

from rp_tui.errors import DataError
from rp_tui.inputs.prices import PriceHistory, load_prices
from tests.inputs.mutators import PRICE_LINES, run_cases

ROWS = "\n".join(PRICE_LINES[:40]) + "\n"


def refused(path) -> str:
    with pytest.raises(DataError) as err:
        load_prices(path)
    message = str(err.value)
    assert message.startswith(f"{path}: ") and "np." not in message, message
    return message


def test_a_truncated_gzip_file(tmp_path):
    path = tmp_path / "prices.csv.gz"
    whole = gzip.compress(ROWS.encode())
    path.write_bytes(whole[: len(whole) // 2])
    assert "damaged gzip file" in refused(path)  # was EOFError
    path.write_bytes(whole[:-3] + bytes([whole[-3] ^ 0xFF]) + whole[-2:])
    assert "damaged gzip file" in refused(path)


def test_dates_with_different_utc_offsets(tmp_path):
    path = tmp_path / "prices.csv"
    lines = ROWS.splitlines()
    lines[1:] = [
        line.replace(",", f"T00:00:00{'+01:00' if i % 2 else '-05:00'},", 1)
        for i, line in enumerate(lines[1:])
    ]
    path.write_text("\n".join(lines))
    message = refused(path)  # was pandas' ValueError naming no file
    assert "mixes UTC offsets (+01:00, -05:00)" in message and "2022-12-28" in message


def test_one_offset_keeps_the_date_as_written(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text("Date,A,B\n2022-12-27T00:00:00+01:00,1,2\n2022-12-28T00:00:00+01:00,2,3\n")
    assert [str(d) for d in load_prices(path).dates] == ["2022-12-27", "2022-12-28"]


def test_a_header_with_no_rows(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text(PRICE_LINES[0] + "\n")
    assert "a header but no rows" in refused(path)  # was IndexError later, in as_of
    path.write_text("")
    assert "the file is empty" in refused(path)


def test_an_empty_history_has_no_as_of_but_says_so():
    with pytest.raises(DataError, match="IBKR: no prices"):
        _ = PriceHistory.empty(("A",), "IBKR").as_of


@pytest.mark.parametrize(
    ("first", "second"), [("MTUM", "mtum"), ("MTUM", "MTUM"), ("qual", "QUAL")]
)
def test_two_columns_for_one_symbol_are_refused_naming_both(tmp_path, first, second):
    path = tmp_path / "prices.csv"
    path.write_text(f"Date,{first},{second}\n2022-01-03,1,2\n2022-01-04,1,2\n")
    message = refused(path)  # "MTUM"/"mtum" were both kept; "MTUM" twice became "MTUM.1"
    assert f"columns 2 ('{first}') and 3 ('{second}') are both {first.upper()}" in message


def test_a_column_without_a_name(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text("Date,A,,B\n2022-01-03,1,2,3\n")
    assert "column 3 has no name" in refused(path)


def test_a_missing_price_is_shown_as_written_not_as_a_numpy_repr(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text("Date,A,B\n2022-01-03,1,2\n2022-01-04,nan,2\n2022-01-05,1\n")
    assert "A has no valid price on 2022-01-04 (row 3: 'nan')" in refused(path)
    path.write_text("Date,A,B\n2022-01-03,1,2\n2022-01-05,1\n")
    assert "B has no valid price on 2022-01-05 (row 3: empty)" in refused(path)


def test_binary_junk_and_other_encodings(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_bytes(bytes(range(256)) * 3)
    assert "UTF-8" in refused(path)
    path.write_bytes("Date,A\n2022-01-03,1\n".encode("utf-16"))
    assert "UTF-8" in refused(path)


def test_a_byte_order_mark_is_fine(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text("\ufeffDate,A,B\n2022-01-03,1,2\n")
    assert load_prices(path).symbols == ("A", "B")


def test_ragged_rows_name_the_line(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text("Date,A,B\n2022-01-03,1,2,4\n")
    assert "Expected 3 fields in line 2, saw 4" in refused(path)


def test_mutated_price_files_raise_only_data_error(tmp_path):
    """A few hundred seeded mutants here; benchmarks/fuzz_inputs.py runs 4,000+."""
    tally = run_cases("prices", 300, seed=10, workdir=tmp_path, expected=DataError, progress=None)
    assert tally.cases == 300 and tally.unexpected == []
