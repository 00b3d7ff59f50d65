"""Encoders for orders and fills: open and completed orders, order status, executions."""

from __future__ import annotations

from .message_schema import CONTRACT11, Message, Schema
from .protocol import UNSET_DOUBLE, Out

#: ``Decoder.openOrder`` at v176 for an order without delta-neutral leg, combo legs,
#: scale, hedge, algo or conditions: 128 fields.
OPEN_ORDER = Schema(
    Out.OPEN_ORDER,
    ("orderId", 0),
    *CONTRACT11,
    "action",
    ("totalQuantity", 0),
    "orderType",
    "lmtPrice",
    "auxPrice",
    "tif",
    "ocaGroup",
    "account",
    "openClose",
    ("origin", 0),
    "orderRef",
    ("clientId", 0),
    ("permId", 0),
    ("outsideRth", False),
    ("hidden", False),
    "discretionaryAmt",
    "goodAfterTime",
    "sharesAllocation",  # deprecated, skipped by the decoder
    "faGroup",
    "faMethod",
    "faPercentage",
    "faProfile",  # server version < 177 only
    "modelCode",
    "goodTillDate",
    "rule80A",
    "percentOffset",
    "settlingFirm",
    "shortSaleSlot",
    "designatedLocation",
    "exemptCode",
    "auctionStrategy",
    "startingPrice",
    "stockRefPrice",
    "delta",
    "stockRangeLower",
    "stockRangeUpper",
    "displaySize",
    "blockOrder",
    "sweepToFill",
    "allOrNone",
    "minQty",
    "ocaType",
    "eTradeOnly",
    "firmQuoteOnly",
    "nbboPriceCap",
    ("parentId", 0),
    "triggerMethod",
    "volatility",
    "volatilityType",
    "deltaNeutralOrderType",  # empty: no delta-neutral block follows
    "deltaNeutralAuxPrice",
    "continuousUpdate",
    "referencePriceType",
    "trailStopPrice",
    "trailingPercent",
    "basisPoints",
    "basisPointsType",
    "comboLegsDescrip",
    ("comboLegCount", 0),
    ("orderComboLegCount", 0),
    ("smartComboRoutingParamCount", 0),
    "scaleInitLevelSize",
    "scaleSubsLevelSize",
    "scalePriceIncrement",  # empty: no scale block follows
    "hedgeType",  # empty: no hedgeParam follows
    "optOutSmartRouting",
    "clearingAccount",
    "clearingIntent",
    "notHeld",
    ("deltaNeutralContractPresent", False),
    "algoStrategy",  # empty: no algo params follow
    "solicited",
    ("whatIf", False),
    "status",
    "initMarginBefore",
    "maintMarginBefore",
    "equityWithLoanBefore",
    "initMarginChange",
    "maintMarginChange",
    "equityWithLoanChange",
    "initMarginAfter",
    "maintMarginAfter",
    "equityWithLoanAfter",
    "commission",
    "minCommission",
    "maxCommission",
    "commissionCurrency",
    "warningText",
    "randomizeSize",
    "randomizePrice",
    ("conditionCount", 0),
    "adjustedOrderType",
    "triggerPrice",
    "adjustedTrailStopPrice",  # the decoder assigns this to trailStopPrice again
    "lmtPriceOffset",
    "adjustedStopPrice",
    "adjustedStopLimitPrice",
    "adjustedTrailingAmount",
    "adjustableTrailingUnit",
    "softDollarTierName",
    "softDollarTierValue",
    "softDollarTierDisplayName",
    "cashQty",
    "dontUseAutoPriceForHedge",
    "isOmsContainer",
    "discretionaryUpToLimitPrice",
    "usePriceMgmtAlgo",
    "duration",  # v159+
    "postToAts",  # v160+
    "autoCancelParent",  # v162+
    "minTradeQty",  # v170+: five fields
    "minCompeteSize",
    "competeAgainstBestOffset",
    "midOffsetAtWhole",
    "midOffsetAtHalf",
)

