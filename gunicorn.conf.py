"""gunicorn's settings for ``gunicorn app:app`` in a checkout: janus.serving's,
the same ones ``janus-serve`` uses, each overridable from the environment
(docs/configuration.md). A bad value stops here, in one line naming the
variable, before any worker boots."""
from janus.serving import settings

# gunicorn reads this file's module-level names as its settings.
globals().update(settings())
