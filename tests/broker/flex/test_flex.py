"""IBKR Flex statements as a read-only broker: XML (ibflex) and CSV reports built here, the
Flex Web Service's two-step protocol against a local HTTP server, plans and risk on the
statement, and execution refused."""

from __future__ import annotations

import math
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from rp_tui.broker.flex_statement import parse_flex
from rp_tui.cli.main import main
from rp_tui.errors import BrokerError, DataError
from rp_tui.services.execution import execute_plan
from rp_tui.services.plan import build_plan
from rp_tui.services.session import make_broker, open_session
from rp_tui.state.trade_log import TradeLog
from tests.broker.flex.flex_reports import ACCOUNT, BASE_CASH, flex_csv, flex_xml

TOKEN = "314159265358979323846"  # a Flex token: secret, never shown


def portfolio(tmp_path: Path, broker: str) -> Path:
    assets = "".join(
        f'[[assets]]\nsymbol = "{s}"\nexchange = "SMART"\nprimary_exchange = "ARCA"\n'
        'currency = "USD"\n\n'
        for s in ("SPY", "TLT", "IEF")
    )
    path = tmp_path / "portfolio.toml"
    path.write_text(
        'base_currency = "USD"\n\n[strategy]\nlookback = 60\n\n'
        f'[broker]\nkind = "flex"\n{broker}\n\n{assets}'
    )
    return path


@pytest.fixture(params=["xml", "csv-headers", "csv-plain"])
def report(request, tmp_path) -> Path:
    data = {
        "xml": flex_xml(),
        "csv-headers": flex_csv(headers=True),
        "csv-plain": flex_csv(headers=False),
    }[request.param]
    path = tmp_path / f"statement.{request.param[:3]}"
    path.write_bytes(data)
    return path


def test_a_report_gives_positions_cash_per_currency_rates_and_costs(report):
    s = parse_flex(report.read_bytes(), str(report))
    assert (s.account, s.base_currency, s.as_of) == (ACCOUNT, "USD", "2026-11-30")
    assert {p.symbol: p.quantity for p in s.positions} == {"SPY": 100, "TLT": 50, "VOW3": 20}
    vow3 = next(p for p in s.positions if p.symbol == "VOW3")
    assert (vow3.currency, vow3.exchange, vow3.mark_price, vow3.cost_price) == (
        "EUR", "IBIS", 95.10, 120.00,
    )  # fmt: skip
    assert s.cash == {"USD": 5000.0, "EUR": 1200.0, "GBP": 300.0}
    assert s.fx == {"EUR": 1.08, "GBP": 1.27}
    assert math.isclose(s.base_cash, BASE_CASH)


async def test_the_statement_is_a_read_only_account_for_plans_and_risk(report, tmp_path):
    session = open_session(portfolio(tmp_path, f'flex_file = "{report}"'))
    broker = make_broker(session)
    snap = await broker.snapshot()
    assert snap.broker == "flex" and snap.account == ACCOUNT and snap.as_of == "2026-11-30"
    assert snap.quantities == {"SPY": 100, "TLT": 50, "IEF": 0, "VOW3": 20}
    assert snap.prices["SPY"] == 590.25 and snap.quote_kinds["SPY"] == "portfolio"
    assert snap.quote_kinds["IEF"] == "close" and snap.prices["IEF"] > 0, "the history's close"
    assert snap.fx == {"EUR": 1.08, "GBP": 1.27, "USD": 1.0}
    assert math.isclose(snap.cash, BASE_CASH)
    assert snap.cash_by_currency == {"USD": 5000.0, "EUR": 1200.0, "GBP": 300.0}
    held = {h.symbol: (h.average_cost, h.in_portfolio, h.currency) for h in snap.holdings}
    assert held == {
        "SPY": (410.10, True, "USD"), "TLT": (101.30, True, "USD"), "VOW3": (120.0, False, "EUR"),
    }  # fmt: skip
    assert "EFA" not in snap.quantities, "closed during the period"
    access = broker.access()
    assert access.read_only and not access.live and "Flex" in access.name
    plan = await build_plan(session, broker)
    assert plan.orders and plan.nav > 0
    assert {p.symbol for p in plan.positions} >= {"SPY", "TLT", "IEF", "VOW3"}


