"""What the app reads: ``portfolio.toml`` (read, validate, edit, save), price files, the fee
schedules of ``rp_tui/data``, and exchange calendars. May import domain, state and errors."""
