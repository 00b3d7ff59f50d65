"""The terminal UI (Textual). The only package that imports textual and plotext.

Entry points: :func:`rp_tui.ui.app.run_app` and :class:`rp_tui.ui.app.RpTuiApp`.
"""
