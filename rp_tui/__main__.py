from rp_tui.cli import main

raise SystemExit(main())
