"""A loopback TWS API emulator (server version 176) for the real ``ib_async`` client.

It is the test harness for the project's IBKR code: pure asyncio, no third-party imports,
scriptable per test, and runnable by hand.

By hand, serving the demo paper account DU1234567 (MTUM, QUAL, SIZE, USMV, VLUE)::

    python -m rp_tui.tws_emulator --port 7497        # Ctrl-C to stop; -v logs messages

In a test::

    from rp_tui.tws_emulator import OrderBehaviour, Quote, TwsEmulator, demo_scenario

    async with TwsEmulator(demo_scenario()) as emu:        # 127.0.0.1, ephemeral port
        emu.scenario.behaviour_by_symbol["QUAL"] = OrderBehaviour.reject("no funds")
        emu.scenario.quotes["MTUM"] = Quote(last=200.0, live=False)   # error 10089
        ib = IB()
        await ib.connectAsync("127.0.0.1", emu.port, clientId=1, timeout=5)
        ...
        emu.connectivity_lost()                            # error 1100 to every client
        emu.faults.drop_after_server_messages = 3          # then the socket closes
        assert emu.placed_orders[0].order_ref == "run-1:0"

Scenario data (``scenario.py``, records in ``scenario_records.py``): ``Scenario`` holds
``Account`` (cash per currency, exchange rates, overrides), ``Instrument`` (contract
details), ``Position``, ``Quote`` (live or delayed-only), ``Bar`` lists, ``WhatIf`` answers
and ``OrderBehaviour`` (fill, partial, reject, open) by symbol, by orderRef or as the
default.

Faults (``TwsEmulator``): ``faults`` (``Faults``: drop after N server or client messages,
reply delay), ``drop_connections()``, ``connectivity_lost()`` / ``connectivity_restored()``,
``send_error()``, ``fail_next(In.REQ_HISTORICAL_DATA, 162)``, ``resend_execution()``,
``OrderBehaviour(duplicate_execution=True)``, ``restart(next_valid_id=1)``,
``fill_order()`` for working orders.

Records: ``received`` ((msg_id, fields) per client message), ``placed_orders``
(``PlacedOrder``), ``executions``, ``book.orders``, ``sessions`` (per-connection
``received`` / ``sent`` counters by message id) and ``handler_errors``.
"""

from .client_session import Faults, Session
from .messages import COMPLETED_ORDER, EXECUTION_DATA, OPEN_ORDER, Schema
from .orders import ExecutionRecord, OrderBook, OrderRecord
from .protocol import ERROR_TEXT, SERVER_VERSION, UNSET_DOUBLE, In, Out
from .requests import ContractQuery, PlacedOrder
from .scenario import Scenario, demo_scenario
from .scenario_records import (
    DEFAULT_ACCOUNT,
    Account,
    Bar,
    Instrument,
    OrderBehaviour,
    Position,
    Quote,
    WhatIf,
)
from .server import TwsEmulator

__all__ = [
    "COMPLETED_ORDER",
    "DEFAULT_ACCOUNT",
    "ERROR_TEXT",
    "EXECUTION_DATA",
    "OPEN_ORDER",
    "SERVER_VERSION",
    "UNSET_DOUBLE",
    "Account",
    "Bar",
    "ContractQuery",
    "ExecutionRecord",
    "Faults",
    "In",
    "Instrument",
    "OrderBehaviour",
    "OrderBook",
    "OrderRecord",
    "Out",
    "PlacedOrder",
    "Position",
    "Quote",
    "Scenario",
    "Schema",
    "Session",
    "TwsEmulator",
    "WhatIf",
    "demo_scenario",
]
