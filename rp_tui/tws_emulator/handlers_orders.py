"""Request handlers for orders: place, cancel, open and completed orders, executions."""

from __future__ import annotations

from . import messages as msg
from .protocol import ERROR_TEXT
from .requests import ExecutionFilterRequest, parse_place_order


class OrderHandlers:
    """``Session`` mixin: orders go to the emulator's ``OrderBook``.

    The session provides ``emu``, ``send``, ``client_id`` and ``_instruments``.
    """

    def _place_order(self, fields: list[str]) -> None:
        placed = parse_place_order(fields, self.client_id or 0)
        self.emu.placed_orders.append(placed)
        found = self._instruments(placed.contract)
        if len(found) != 1:
            self.send(msg.error(placed.order_id, 200, ERROR_TEXT[200]))
            return
        book = self.emu.book
        if placed.what_if:
            book.what_if(placed, found[0], self.send)
        else:
            book.place(placed, found[0], self.send)

    def _cancel_order(self, fields: list[str]) -> None:
        self.emu.book.cancel(self.client_id or 0, int(fields[2]), self.send)

    def _global_cancel(self, _fields: list[str]) -> None:
        for record in self.emu.book.open_orders():
            self.emu.book.cancel(record.placed.client_id, record.placed.order_id, self.send)

    def _open_orders(self, all_clients: bool) -> None:
        book = self.emu.book
        for record in book.open_orders(None if all_clients else self.client_id):
            self.send(book.open_order_message(record))
            self.send(book.order_status_message(record))
        self.send(msg.open_order_end())

    def _req_completed_orders(self, _fields: list[str]) -> None:
        book = self.emu.book
        for record in book.completed_orders():
            self.send(book.completed_order_message(record))
        self.send(msg.completed_orders_end())

    def _req_executions(self, fields: list[str]) -> None:
        query = ExecutionFilterRequest.parse(fields)
        book = self.emu.book
        for execution in book.find_executions(query):
            self.send(book.execution_message(execution, query.req_id))
            self.send(book.commission_message(execution))
        self.send(msg.execution_data_end(query.req_id))