#: ``Decoder.completedOrder`` at v176 (no orderId, no clientId on the wire).
COMPLETED_ORDER = Schema(
    Out.COMPLETED_ORDER,
    *CONTRACT11,
    "action",
    ("totalQuantity", 0),
    "orderType",
    "lmtPrice",
    "auxPrice",
    "tif",
    "ocaGroup",
    "account",
    "openClose",
    ("origin", 0),
    "orderRef",
    ("permId", 0),
    ("outsideRth", False),
    ("hidden", False),
    "discretionaryAmt",
    "goodAfterTime",
    "faGroup",
    "faMethod",
    "faPercentage",
    "faProfile",  # server version < 177 only
    "modelCode",
    "goodTillDate",
    "rule80A",
    "percentOffset",
    "settlingFirm",
    "shortSaleSlot",
    "designatedLocation",
    "exemptCode",
    "startingPrice",
    "stockRefPrice",
    "delta",
    "stockRangeLower",
    "stockRangeUpper",
    "displaySize",
    "sweepToFill",
    "allOrNone",
    "minQty",
    "ocaType",
    "triggerMethod",
    "volatility",
    "volatilityType",
    "deltaNeutralOrderType",
    "deltaNeutralAuxPrice",
    "continuousUpdate",
    "referencePriceType",
    "trailStopPrice",
    "trailingPercent",
    "comboLegsDescrip",
    ("comboLegCount", 0),
    ("orderComboLegCount", 0),
    ("smartComboRoutingParamCount", 0),
    "scaleInitLevelSize",
    "scaleSubsLevelSize",
    "scalePriceIncrement",
    "hedgeType",
    "clearingAccount",
    "clearingIntent",
    "notHeld",
    ("deltaNeutralContractPresent", False),
    "algoStrategy",
    "solicited",
    "status",
    "randomizeSize",
    "randomizePrice",
    ("conditionCount", 0),
    "adjustedTrailStopPrice",  # the decoder assigns this to trailStopPrice again
    "lmtPriceOffset",
    "cashQty",
    "dontUseAutoPriceForHedge",
    "isOmsContainer",
    "autoCancelDate",
    ("filledQuantity", 0),
    "refFuturesConId",
    "autoCancelParent",
    "shareholder",
    "imbalanceOnly",
    "routeMarketableToBbo",
    "parentPermId",
    "completedTime",
    "completedStatus",
    "minTradeQty",  # v170+: five fields
    "minCompeteSize",
    "competeAgainstBestOffset",
    "midOffsetAtWhole",
    "midOffsetAtHalf",
)

#: ``Decoder.execDetails`` at v176: exactly 31 fields (no version field).
EXECUTION_DATA = Schema(
    Out.EXECUTION_DATA,
    ("reqId", -1),
    ("orderId", 0),
    *CONTRACT11,
    "execId",
    "time",
    "account",
    "exchange_",  # the execution's venue, not the contract's routing exchange
    "side",
    ("shares", 0),
    ("price", 0),
    ("permId", 0),
    ("clientId", 0),
    ("liquidation", 0),
    ("cumQty", 0),
    ("avgPrice", 0),
    "orderRef",
    "evRule",
    "evMultiplier",
    "modelCode",
    ("lastLiquidity", 0),
)


def order_status(
    order_id: int,
    status: str,
    filled: float,
    remaining: float,
    avg_fill_price: float,
    perm_id: int,
    last_fill_price: float,
    client_id: int,
    parent_id: int = 0,
    why_held: str = "",
    mkt_cap_price: float = 0.0,
) -> Message:
    """ORDER_STATUS (no version field at v176)."""
    return [
        Out.ORDER_STATUS,
        order_id,
        status,
        filled,
        remaining,
        avg_fill_price,
        perm_id,
        parent_id,
        last_fill_price,
        client_id,
        why_held,
        mkt_cap_price,
    ]


def open_order_end() -> Message:
    """OPEN_ORDER_END."""
    return [Out.OPEN_ORDER_END, 1]


def completed_orders_end() -> Message:
    """COMPLETED_ORDERS_END: no version field."""
    return [Out.COMPLETED_ORDERS_END]


def execution_data_end(req_id: int) -> Message:
    """EXECUTION_DATA_END."""
    return [Out.EXECUTION_DATA_END, 1, req_id]


def commission_report(
    exec_id: str,
    commission: float,
    currency: str,
    realized_pnl: float | None = None,
    yield_: float | None = None,
    yield_redemption_date: int | None = None,
) -> Message:
    """COMMISSION_REPORT: exactly eight fields; unknown values as 1.797e308."""
    unset = UNSET_DOUBLE
    return [
        Out.COMMISSION_REPORT,
        1,
        exec_id,
        commission,
        currency,
        unset if realized_pnl is None else realized_pnl,
        unset if yield_ is None else yield_,
        0 if yield_redemption_date is None else yield_redemption_date,
    ]
