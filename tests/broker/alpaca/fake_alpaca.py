"""A local fake of Alpaca's REST endpoints (trading and market data) on 127.0.0.1, for the
real alpaca-py SDK to talk to.

It keeps an account (cash, positions with average entry price), prices, daily bars, the
market clock and calendar, assets (fractionable or not) and orders, and behaves as Alpaca
does where rp-tui depends on it: a ``client_order_id`` is unique (a second order with the
same id is HTTP 422), buys beyond the buying power are HTTP 403, fractional quantities on a
non-fractionable asset are HTTP 422, cancelling a finished order is HTTP 422. Faults are
one-shot and queued per request (``fault("POST /v2/orders", "drop-after")``): ``429`` (with
``Retry-After``), ``500-before`` / ``500-after`` (the order is created before the 500
answer in the -after case), ``drop-before`` / ``drop-after`` (the connection closes with no
answer). Fills follow a per-symbol plan (``fill_plan``): ``"fill"`` at once, ``"partial"``
(40 % at once, the rest never), ``"steps"`` (a third at each poll), ``"never"``.

Counters for the tests: ``posts`` (every POST /v2/orders that reached the handler),
``orders`` (every order created), ``requests`` (method and path of every request).
"""

from __future__ import annotations

import json
import random
import socket
import threading
import uuid
from collections import defaultdict, deque
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

KEY, SECRET = "test-key-id", "test-secret"
ACCOUNT = "PA1TESTACCT"
DONE = {"filled", "canceled", "expired", "rejected", "replaced", "done_for_day"}


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _num(x: float) -> str:
    return f"{x:.10g}"


