"""Realistic Flex Query reports built in the tests: one account in USD holding SPY and TLT
(portfolio assets), VOW3 on IBIS in EUR (not in the portfolio), cash in USD, EUR and GBP,
conversion rates, a lot-level row beside the summary, and EFA closed during the period (a
closing trade, no open position)."""

from __future__ import annotations

ACCOUNT = "U7654321"
POSITIONS = [  # symbol, currency, exchange, conid, quantity, mark, cost
    ("SPY", "USD", "ARCA", 756733, 100, 590.25, 410.10),
    ("TLT", "USD", "NASDAQ", 15547841, 50, 88.40, 101.30),
    ("VOW3", "EUR", "IBIS", 14171, 20, 95.10, 120.00),
]
CASH = {"USD": 5000.0, "EUR": 1200.0, "GBP": 300.0}
RATES = {"EUR": 1.08, "GBP": 1.27}
BASE_CASH = 5000.0 + 1200.0 * 1.08 + 300.0 * 1.27


def flex_xml(account: str = ACCOUNT, base: str = "USD", cash_report: bool = True) -> bytes:
    """An Activity Flex Query report in XML as IBKR sends it."""
    positions = "".join(
        f'<OpenPosition accountId="{account}" currency="{cur}" fxRateToBase="{RATES.get(cur, 1)}" '
        f'assetCategory="STK" symbol="{sym}" description="{sym} ETF" conid="{conid}" '
        f'listingExchange="{exch}" reportDate="20261130" position="{qty}" markPrice="{mark}" '
        f'positionValue="{qty * mark}" costBasisPrice="{cost}" costBasisMoney="{qty * cost}" '
        f'side="Long" levelOfDetail="SUMMARY" multiplier="1" />'
        for sym, cur, exch, conid, qty, mark, cost in POSITIONS
    )
    lot = (  # a lot of SPY: part of the summary above, never counted twice
        f'<OpenPosition accountId="{account}" currency="USD" assetCategory="STK" symbol="SPY" '
        'conid="756733" position="40" markPrice="590.25" costBasisPrice="380.00" '
        'levelOfDetail="LOT" openDateTime="20200315;103000" />'
    )
    cash = "".join(
        f'<CashReportCurrency accountId="{account}" currency="{cur}" fromDate="20261101" '
        f'toDate="20261130" startingCash="{amount}" endingCash="{amount}" '
        f'endingSettledCash="{amount}" />'
        for cur, amount in [("BASE_SUMMARY", BASE_CASH), *CASH.items()]
    )
    rates = "".join(
        f'<ConversionRate reportDate="20261130" fromCurrency="{cur}" toCurrency="{base}" '
        f'rate="{rate}" />'
        for cur, rate in RATES.items()
    )
    trades = (
        f'<Trade accountId="{account}" currency="USD" assetCategory="STK" symbol="EFA" '
        'conid="37345927" tradeDate="20261112" quantity="-30" tradePrice="81.5" '
        'buySell="SELL" openCloseIndicator="C" ibCommission="-1" ibCommissionCurrency="USD" '
        'someNewAttribute="ignored" />'
    )
    cash_section = f"<CashReport>{cash}</CashReport>" if cash_report else ""
    return (
        '<FlexQueryResponse queryName="rp-tui positions" type="AF">'
        '<FlexStatements count="1">'
        f'<FlexStatement accountId="{account}" fromDate="20261101" toDate="20261130" '
        'period="LastMonth" whenGenerated="20261201;080102">'
        f'<AccountInformation accountId="{account}" currency="{base}" name="A. Investor" '
        'accountType="Individual" />'
        f"<OpenPositions>{positions}{lot}</OpenPositions>{cash_section}"
        f"<ConversionRates>{rates}</ConversionRates><Trades>{trades}</Trades>"
        "</FlexStatement></FlexStatements></FlexQueryResponse>"
    ).encode()


def _row(*cells) -> str:
    return ",".join(f'"{c}"' for c in cells) + "\n"


def flex_csv(headers: bool) -> bytes:
    """The same report as a Flex Query CSV: ``headers`` adds the header and trailer records
    (BOF/BOA/BOS…/EOF lines and HEADER/DATA line descriptors); without them each section is
    its column row followed by its data rows."""
    sections = [
        ("ACCT", ["ClientAccountID", "CurrencyPrimary", "Name", "AccountType"],
         [[ACCOUNT, "USD", "A. Investor", "Individual"]]),
        ("POST", ["ClientAccountID", "CurrencyPrimary", "AssetClass", "Symbol", "Conid",
                  "ListingExchange", "ReportDate", "Quantity", "MarkPrice", "CostBasisPrice",
                  "LevelOfDetail"],
         [[ACCOUNT, cur, "STK", sym, conid, exch, "20261130", qty, mark, cost, "SUMMARY"]
          for sym, cur, exch, conid, qty, mark, cost in POSITIONS]
         + [[ACCOUNT, "USD", "STK", "SPY", 756733, "ARCA", "20261130", 40, 590.25, 380, "LOT"]]),
        ("CRTT", ["ClientAccountID", "CurrencyPrimary", "ToDate", "EndingCash"],
         [[ACCOUNT, cur, "20261130", amount]
          for cur, amount in [("BASE_SUMMARY", BASE_CASH), *CASH.items()]]),
        ("RATE", ["ReportDate", "FromCurrency", "ToCurrency", "Rate"],
         [["20261130", cur, "USD", rate] for cur, rate in RATES.items()]),
        ("TRNT", ["ClientAccountID", "CurrencyPrimary", "Symbol", "TradeDate", "Quantity",
                  "TradePrice", "Buy/Sell"],
         [[ACCOUNT, "USD", "EFA", "20261112", -30, 81.5, "SELL"]]),
    ]  # fmt: skip
    out = []
    if headers:
        out.append(_row("BOF", ACCOUNT, "rp-tui positions", "1", "20261101", "20261130",
                        "20261201;080102", "1"))  # fmt: skip
        out.append(_row("BOA", ACCOUNT))
    for code, columns, rows in sections:
        if headers:
            out.append(_row("BOS", code, code))
            out.append(_row("HEADER", code, *columns))
            out.extend(_row("DATA", code, *r) for r in rows)
            out.append(_row("EOS", code, len(rows)))
        else:
            out.append(_row(*columns))
            out.extend(_row(*r) for r in rows)
    if headers:
        out.append(_row("EOA", ACCOUNT))
        out.append(_row("EOF", ACCOUNT))
    return "".join(out).encode()
