"""Notifications of scheduled runs through apprise (the optional ``notify`` extra:
``pip install 'rp-tui[notify]'``), to the URLs of ``[schedule] notify``.

A notification never fails a run: a missing apprise, a URL apprise does not understand or a
service that does not answer becomes a note for the run log.
"""

from __future__ import annotations

from collections.abc import Sequence


def notify(urls: Sequence[str], title: str, body: str) -> str:
    """Send ``title`` / ``body`` to every URL in ``urls`` (apprise URLs: ``mailto://…``,
    ``ntfy://…``, ``json://host:port/path`` …).

    Returns:
        A note for the run log: "" when there is nothing to send, else what happened
        (``notified 2 services``, ``notification failed: …``, ``apprise is not installed``).
        Never raises.
    """
    if not urls:
        return ""
    try:
        import apprise
    except ImportError:
        return (
            f"{len(urls)} notification URL(s) configured but apprise is not installed: "
            "pip install 'rp-tui[notify]'"
        )
    try:
        sender = apprise.Apprise()
        refused = [u for u in urls if not sender.add(u)]
        if not len(sender):
            return f"notification not sent: apprise understands none of {_names(refused)}"
        sent = sender.notify(title=title, body=body)
    except Exception as exc:  # a plugin's own error must not end the run
        return f"notification failed: {type(exc).__name__}: {exc}"
    note = f"notified {len(sender)} service(s)" if sent else "notification failed (see apprise)"
    if refused:
        note += f"; apprise does not understand {_names(refused)}"
    return note


def _names(urls: Sequence[str]) -> str:
    """URLs without what may be a secret: the scheme and host only."""
    shown = []
    for url in urls:
        scheme, _, rest = url.partition("://")
        host = rest.split("/", 1)[0].rpartition("@")[2]
        shown.append(f"{scheme}://{host}")
    return ", ".join(shown)