class FakeAlpaca:
    """The fake's state and its server; ``url`` is ``http://127.0.0.1:<port>``."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.cash = 100_000.0
        self.positions: dict[str, dict] = {}
        self.prices: dict[str, float] = {}
        self.bars: dict[str, list[tuple[str, float]]] = {}
        self.fractionable: dict[str, bool] = {}
        self.is_open = True
        self.fill_plan: dict[str, str] = {}
        self.reject: dict[str, tuple[int, int, str]] = {}
        self.orders: list[dict] = []
        self.plans: dict[str, deque] = {}
        self.faults: dict[str, deque] = defaultdict(deque)
        self.posts = 0
        self.requests: list[tuple[str, str]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeAlpaca:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- set-up ------------------------------------------------------------------------

    def listing(self, symbol: str, price: float, fractionable: bool = True, days: int = 300):
        """A tradable asset at ``price`` with ``days`` daily bars ending yesterday."""
        self.prices[symbol] = price
        self.fractionable[symbol] = fractionable
        start = date.today() - timedelta(days=days * 7 // 5 + 5)
        walk = random.Random(symbol)  # the same bars for a symbol in every run
        rows, day, level = [], start, price
        while len(rows) < days:
            day += timedelta(days=1)
            if day.weekday() < 5 and day < date.today():
                level *= 1 + walk.gauss(0.0, 0.01)
                rows.append((day.isoformat(), round(level, 4)))
        self.bars[symbol] = rows

    def hold(self, symbol: str, qty: float, avg: float) -> None:
        self.positions[symbol] = {"qty": qty, "avg": avg}

    def fault(self, request: str, kind: str, times: int = 1) -> None:
        """Queue ``kind`` for the next ``times`` requests ``"METHOD /path"`` (prefix)."""
        for _ in range(times):
            self.faults[request].append(kind)

    # -- behaviour ---------------------------------------------------------------------

    def take_fault(self, method: str, path: str) -> str:
        with self.lock:
            for key, queue in self.faults.items():
                m, _, prefix = key.partition(" ")
                if m == method and path.startswith(prefix) and queue:
                    return queue.popleft()
        return ""

    def equity(self) -> float:
        return self.cash + sum(p["qty"] * self.prices[s] for s, p in self.positions.items())

    def _order_json(self, o: dict) -> dict:
        return {
            "id": o["id"], "client_order_id": o["client_order_id"],
            "created_at": o["submitted_at"], "updated_at": _now(),
            "submitted_at": o["submitted_at"], "filled_at": None, "expired_at": None,
            "canceled_at": None, "failed_at": None, "replaced_at": None, "replaced_by": None,
            "replaces": None, "asset_id": o["asset_id"], "symbol": o["symbol"],
            "asset_class": "us_equity", "notional": None, "qty": _num(o["qty"]),
            "filled_qty": _num(o["filled"]),
            "filled_avg_price": _num(o["value"] / o["filled"]) if o["filled"] else None,
            "order_class": "simple", "order_type": o["type"], "type": o["type"],
            "side": o["side"], "time_in_force": "day",
            "limit_price": o.get("limit_price"), "stop_price": None, "status": o["status"],
            "extended_hours": False, "legs": None, "trail_percent": None,
            "trail_price": None, "hwm": None,
        }  # fmt: skip

    def _fill(self, o: dict, qty: float) -> None:
        qty = min(qty, o["qty"] - o["filled"])
        if qty <= 0:
            return
        price = self.prices[o["symbol"]]
        o["filled"] += qty
        o["value"] += qty * price
        o["fills"].append((qty, price))
        signed = qty if o["side"] == "buy" else -qty
        pos = self.positions.setdefault(o["symbol"], {"qty": 0.0, "avg": price})
        if signed > 0:
            pos["avg"] = (pos["qty"] * pos["avg"] + qty * price) / (pos["qty"] + qty)
        pos["qty"] += signed
        if abs(pos["qty"]) < 1e-12:
            del self.positions[o["symbol"]]
        self.cash -= signed * price
        o["status"] = "filled" if o["filled"] >= o["qty"] - 1e-12 else "partially_filled"

    def advance(self) -> None:
        """One poll's worth of fills for orders on a ``steps`` plan."""
        for o in self.orders:
            queue = self.plans.get(o["id"])
            if queue and o["status"] not in DONE:
                self._fill(o, queue.popleft())

    def create(self, body: dict) -> tuple[int, dict]:
        symbol, side = body["symbol"], body["side"]
        qty = float(body["qty"])
        ref = body.get("client_order_id") or str(uuid.uuid4())
        if any(o["client_order_id"] == ref for o in self.orders):
            return 422, {"code": 40010001, "message": "client_order_id must be unique"}
        if symbol not in self.prices:
            return 422, {"code": 40010001, "message": f"asset {symbol} not found"}
        if symbol in self.reject:
            status, code, message = self.reject[symbol]
            return status, {"code": code, "message": message}
        if qty != int(qty) and not self.fractionable[symbol]:
            return 422, {"code": 40010001, "message": f'asset "{symbol}" is not fractionable'}
        if side == "buy" and qty * self.prices[symbol] > self.cash:
            return 403, {"code": 40310000, "message": "insufficient buying power"}
        o = {
            "id": str(uuid.uuid4()), "client_order_id": ref, "symbol": symbol, "side": side,
            "qty": qty, "type": body.get("type", "market"),
            "limit_price": body.get("limit_price"), "filled": 0.0, "value": 0.0,
            "fills": [], "status": "new", "submitted_at": _now(),
            "asset_id": str(uuid.uuid5(uuid.NAMESPACE_DNS, symbol)),
        }  # fmt: skip
        self.orders.append(o)
        plan = self.fill_plan.get(symbol, "fill")
        if plan == "fill":
            self._fill(o, qty)
        elif plan == "partial":
            self._fill(o, round(qty * 0.4))
        elif plan == "steps":
            self.plans[o["id"]] = deque([qty / 3, qty / 3, qty - 2 * (qty / 3)])
        return 200, self._order_json(o)

    def route(self, method: str, path: str, query: dict, body: dict) -> tuple[int, object]:
        q = {k: v[-1] for k, v in query.items()}
        with self.lock:
            if path == "/v2/account":
                cash = _num(self.cash)
                return 200, {
                    "id": str(uuid.uuid5(uuid.NAMESPACE_DNS, ACCOUNT)), "account_number": ACCOUNT,
                    "status": "ACTIVE", "currency": "USD", "cash": cash, "buying_power": cash,
                    "equity": _num(self.equity()), "portfolio_value": _num(self.equity()),
                    "trading_blocked": False, "account_blocked": False,
                    "transfers_blocked": False, "pattern_day_trader": False,
                }  # fmt: skip
            if path == "/v2/positions":
                return 200, [self._position(s, p) for s, p in self.positions.items()]
            if path == "/v2/clock":
                now = datetime.now(UTC)
                later = (now + timedelta(hours=3)).isoformat()
                return 200, {"timestamp": now.isoformat(), "is_open": self.is_open,
                             "next_open": later, "next_close": later}  # fmt: skip
            if path == "/v2/calendar":
                start, end = date.fromisoformat(q["start"]), date.fromisoformat(q["end"])
                days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
                return 200, [
                    {"date": d.isoformat(), "open": "09:30", "close": "16:00"}
                    for d in days
                    if d.weekday() < 5
                ]
            if path.startswith("/v2/assets/"):
                symbol = path.rsplit("/", 1)[1]
                if symbol not in self.prices:
                    return 404, {"code": 40410000, "message": "asset not found"}
                return 200, {
                    "id": str(uuid.uuid5(uuid.NAMESPACE_DNS, symbol)), "class": "us_equity",
                    "exchange": "ARCA", "symbol": symbol, "status": "active", "tradable": True,
                    "marginable": True, "shortable": True, "easy_to_borrow": True,
                    "fractionable": self.fractionable[symbol],
                }  # fmt: skip
            if path == "/v2/orders" and method == "POST":
                return self.create(body)
            if path == "/v2/orders":
                self.advance()
                status = q.get("status", "open")
                found = [
                    o for o in self.orders
                    if status == "all" or (status == "open") == (o["status"] not in DONE)
                ]  # fmt: skip
                if "after" in q:
                    found = [o for o in found if o["submitted_at"] > q["after"][:19]]
                if q.get("direction", "desc") == "desc":
                    found = found[::-1]
                return 200, [self._order_json(o) for o in found[: int(q.get("limit", 50))]]
            if path == "/v2/orders:by_client_order_id":
                self.advance()
                o = next(
                    (o for o in self.orders if o["client_order_id"] == q["client_order_id"]), None
                )
                if o is None:
                    return 404, {"code": 40410000, "message": "order not found"}
                return 200, self._order_json(o)
            if path.startswith("/v2/orders/") and method == "DELETE":
                o = next((o for o in self.orders if o["id"] == path.rsplit("/", 1)[1]), None)
                if o is None:
                    return 404, {"code": 40410000, "message": "order not found"}
                if o["status"] in DONE:
                    return 422, {"code": 42210000, "message": "order is not cancelable"}
                o["status"] = "canceled"
                return 204, None
            if path == "/v2/stocks/snapshots":
                return 200, {s: self._snapshot(s) for s in q["symbols"].split(",")}
            if path == "/v2/stocks/bars":
                bars = {
                    s: [{"t": f"{d}T05:00:00Z", "o": c, "h": c, "l": c, "c": c, "v": 1000,
                         "n": 10, "vw": c} for d, c in self.bars.get(s, [])]
                    for s in q["symbols"].split(",")
                }  # fmt: skip
                return 200, {"bars": bars, "next_page_token": None}
        return 404, {"code": 40410000, "message": f"no route {method} {path}"}

    def _position(self, symbol: str, p: dict) -> dict:
        price = self.prices[symbol]
        return {
            "asset_id": str(uuid.uuid5(uuid.NAMESPACE_DNS, symbol)), "symbol": symbol,
            "exchange": "ARCA", "asset_class": "us_equity", "asset_marginable": True,
            "avg_entry_price": _num(p["avg"]), "qty": _num(p["qty"]), "side": "long",
            "market_value": _num(p["qty"] * price), "cost_basis": _num(p["qty"] * p["avg"]),
            "current_price": _num(price), "lastday_price": _num(price), "change_today": "0",
            "qty_available": _num(p["qty"]),
        }  # fmt: skip

    def _snapshot(self, symbol: str) -> dict:
        price, now = self.prices.get(symbol), _now()
        if price is None:
            return {}
        return {
            "latestTrade": {"t": now, "x": "V", "p": price, "s": 100, "c": ["@"], "i": 1, "z": "B"},
            "latestQuote": {"t": now, "ax": "V", "ap": round(price + 0.01, 2), "as": 2,
                            "bx": "V", "bp": round(price - 0.01, 2), "bs": 3, "c": ["R"], "z": "B"},
            "prevDailyBar": {"t": now, "o": price, "h": price, "l": price, "c": price, "v": 1,
                             "n": 1, "vw": price},
        }  # fmt: skip


def _handler(fake: FakeAlpaca):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet
            pass

        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            with fake.lock:
                fake.requests.append((method, parts.path))
                if method == "POST" and parts.path == "/v2/orders":
                    fake.posts += 1
            if self.headers.get("APCA-API-KEY-ID") != KEY:
                self._send(401, {"code": 40110000, "message": "request is not authorized"})
                return
            fault = fake.take_fault(method, parts.path)
            if fault == "429":
                self._send(429, {"message": "too many requests."}, {"Retry-After": "2"})
                return
            if fault in ("500-before", "drop-before"):
                return self._fail(fault)
            body = json.loads(raw) if raw else {}
            status, payload = fake.route(method, parts.path, parse_qs(parts.query), body)
            if fault in ("500-after", "drop-after"):
                return self._fail(fault)
            self._send(status, payload)

        def _fail(self, fault: str) -> None:
            if fault.startswith("500"):
                self._send(500, {"message": "internal server error"})
                return
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)

        def _send(self, status: int, payload, headers: dict | None = None) -> None:
            data = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_DELETE(self) -> None:
            self._serve("DELETE")

    return Handler
