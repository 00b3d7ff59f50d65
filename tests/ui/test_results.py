"""Execution results, trade-log rows and the status line, from plain records."""

from __future__ import annotations

from rp_tui.broker.base import Fill
from rp_tui.ui.dashboard import DashboardScreen
from rp_tui.ui.dashboard_text import connection_lost, status_text
from rp_tui.ui.log_screen import full_record, row
from rp_tui.ui.results import ResultsScreen, fills_message, outcome_note

from .conftest import SIZE, make_app, named_rows, press, settle, shows, until

FILLS = [
    Fill("QUAL", "SELL", 11, 111.9, 1.0, "USD", "filled", order_ref="r:0"),
    Fill("SIZE", "SELL", 5, 111.1, 1.0, "USD", "partial", remaining=7, order_ref="r:1"),
    Fill("MTUM", "BUY", 0, 143.7, 0.0, "USD", "open", remaining=4, order_ref="r:2"),
    Fill("USMV", "BUY", 0, 71.1, 0.0, "USD", "rejected",
         "201 Error 201, reqId 28: Order rejected - reason:no permission", 26, "r:3"),
    Fill("VLUE", "BUY", 0, 88.5, 0.0, "USD", "unknown", "", 3, "r:4"),
    Fill("VLUE", "BUY", 0, 88.5, 0.0, "USD", "cancelled", "not sent: disconnected", 3, "r:5"),
]  # fmt: skip


def test_fills_message_counts_each_outcome():
    text, severity = fills_message(FILLS)
    assert text.startswith(
        "1 order filled, 1 order partially filled, 1 order still open, 1 order cancelled, "
        "1 order rejected, 1 order with an unknown outcome. "
        "Rejected: BUY USMV: 201 Order rejected - reason:no permission. "
        "Unknown: the connection dropped"
    )
    assert "not re-sent" in text and severity == "error"
    assert fills_message(FILLS[:1]) == ("1 order filled", "information")
    assert fills_message(FILLS[:2])[1] == "warning"
    assert fills_message([FILLS[0]] * 3)[0] == "3 orders filled"


def test_outcome_notes_show_the_remainder_and_the_alert():
    assert outcome_note(FILLS[0]) == ""
    assert outcome_note(FILLS[1]) == "7 not filled"
    assert outcome_note(FILLS[2]) == "4 not filled"
    assert outcome_note(FILLS[3]) == "201 Order rejected - reason:no permission"
    assert "not re-sent" in outcome_note(FILLS[4])


async def test_results_screen_lists_every_order(session):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(ResultsScreen(FILLS))
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, ResultsScreen)
                and app.screen.query_one("#results").row_count == len(FILLS)
            ),
        )
        table = named_rows(app.screen.query_one("#results"))
        assert [(r["Symbol"], r["Filled"], r["Status"]) for r in table] == [
            ("QUAL", "11/11", "filled"),
            ("SIZE", "5/12", "partial"),
            ("MTUM", "0/4", "open"),
            ("USMV", "0/26", "rejected"),
            ("VLUE", "0/3", "unknown"),
            ("VLUE", "0/3", "cancelled"),
        ]
        assert table[0]["Comm."] == "1.00 USD" and table[0]["Avg price"] == "111.90"
        assert app.screen.query_one("#results-summary").has_class("-error")
        await shows(pilot, "Commission 2.00 USD")
        # at 80x24 nothing runs off the right edge: long messages wrap in their column,
        # and the keys stay on screen below the table
        results = app.screen.query_one("#results")
        assert results.virtual_size.width <= results.size.width
        assert "201 Order rejected" in table[3]["Message"]
        await shows(pilot, "Enter / Esc: close")
        await press(pilot, "enter", lambda: isinstance(app.screen, DashboardScreen))


def test_log_rows_name_the_order_of_a_fill():
    intent = {"ts": "2026-11-22T10:55:16.768+00:00", "event": "intent", "order_ref": "r:0",
              "symbol": "MTUM", "side": "BUY", "quantity": 17.0, "order_type": "LMT",
              "limit": 215.63, "currency": "USD", "estimated_commission": 1.0}  # fmt: skip
    fill = {"ts": "2026-11-22T10:55:16.799+00:00", "event": "fill", "order_ref": "r:0",
            "shares": 17.0, "price": 215.63, "commission": 1.0,
            "commission_currency": "USD"}  # fmt: skip
    status = {"event": "status", "order_ref": "r:0", "symbol": "MTUM", "status": "Submitted",
              "filled": 5.0, "remaining": 12.0}  # fmt: skip
    refused = {"event": "refused", "run_id": "x", "reasons": ["HALTED", "cap"]}
    orders = {"r:0": intent}
    assert row(intent, orders)[1:7] == (
        "intent",
        "MTUM",
        "BUY",
        "17",
        "",
        "LMT 215.63 USD, est. comm. 1.00",
    )
    assert row(fill, orders)[1:7] == ("fill", "MTUM", "BUY", "17", "", "@ 215.63, comm. 1.00 USD")
    assert row(status, orders)[4:6] == ("5/17", "Submitted")
    assert row(refused)[6] == "HALTED; cap"
    assert "limit 215.63" in full_record(intent) and "commission 1" in full_record(fill)


def test_status_line_puts_the_connection_first(session):
    assert connection_lost("connecting to TWS at 127.0.0.1:7497…")
    assert connection_lost("TWS lost its connection to IBKR (1100) at 127.0.0.1:7497")
    assert not connection_lost("connected to DU1234567 at 127.0.0.1:7497")
    assert not connection_lost("")
    line = status_text(session, None, "ibkr", "disconnected from TWS at h:1: retrying in 2 s",
                       "HALTED", failed=True)  # fmt: skip
    assert line.startswith(
        "disconnected from TWS at h:1: retrying in 2 s | ibkr | HALTED | no plan"
    )
    assert status_text(session, None, "demo").startswith("demo | ACTIVE | loading account")
