"""Demo data: the loader ``python -m janus.seeds`` of ``seeds/*.json``, and
``--generate`` for synthetic rows. Usage, file format, idempotency: docs/seeds.md.
"""
from janus.seeds.cli import SEED_DIR, load, main
from janus.seeds.schema import DOMAINS, SeedError

__all__ = ["DOMAINS", "SEED_DIR", "SeedError", "load", "main"]
