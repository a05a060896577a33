"""``python -m janus.backup`` -- see ``janus.backup.cli``."""
from janus.backup.cli import main

raise SystemExit(main())
