"""The help screen (``?``): every key, screen by screen, read from the screens' bindings."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEY_NAMES = {
    "escape": "Esc",
    "enter": "Enter",
    "question_mark": "?",
    "tab": "Tab",
    "ctrl+p": "Ctrl+P",
    "ctrl+s": "Ctrl+S",
    "ctrl+z": "Ctrl+Z",
}


def key_lines(title: str, bindings) -> list[str]:
    """``title`` then one ``key  description`` line per binding (first key of each action)."""
    seen, lines = set(), [title]
    for b in bindings:
        binding = b if isinstance(b, Binding) else Binding(*b)
        if (binding.action, binding.description) in seen or not binding.description:
            continue
        seen.add((binding.action, binding.description))
        key = KEY_NAMES.get(binding.key, binding.key)
        lines.append(f"  {key:<7} {binding.description}")
    return lines


def help_text(app) -> str:
    """All keys of the app and of each screen it can show."""
    from rp_tui.ui.backtest_screen import BacktestScreen
    from rp_tui.ui.cash_flow import CashFlowScreen
    from rp_tui.ui.confirm import ConfirmScreen
    from rp_tui.ui.dashboard import DashboardScreen
    from rp_tui.ui.editor import EditCellScreen, EditorScreen
    from rp_tui.ui.kill_switch import TradingStateScreen
    from rp_tui.ui.log_screen import LogScreen
    from rp_tui.ui.preview import PreviewScreen
    from rp_tui.ui.risk_screen import RiskScreen

    sections = [
        ("Everywhere", [*type(app).BINDINGS, ("ctrl+p", "command_palette", "Commands")]),
        ("Dashboard", DashboardScreen.BINDINGS),
        (
            "Cash flow (c)",
            [("enter", "submit", "Plan with +5000 / -2000"), *CashFlowScreen.BINDINGS],
        ),
        ("Editor", EditorScreen.BINDINGS),
        ("Editing a cell", [("enter", "accept", "Accept"), *EditCellScreen.BINDINGS]),
        ("Order preview", PreviewScreen.BINDINGS),
        ("Confirmation", ConfirmScreen.BINDINGS),
        ("Backtest", BacktestScreen.BINDINGS),
        ("Risk", RiskScreen.BINDINGS),
        ("Trade log", LogScreen.BINDINGS),
        ("Kill switch", TradingStateScreen.BINDINGS),
    ]
    lines: list[str] = []
    for title, bindings in sections:
        lines += [*key_lines(title, bindings), ""]
    return "\n".join(lines).rstrip()


class HelpScreen(ModalScreen[None]):
    """Lists every key; Esc or ? closes it."""

    BINDINGS = [Binding("escape", "close", "Close"), Binding("question_mark", "close", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box") as box:
            box.border_title = "Keys"
            yield Static(Text(help_text(self.app)), id="help-text")

    def action_close(self) -> None:
        self.dismiss(None)
