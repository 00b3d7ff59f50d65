"""API keys and tokens of the brokers: read from the environment or the system keyring, never
from portfolio.toml, never logged or shown (messages name the variable, not the value).

The keyring is optional: when the ``keyring`` package is installed, a secret missing from the
environment is looked up under the service ``rp-tui`` (``keyring set rp-tui <name>``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from rp_tui.errors import BrokerError

KEYRING_SERVICE = "rp-tui"


def _from_keyring(name: str) -> str:
    """The keyring's ``rp-tui``/``name`` secret, "" when there is no keyring or no entry."""
    try:
        import keyring  # optional: not a dependency of rp-tui
    except ImportError:
        return ""
    try:
        return keyring.get_password(KEYRING_SERVICE, name) or ""
    except Exception:  # a keyring with no usable backend is no keyring
        return ""


def find_secret(env_names: Sequence[str], keyring_name: str) -> str:
    """The first of ``env_names`` set in the environment, else the keyring's
    ``rp-tui``/``keyring_name`` entry; "" when neither holds it."""
    for name in env_names:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return _from_keyring(keyring_name).strip()


def require_secret(env_names: Sequence[str], keyring_name: str, what: str) -> str:
    """:func:`find_secret`, or a :class:`BrokerError` saying where to put it.

    Args:
        env_names: environment variables to read, in order (e.g. ``APCA_API_KEY_ID``).
        keyring_name: the entry under the keyring service ``rp-tui``.
        what: the secret in words, for the message (``the Alpaca API key id``).

    Raises:
        BrokerError: found nowhere; names the variable and the keyring command, never a value.
    """
    value = find_secret(env_names, keyring_name)
    if not value:
        raise BrokerError(
            f"{what} is not set: export {env_names[0]}=… or store it with "
            f"`keyring set {KEYRING_SERVICE} {keyring_name}` (never in portfolio.toml)"
        )
    return value
