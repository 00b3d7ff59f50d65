"""What several subcommands share: the session and broker their arguments name, and the
exit that carries a JSON document out with a non-zero code."""

from __future__ import annotations

import argparse


class CommandExit(Exception):
    """Carries a document and a non-zero exit code out of a command."""

    def __init__(self, doc: dict, code: int):
        super().__init__(code)
        self.doc, self.code = doc, code


def open_from_args(args: argparse.Namespace):
    """The :class:`~rp_tui.services.session.Session` of ``--config``, ``--prices``, ``--broker``.

    Raises:
        ConfigError / DataError: as :func:`~rp_tui.services.session.open_session`.
    """
    from rp_tui.services.session import open_session

    return open_session(args.config, args.prices, getattr(args, "broker", None))


def broker_from_args(session, args: argparse.Namespace, read_only: bool):
    """The broker of ``--broker`` (default ``[broker] kind``), with ``--host``, ``--port``
    and ``--client-id`` over the config; ``read_only`` forces an IBKR connection read-only."""
    from rp_tui.services.session import make_broker

    overrides = {"host": args.host, "port": args.port, "client_id": args.client_id}
    kind = args.broker or session.portfolio.broker.kind
    if kind == "ibkr":
        overrides["read_only"] = read_only or None  # True forces read-only; None: config
    broker = make_broker(session, kind, **overrides)
    from rp_tui.cli.progress import attach_history_bar

    attach_history_bar(broker, getattr(args, "format", "text"))  # IBKR downloads: symbol n of m
    return broker


def close(broker) -> None:
    """Close the broker's connection, if it has one (IBKR)."""
    getattr(broker, "disconnect", lambda: None)()
