"""Data shipped with rp-tui: the bundled daily price sets (with their licences) and the fee
schedules (``fees.toml``). Read through :mod:`rp_tui.inputs`; no code lives here."""
