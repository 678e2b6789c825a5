"""``python -m cpnetwork.demo``: see :func:`cpnetwork.demo.main`."""

from cpnetwork.demo import main

raise SystemExit(main())