async def test_executing_on_a_statement_is_refused_and_sends_nothing(tmp_path):
    (tmp_path / "s.xml").write_bytes(flex_xml())
    session = open_session(portfolio(tmp_path, f'flex_file = "{tmp_path / "s.xml"}"'))
    broker = make_broker(session)
    plan = await build_plan(session, broker)
    with pytest.raises(BrokerError, match=r"only reports the account.*kind = \"ibkr\""):
        await execute_plan(broker, plan, run_id="x1")
    records = TradeLog().read()
    assert records[-1]["event"] == "refused"
    assert not [r for r in records if r["event"] in ("intent", "submitted")]
    with pytest.raises(BrokerError, match=r'"ibkr".*"alpaca"'):
        await broker.prepare_run(["SPY"])


def test_the_command_line_plans_on_a_statement_and_refuses_to_execute(tmp_path, capsys):
    (tmp_path / "s.csv").write_bytes(flex_csv(headers=True))
    config = portfolio(tmp_path, f'flex_file = "{tmp_path / "s.csv"}"')
    assert main(["plan", "--config", str(config), "--broker", "flex"]) == 0
    assert ACCOUNT in capsys.readouterr().out
    code = main(["rebalance", "--execute", "--yes", "--config", str(config)])
    err = capsys.readouterr().err
    assert code == 2 and "only reports the account" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "not a Flex report"),
        (b"<FlexQueryResponse><broken", "not a readable Flex XML report"),
        (flex_xml(cash_report=False), "no Cash Report section"),
        (b'"Some","Thing"\n"1","2"\n', "not a Flex report"),
    ],
)
def test_a_bad_report_names_the_file_and_the_fix(tmp_path, capsys, data, words):
    (tmp_path / "bad.xml").write_bytes(data)
    config = portfolio(tmp_path, f'flex_file = "{tmp_path / "bad.xml"}"')
    assert main(["plan", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert words in err and "bad.xml" in err and "Traceback" not in err


async def test_another_base_currency_or_account_is_refused(tmp_path):
    (tmp_path / "s.xml").write_bytes(flex_xml(base="EUR"))
    session = open_session(portfolio(tmp_path, f'flex_file = "{tmp_path / "s.xml"}"'))
    with pytest.raises(BrokerError, match='base_currency = "EUR"'):
        await make_broker(session).snapshot()
    (tmp_path / "s.xml").write_bytes(flex_xml())
    session = open_session(
        portfolio(tmp_path, f'flex_file = "{tmp_path / "s.xml"}"\naccount = "U1111111"')
    )
    with pytest.raises(DataError, match="U1111111 is not in the report"):
        await make_broker(session).snapshot()


def test_flex_needs_a_file_or_a_query(tmp_path, capsys):
    assert main(["plan", "--config", str(portfolio(tmp_path, ""))]) == 2
    assert "flex_file" in capsys.readouterr().err


# -- the Flex Web Service ------------------------------------------------------------


class FlexService:
    """A local Flex Web Service: SendRequest answers a reference code (or an error for a
    token it calls expired), GetStatement says "generation in progress" ``busy`` times, then
    sends ``report``."""

    def __init__(self, report: bytes, busy: int = 2):
        self.report, self.busy, self.calls = report, busy, []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                q = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                service.calls.append((parts.path, q, self.headers.get("User-Agent", "")))
                self._answer(service.answer(parts.path, q))

            def _answer(self, data: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/FlexWebService"

    def answer(self, path: str, q: dict) -> bytes:
        def status(kind: str, code: str, message: str) -> bytes:
            return (
                '<FlexStatementResponse timestamp="01 December, 2026 08:01 AM EST">'
                f"<Status>{kind}</Status><ErrorCode>{code}</ErrorCode>"
                f"<ErrorMessage>{message}</ErrorMessage></FlexStatementResponse>"
            ).encode()

        if q.get("t") == "expired":
            return status("Fail", "1012", "Token has expired.")
        if path.endswith("/SendRequest"):
            return (
                b'<FlexStatementResponse timestamp="01 December, 2026 08:01 AM EST">'
                b"<Status>Success</Status><ReferenceCode>8812345678</ReferenceCode>"
                b"<Url>https://gdcdyn.interactivebrokers.com/AccountManagement/FlexWebService/"
                b"GetStatement</Url></FlexStatementResponse>"
            )
        if q.get("q") != "8812345678":
            return status("Fail", "1017", "Reference code is invalid.")
        if self.busy:
            self.busy -= 1
            return status(
                "Warn", "1019", "Statement generation in progress. Please try again shortly."
            )
        return self.report


@pytest.fixture
def service():
    server = FlexService(flex_xml())
    yield server
    server.server.shutdown()
    server.server.server_close()


def web_broker(tmp_path, service, waits):
    config = portfolio(tmp_path, f'flex_query_id = "991234"\nflex_url = "{service.url}"')
    session = open_session(config)
    broker = make_broker(session)
    broker.sleep = waits.append
    return session, broker


async def test_the_web_service_is_asked_twice_and_waited_for(tmp_path, service, monkeypatch):
    monkeypatch.setenv("IBKR_FLEX_TOKEN", TOKEN)
    waits: list[float] = []
    session, broker = web_broker(tmp_path, service, waits)
    snap = await broker.snapshot()
    assert snap.account == ACCOUNT and snap.quantities["SPY"] == 100
    paths = [p.rsplit("/", 1)[1] for p, _, _ in service.calls]
    assert paths == ["SendRequest", "GetStatement", "GetStatement", "GetStatement"]
    assert len(waits) == 2, "statement not ready twice: asked again after a wait each time"
    send = service.calls[0][1]
    assert send == {"t": TOKEN, "q": "991234", "v": "3"}
    assert service.calls[1][1] == {"q": "8812345678", "t": TOKEN, "v": "3"}
    assert all(agent.startswith("rp-tui/") for _, _, agent in service.calls)
    plan = await build_plan(session, broker)
    assert plan.account == ACCOUNT and len(service.calls) == 4, "read once per session"


async def test_an_expired_token_says_how_to_renew_it_and_never_shows_it(
    tmp_path, service, monkeypatch
):
    monkeypatch.setenv("IBKR_FLEX_TOKEN", "expired")
    _, broker = web_broker(tmp_path, service, [])
    with pytest.raises(BrokerError, match=r"1012.*expired.*IBKR_FLEX_TOKEN"):
        await broker.snapshot()
    monkeypatch.setenv("IBKR_FLEX_TOKEN", TOKEN)
    service.busy = 100  # never ready
    _, broker = web_broker(tmp_path, service, [])
    with pytest.raises(BrokerError, match="still being generated") as slow:
        await broker.snapshot()
    assert TOKEN not in str(slow.value)


def test_no_token_names_where_to_put_it(tmp_path, service, monkeypatch, capsys):
    monkeypatch.delenv("IBKR_FLEX_TOKEN", raising=False)
    config = portfolio(tmp_path, f'flex_query_id = "991234"\nflex_url = "{service.url}"')
    assert main(["plan", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "IBKR_FLEX_TOKEN" in err and "Traceback" not in err


async def test_an_unreachable_service_is_named_without_the_token(tmp_path, monkeypatch):
    monkeypatch.setenv("IBKR_FLEX_TOKEN", TOKEN)
    server = FlexService(flex_xml())
    url = server.url
    server.server.shutdown()
    server.server.server_close()
    config = portfolio(tmp_path, f'flex_query_id = "991234"\nflex_url = "{url}"')
    broker = make_broker(open_session(config))
    with pytest.raises(BrokerError, match="cannot reach the Flex Web Service") as down:
        await broker.snapshot()
    assert TOKEN not in str(down.value)
