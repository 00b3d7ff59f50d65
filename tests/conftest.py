"""Shared fixtures: every test gets its own demo-account data directory."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PORTFOLIO = REPO / "portfolio.toml"


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path_factory, monkeypatch) -> Path:
    """Point ``$RP_TUI_DATA_DIR`` at a fresh directory so no test sees another's account."""
    path = tmp_path_factory.mktemp("rp-tui-data")
    monkeypatch.setenv("RP_TUI_DATA_DIR", str(path))
    return path
