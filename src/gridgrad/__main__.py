from gridgrad.cli import main

raise SystemExit(main())
