from rp_tui.cli.main import main

if __name__ == "__main__":  # not when a child process imports it as __mp_main__
    raise SystemExit(main())
