"""``python -m janus.seeds`` -- see ``janus.seeds`` for what it does."""
from janus.seeds.cli import main

raise SystemExit(main())
