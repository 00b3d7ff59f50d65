"""Calls to Alpaca's REST API through alpaca-py, off the event loop, under rp-tui's own rules.

alpaca-py retries 429 and 504 itself after a fixed 3 s (it ignores ``Retry-After``) and
would send an order again on a 504; its ``requests`` session has no timeout. Here the SDK
never retries (``_retry = 0``), every request has a timeout, and :meth:`AlpacaLink.call`
retries what is safe to retry: reads on 429 (after ``Retry-After``, else Alpaca's
``X-RateLimit-Reset``, else a back-off), on 5xx and on a dropped connection. Orders are
never retried here: :mod:`rp_tui.broker.alpaca.alpaca_orders` looks them up by
``client_order_id`` first (Alpaca refuses a second order with the same id).

Alpaca's REST rate limit (docs.alpaca.markets, "Rate limit", read 2026-12-01): 200 requests
per minute per account; a 429 carries ``X-RateLimit-Reset`` (epoch seconds).
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import requests
from alpaca.common.exceptions import APIError

from rp_tui.errors import BrokerError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REQUEST_TIMEOUT = 10.0  # seconds for one HTTP request
MAX_ATTEMPTS = 5  # per read; 429s, 5xx and dropped connections count
MAX_WAIT = 60.0  # seconds: the longest Retry-After honoured
NETWORK_ERRORS = (requests.ConnectionError, requests.Timeout)


class AlpacaError(BrokerError):
    """Alpaca answered with an error: ``status`` (HTTP), ``code`` (Alpaca's 8-digit code, 0
    when none) and ``reason`` (Alpaca's message)."""

    def __init__(self, message: str, status: int, code: int, reason: str):
        super().__init__(message)
        self.status, self.code, self.reason = status, code, reason


class _TimeoutSession(requests.Session):
    """A session whose every request has a timeout (alpaca-py passes none)."""

    timeout = REQUEST_TIMEOUT

    def request(self, method, url, **kwargs):  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, **kwargs)


def tame(client: Any) -> Any:
    """Make an alpaca-py REST client never retry by itself and time out its requests."""
    client._retry = 0  # rp-tui retries: Retry-After honoured, orders looked up first
    client._session = _TimeoutSession()
    return client


def error_parts(exc: APIError) -> tuple[int, int, str]:
    """``(HTTP status, Alpaca code, message)`` of an alpaca-py ``APIError``."""
    status = int(exc.status_code or 0)
    text = str(exc)
    try:
        body = json.loads(text)
    except ValueError:
        return status, 0, text.strip()[:200] or f"HTTP {status}"
    if not isinstance(body, dict):
        return status, 0, text.strip()[:200]
    code = body.get("code", 0)
    return status, int(code) if str(code).isdigit() else 0, str(body.get("message", text))[:300]


def retry_delay(exc: APIError | None, attempt: int, now: float | None = None) -> float:
    """Seconds to wait before attempt ``attempt + 1``: ``Retry-After`` (seconds or an HTTP
    date), else ``X-RateLimit-Reset`` (epoch seconds), else 0.5 s doubling; at most
    ``MAX_WAIT``."""
    backoff = min(0.5 * 2**attempt, MAX_WAIT)
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    now = time.time() if now is None else now
    after = headers.get("Retry-After")
    if after:
        try:
            return min(max(float(after), 0.0), MAX_WAIT)
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(after)
            except (TypeError, ValueError):
                when = None
            if when is not None:
                return min(max(when.timestamp() - now, 0.0), MAX_WAIT)
    reset = headers.get("X-RateLimit-Reset")
    if reset:
        try:
            return min(max(float(reset) - now, 0.0), MAX_WAIT)
        except ValueError:
            pass
    return backoff


class AlpacaLink:
    """The way to Alpaca: calls with retries, and whether the last call got through.

    Args:
        where: the trading base URL, for messages.
        sleep: ``asyncio.sleep`` (tests record the waits).
        on_status: receives one-line news (rate limited, unreachable, back).

    Attributes:
        connected: the last request got an HTTP answer (False after a dropped connection or
            a timeout until a request gets through; False before the first request).
    """

    def __init__(
        self,
        where: str,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_status: Callable[[str], None] | None = None,
    ):
        self.where, self.sleep = where, sleep
        self.on_status = on_status or (lambda _text: None)
        self.connected = False
        self.waits: list[float] = []  # every wait taken, seconds (shown in tests and logs)

    async def once(self, fn: Callable[..., Any], *args: Any) -> Any:
        """One request in a worker thread; ``connected`` follows what happened.

        Raises:
            APIError: Alpaca answered with an error. requests.ConnectionError /
                requests.Timeout: no answer.
        """
        try:
            result = await asyncio.to_thread(fn, *args)
        except NETWORK_ERRORS:
            if self.connected:
                self.on_status(f"Alpaca at {self.where} not answering; retrying")
            self.connected = False
            raise
        except APIError:
            self.connected = True
            raise
        if not self.connected:
            self.on_status(f"connected to Alpaca at {self.where}")
        self.connected = True
        return result

    async def pause(self, exc: APIError | None, attempt: int) -> None:
        """Wait as the answer asks (see :func:`retry_delay`) before trying again."""
        delay = retry_delay(exc, attempt)
        self.waits.append(delay)
        await self.sleep(delay)

    async def call(self, what: str, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` (an alpaca-py call that only reads), retried on 429, 5xx and a
        dropped connection up to ``MAX_ATTEMPTS`` times.

        Args:
            what: the request in words (``reading the account``), for messages.

        Raises:
            AlpacaError: Alpaca refused (4xx other than 429), or still failing with 429/5xx
                after the retries. BrokerError: Alpaca unreachable after the retries.
        """
        for attempt in range(MAX_ATTEMPTS):
            last = attempt == MAX_ATTEMPTS - 1
            try:
                return await self.once(fn, *args)
            except APIError as exc:
                status, code, reason = error_parts(exc)
                if status in RETRY_STATUSES and not last:
                    await self.pause(exc, attempt)
                    continue
                raise refused(what, status, code, reason) from exc
            except NETWORK_ERRORS as exc:
                if not last:
                    await self.pause(None, attempt)
                    continue
                raise BrokerError(
                    f"cannot reach Alpaca at {self.where} while {what} "
                    f"({type(exc).__name__}); check the network and [broker] alpaca_url"
                ) from exc
        raise AssertionError("unreachable")  # pragma: no cover


def refused(what: str, status: int, code: int, reason: str) -> AlpacaError:
    """The error for an Alpaca refusal, with the fix for the usual ones (keys, permissions)."""
    if status == 401:
        fix = (
            "Alpaca refused the API keys (401): check APCA_API_KEY_ID / APCA_API_SECRET_KEY, "
            "and that paper keys go with alpaca_paper = true and live keys with false"
        )
        return AlpacaError(f"{fix} (while {what})", status, code, reason)
    return AlpacaError(f"Alpaca refused {what}: {reason} (HTTP {status})", status, code, reason)
