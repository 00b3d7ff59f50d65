"""The headless front end: ``rp-tui`` and its subcommands, one module each, over the services.

May import services (lazily, inside the command that runs), inputs, state and domain names;
``rp_tui.ui`` only to start the app. ``--help`` imports nothing heavy.
"""
