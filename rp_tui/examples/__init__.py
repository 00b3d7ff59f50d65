"""Example portfolios shipped with rp-tui (``rp-tui init`` writes one): each a commented
``portfolio.toml`` over one of the bundled price sets. Data only; no code lives here."""
