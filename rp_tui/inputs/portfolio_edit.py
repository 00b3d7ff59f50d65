"""Edit ``portfolio.toml`` in place: validated changes, undo, comment-preserving atomic saves.

Edits go through ``tomlkit``, which keeps the user's comments, ordering and formatting
byte for byte outside the edited values (``tomli-w`` would drop them). Every edit is checked
by re-validating the whole document with
:func:`rp_tui.inputs.portfolio_file.parse_portfolio`, so nothing invalid is kept, let alone
written. Saving refuses to overwrite a file that changed on disk
since it was loaded, unless told to.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any

from rp_tui.errors import ConfigError, UserError
from rp_tui.inputs.portfolio import Portfolio, Rebalancing, Strategy
from rp_tui.inputs.portfolio_file import parse_portfolio
from rp_tui.state.storage import atomic_write_text

ASSET_FIELDS = (
    "symbol",
    "exchange",
    "primary_exchange",
    "currency",
    "asset_class",
    "budget",
    "weight",
    "min",
    "max",
)
# The rule tables the editor edits, key by key: allocation, rebalancing policy, fee plan.
RULE_FIELDS: dict[str, tuple[str, ...]] = {
    "strategy": tuple(f.name for f in fields(Strategy)),
    "rebalancing": tuple(f.name for f in fields(Rebalancing)),
    "fees": ("plan",),
}


class FileChangedError(UserError):
    """``portfolio.toml`` changed on disk since it was loaded; reload or overwrite."""


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class PortfolioFile:
    """An editable ``portfolio.toml``.

    Args:
        path: the file; read at construction.

    Raises:
        ConfigError: the file is missing, unreadable, or invalid (as :func:`load_portfolio`).
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            text = self.path.read_text("utf-8")
        except OSError as exc:
            raise ConfigError(str(self.path), f"cannot be read: {exc}") from exc
        self.portfolio: Portfolio = parse_portfolio(text, self.path)
        self._saved_digest = _digest(text)
        self._history: list[str] = []
        self._text = text

    @property
    def text(self) -> str:
        """The document as it would be saved."""
        return self._text

    def has_table(self, name: str) -> bool:
        """Whether the document (as it would be saved) has a top-level ``[name]`` table;
        the text is always valid TOML (every edit is validated before it lands)."""
        return name in tomllib.loads(self._text)

    @property
    def dirty(self) -> bool:
        """True when there are edits not yet saved."""
        return _digest(self._text) != self._saved_digest

    @property
    def can_undo(self) -> bool:
        """True when an edit can be taken back."""
        return bool(self._history)

    def changed_on_disk(self) -> bool:
        """True when the file no longer holds what was loaded or last saved."""
        try:
            return _digest(self.path.read_text("utf-8")) != self._saved_digest
        except OSError:
            return True

    def _apply(self, change, dry_run: bool = False) -> Portfolio:
        import tomlkit

        document = tomlkit.parse(self._text)
        try:
            change(document)
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise ConfigError(str(self.path), f"cannot make that edit: {exc}") from exc
        text = tomlkit.dumps(document)
        portfolio = parse_portfolio(text, self.path)  # raises: the edit is not kept
        if not dry_run:
            self._history.append(self._text)
            self._text, self.portfolio = text, portfolio
        return portfolio

    def set_rule(self, table: str, key: str, value: Any, dry_run: bool = False) -> Portfolio:
        """Set ``[table] key = value`` for a rule table of :data:`RULE_FIELDS`
        (``dry_run``: only validate).

        Raises:
            ConfigError: a key that is not a rule, or an invalid result (key and fix named).
        """
        if key not in RULE_FIELDS.get(table, ()):
            raise ConfigError(str(self.path), f"{table}.{key} is not editable", key=key)
        return self.set_value(table, key, value, dry_run)

    def set_value(self, table: str, key: str, value: Any, dry_run: bool = False) -> Portfolio:
        """Set ``[table] key = value`` (e.g. ``fees.plan``, ``ui.theme``); validated."""

        def change(document):
            document.setdefault(table, {})[key] = value

        return self._apply(change, dry_run)

    def set_asset(self, index: int, key: str, value: Any, dry_run: bool = False) -> Portfolio:
        """Set a field of ``assets[index]``; ``None`` removes an optional field."""
        if key not in ASSET_FIELDS:
            raise ConfigError(str(self.path), f"assets.{key} is not editable", key=key)

        def change(document):
            asset = document["assets"][index]
            if value is None:
                asset.pop(key, None)
            else:
                asset[key] = value

        return self._apply(change, dry_run)

    def add_asset(
        self,
        symbol: str,
        exchange: str = "SMART",
        currency: str = "USD",
        dry_run: bool = False,
        **optional: Any,
    ) -> Portfolio:
        """Append an ``[[assets]]`` table; validated like any edit."""
        import tomlkit

        def change(document):
            table = tomlkit.table()
            table.update({"symbol": symbol, "exchange": exchange, "currency": currency})
            table.update({k: v for k, v in optional.items() if v is not None})
            document["assets"].append(table)

        return self._apply(change, dry_run)

    def remove_asset(self, index: int) -> Portfolio:
        """Drop ``assets[index]`` (at least two must remain)."""

        def change(document):
            del document["assets"][index]

        return self._apply(change)

    def undo(self) -> Portfolio:
        """Revert the last edit (not a save). Raises UserError when there is none."""
        if not self._history:
            raise UserError("nothing to undo")
        self._text = self._history.pop()
        self.portfolio = parse_portfolio(self._text, self.path)
        return self.portfolio

    def save(self, overwrite: bool = False) -> None:
        """Write atomically. Raises FileChangedError if the file changed on disk meanwhile
        (pass ``overwrite=True`` to replace it anyway)."""
        if not overwrite and self.changed_on_disk():
            raise FileChangedError(
                f"{self.path} changed on disk since it was loaded: reload it, or save again "
                "to overwrite those changes"
            )
        atomic_write_text(self.path, self._text)
        self._saved_digest = _digest(self._text)

    def reload(self) -> Portfolio:
        """Drop unsaved edits and read the file again."""
        self.__init__(self.path)
        return self.portfolio
