"""Shared fixtures: every test gets its own demo-account data directory and an empty
keyring (no test reads the developer's own secrets)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# The tests run on the factor-ETF example (its figures are pinned throughout); the shipped
# portfolio.toml is the multi-asset example (tests/test_examples.py checks both).
PORTFOLIO = REPO / "rp_tui" / "examples" / "factor-etfs.toml"


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path_factory, monkeypatch) -> Path:
    """Point ``$RP_TUI_DATA_DIR`` at a fresh directory so no test sees another's account."""
    path = tmp_path_factory.mktemp("rp-tui-data")
    monkeypatch.setenv("RP_TUI_DATA_DIR", str(path))
    return path


@pytest.fixture(autouse=True)
def no_system_keyring():
    """An empty keyring stands in for the developer's own: broker secrets come from the
    environment a test sets, or from a backend it installs itself."""
    import keyring
    from keyring.backends.null import Keyring

    before = keyring.get_keyring()
    keyring.set_keyring(Keyring())
    yield
    keyring.set_keyring(before)
