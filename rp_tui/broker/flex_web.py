"""IBKR's Flex Web Service: a Flex Query report fetched with a token and a query id.

The two-step protocol (version 3; ibkrguides.com/clientportal/performanceandstatements/
flex3.htm and interactivebrokers.com/campus/ibkr-api-page/flex-web-service, read 2026-12-01):

1. ``GET <base>/SendRequest?t=TOKEN&q=QUERY_ID&v=3`` answers a ``FlexStatementResponse``:
   ``<Status>Success</Status>`` with a ``<ReferenceCode>`` (and the ``<Url>`` to fetch it
   from), or ``Fail`` with ``<ErrorCode>`` / ``<ErrorMessage>``.
2. ``GET <base>/GetStatement?q=REFERENCE_CODE&t=TOKEN&v=3`` answers the report itself
   (XML ``FlexQueryResponse`` or CSV), or a ``FlexStatementResponse`` with a code such as
   1019 "Statement generation in progress. Please try again shortly.": ask again later.

A ``User-Agent`` header is required. The token is a secret: it never appears in a message.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable

from rp_tui import __version__
from rp_tui.errors import BrokerError

DEFAULT_URL = "https://ndcdyn.interactivebrokers.com/AccountManagement/FlexWebService"
# Codes that mean "not yet, ask again shortly" (statement being generated, server busy,
# data not ready, too many requests).
RETRY_CODES = frozenset(
    {"1001", "1004", "1005", "1006", "1007", "1008", "1009", "1018", "1019", "1021"}
)
FIXES = {
    "1012": "the Flex token has expired: make a new one in Client Portal > Settings > "
    "Flex Web Service and export IBKR_FLEX_TOKEN (or `keyring set rp-tui ibkr-flex-token`)",
    "1015": "the Flex token is invalid: copy it again from Client Portal > Settings > Flex "
    "Web Service into IBKR_FLEX_TOKEN",
    "1014": "the Flex query id is invalid: set [broker] flex_query_id to the id shown beside "
    "the query in Client Portal > Performance & Reports > Flex Queries",
    "1013": "this address is not allowed to use the token (IP restriction set in Client Portal)",
    "1011": "the Flex Web Service is not active: enable it in Client Portal > Settings",
}
TIMEOUT = 30.0  # seconds for one HTTP request
WAITS = (2.0, 3.0, 5.0, 5.0, 10.0, 10.0, 15.0, 15.0)  # seconds between GetStatement tries


def _get(url: str, params: dict[str, str], where: str) -> bytes:
    """One GET; a failure is a BrokerError naming ``where`` (never the URL: it has the token)."""
    query = urllib.parse.urlencode(params)
    request = urllib.request.Request(
        f"{url}?{query}", headers={"User-Agent": f"rp-tui/{__version__} Python/urllib"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
            return answer.read()
    except urllib.error.HTTPError as exc:
        raise BrokerError(f"the Flex Web Service at {where} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise BrokerError(
            f"cannot reach the Flex Web Service at {where} ({type(reason).__name__}); check the "
            "network and [broker] flex_url"
        ) from None


def _status(data: bytes) -> tuple[str, str, str, str, str] | None:
    """``(status, code, message, reference, url)`` of a ``FlexStatementResponse``, or
    ``None`` when ``data`` is something else (the report itself)."""
    if not data.lstrip().startswith(b"<"):
        return None
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        return None
    if root.tag != "FlexStatementResponse":
        return None

    def text(tag: str) -> str:
        return (root.findtext(tag) or "").strip()

    return (
        text("Status"),
        text("ErrorCode"),
        text("ErrorMessage"),
        text("ReferenceCode"),
        text("Url"),
    )


def _refusal(code: str, message: str, query_id: str) -> BrokerError:
    fix = FIXES.get(code, "see IBKR's Flex Web Service error codes")
    return BrokerError(f"Flex query {query_id}: IBKR error {code} {message!s}: {fix}")


def fetch_statement(
    token: str,
    query_id: str,
    base_url: str = "",
    sleep: Callable[[float], None] = time.sleep,
) -> bytes:
    """The report of Flex query ``query_id`` (XML or CSV bytes, as IBKR formats it).

    Args:
        token: the Flex Web Service token (secret).
        query_id: the Flex Query's id.
        base_url: ``[broker] flex_url``; "" = IBKR's. With a base URL of its own, the
            statement is fetched from it too (IBKR's answer may name another host).
        sleep: waits between tries of step 2 (``time.sleep``; tests record them).

    Raises:
        BrokerError: IBKR refused (an expired or invalid token, an invalid query: the code
            and the fix), the statement was still not ready after every wait, or the service
            is unreachable.
    """
    base = (base_url or DEFAULT_URL).rstrip("/")
    where = urllib.parse.urlsplit(base).netloc or base
    params = {"t": token, "q": query_id, "v": "3"}
    answer = _get(f"{base}/SendRequest", params, where)
    for attempt, wait in enumerate((0.0, *WAITS)):
        if attempt:
            sleep(wait)
        parsed = _status(answer)
        if parsed is None:
            raise BrokerError(f"the Flex Web Service at {where} sent no reference code")
        status, code, message, reference, url = parsed
        if status == "Success" and reference:
            break
        if code not in RETRY_CODES:
            raise _refusal(code, message, query_id)
        answer = _get(f"{base}/SendRequest", params, where)
    else:
        raise BrokerError(f"Flex query {query_id}: IBKR stayed busy; try again in a few minutes")
    fetch = f"{base}/GetStatement" if base_url or not url else url
    params = {"q": reference, "t": token, "v": "3"}
    for attempt, wait in enumerate((0.0, *WAITS)):
        if attempt:
            sleep(wait)
        data = _get(fetch, params, where)
        parsed = _status(data)
        if parsed is None:
            return data
        _, code, message, _, _ = parsed
        if code not in RETRY_CODES:
            raise _refusal(code, message, query_id)
    raise BrokerError(
        f"Flex query {query_id}: the statement was still being generated after "
        f"{sum(WAITS):g} s; try again shortly"
    )
