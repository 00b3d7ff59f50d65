"""Errors a user can fix. Commands print them on stderr and exit with status 2."""

from __future__ import annotations


class UserError(Exception):
    """Bad input: the message names the file / field / symbol and says what to do."""


class ConfigError(UserError):
    """``portfolio.toml`` is malformed or holds an invalid value.

    Attributes:
        path: the config file.
        key: dotted key (``strategy.band``, ``assets[2].symbol``) or ``None``.
        line: 1-based line number where known.
    """

    def __init__(self, path: str, message: str, key: str | None = None, line: int | None = None):
        where = f"{path}:{line}" if line else str(path)
        field = f" {key}:" if key else ""
        super().__init__(f"{where}:{field} {message}")
        self.path, self.key, self.line = path, key, line


class DataError(UserError):
    """A price history is unusable (missing symbol, NaN or non-positive price, bad dates)."""


class BrokerError(UserError):
    """The broker cannot serve the request (unreachable, unknown contract, refused order)."""


class UsageError(UserError):
    """A command-line option is out of range or contradicts another (named, with the fix)."""


class OutputError(UserError):
    """A file or directory a command was asked to write (``--out``) cannot be written."""
