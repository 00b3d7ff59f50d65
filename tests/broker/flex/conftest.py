"""The Flex tests never read the developer's own keyring."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def no_system_keyring():
    """The tests never read the developer's own keyring: an empty one stands in."""
    import keyring
    from keyring.backends.null import Keyring

    before = keyring.get_keyring()
    keyring.set_keyring(Keyring())
    yield
    keyring.set_keyring(before)
