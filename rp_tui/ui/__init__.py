"""The terminal app (Textual): screens and widgets over the services; the only package that
imports textual and plotext. Entry point: :func:`rp_tui.ui.app.run_app`."""
