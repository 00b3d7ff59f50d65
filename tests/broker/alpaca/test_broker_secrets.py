"""Keys and tokens come from the environment, else the system keyring (service rp-tui);
never from portfolio.toml and never in a message."""

from __future__ import annotations

import keyring
import keyring.backend
import pytest

from rp_tui.broker.broker_secrets import find_secret, require_secret
from rp_tui.errors import BrokerError


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring backend holding its secrets in memory (keyring's own backend interface)."""

    priority = 1

    def __init__(self):
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.secrets.get((service, username))

    def set_password(self, service, username, password):
        self.secrets[(service, username)] = password

    def delete_password(self, service, username):
        self.secrets.pop((service, username), None)


@pytest.fixture
def memory_keyring():
    before = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(before)


def test_the_environment_wins_then_the_keyring(monkeypatch, memory_keyring):
    monkeypatch.delenv("APCA_API_KEY_ID", raising=False)
    assert find_secret(["APCA_API_KEY_ID"], "alpaca-key-id") == ""
    keyring.set_password("rp-tui", "alpaca-key-id", "from-keyring")
    assert find_secret(["APCA_API_KEY_ID"], "alpaca-key-id") == "from-keyring"
    monkeypatch.setenv("APCA_API_KEY_ID", "from-env")
    assert find_secret(["APCA_API_KEY_ID"], "alpaca-key-id") == "from-env"


def test_a_missing_secret_names_the_variable_and_the_keyring_command(monkeypatch, memory_keyring):
    monkeypatch.delenv("IBKR_FLEX_TOKEN", raising=False)
    with pytest.raises(BrokerError) as missing:
        require_secret(["IBKR_FLEX_TOKEN"], "ibkr-flex-token", "the Flex token")
    message = str(missing.value)
    assert "IBKR_FLEX_TOKEN" in message and "keyring set rp-tui ibkr-flex-token" in message
